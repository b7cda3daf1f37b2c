#pragma once
// ScriptedTestModel: an AgentModel test double for the team runtime tests. Each agent (by spec
// name) has a script of assistant turns; the turn it plays is chosen by how many assistant
// messages the conversation already holds, so a resumed run asks for exactly the turns it has
// not got yet. Past the end of its script an agent answers "(end of script)".
// Usage is deterministic: prompt tokens = bytes of the conversation / 4, completion tokens =
// bytes of the turn / 4, unless the scripted turn sets its own usage.
// Optional rendezvous: the first turns of the named agents wait (up to 5 s) until all of them
// are generating at once, which only happens when the runtime runs them concurrently.
// Threads: generate() from any thread.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "atelier/agents/agent_model.h"

namespace scripted {

using atelier::Result;
using atelier::agents::AgentToolCall;
using atelier::agents::AgentTurn;
using atelier::agents::TurnRequest;

inline AgentToolCall call(const std::string& name, const nlohmann::json& args) {
    return AgentToolCall{name, args.dump()};
}
inline AgentToolCall rawCall(const std::string& name, const std::string& argumentsText) {
    return AgentToolCall{name, argumentsText};
}
inline AgentTurn answer(const std::string& content) {
    AgentTurn t;
    t.content = content;
    return t;
}
inline AgentTurn calls(std::vector<AgentToolCall> toolCalls, const std::string& content = "") {
    AgentTurn t;
    t.content = content;
    t.toolCalls = std::move(toolCalls);
    return t;
}

class ScriptedTestModel final : public atelier::agents::AgentModel {
public:
    void script(const std::string& agent, std::vector<AgentTurn> turns) { m_scripts[agent] = std::move(turns); }
    // Delays every turn of `agent` (to exhaust wall-time budgets).
    void delay(const std::string& agent, std::chrono::milliseconds d) { m_delays[agent] = d; }
    void rendezvous(std::set<std::string> agents) { m_rendezvous = std::move(agents); }

    Result<AgentTurn> generate(const TurnRequest& req) override {
        std::size_t index = 0, bytes = 0;
        for (const auto& m : req.messages) {
            if (m.role == atelier::engine::ChatRole::Assistant) ++index;
            bytes += m.content.value_or("").size();
            for (const auto& c : m.toolCalls) bytes += c.arguments.size();
        }
        if (index == 0 && m_rendezvous.count(req.agent)) meet(req.agent);
        if (auto d = m_delays.find(req.agent); d != m_delays.end()) std::this_thread::sleep_for(d->second);
        std::lock_guard lock(m_mutex);
        m_requests[req.agent].push_back(req);
        const auto& s = m_scripts[req.agent];
        AgentTurn t = index < s.size() ? s[index] : answer("(end of script)");
        if (t.usage.promptTokens == 0 && t.usage.completionTokens == 0) {
            t.usage.promptTokens = static_cast<std::int64_t>(bytes / 4);
            std::size_t out = t.content.size();
            for (const auto& c : t.toolCalls) out += c.name.size() + c.arguments.size();
            t.usage.completionTokens = static_cast<std::int64_t>(out / 4 + 1);
        }
        return t;
    }

    // Every request an agent made, in order.
    std::vector<TurnRequest> requests(const std::string& agent) {
        std::lock_guard lock(m_mutex);
        return m_requests[agent];
    }
    int turns(const std::string& agent) { return static_cast<int>(requests(agent).size()); }
    bool metConcurrently() {
        std::lock_guard lock(m_mutex);
        return m_met;
    }

private:
    void meet(const std::string& agent) {
        std::unique_lock lock(m_mutex);
        m_waiting.insert(agent);
        if (m_waiting == m_rendezvous) {
            m_met = true;
            m_cv.notify_all();
            return;
        }
        m_cv.wait_for(lock, std::chrono::seconds(5), [this] { return m_met; });
    }

    std::map<std::string, std::vector<AgentTurn>> m_scripts;  // set before the run
    std::map<std::string, std::chrono::milliseconds> m_delays;
    std::set<std::string> m_rendezvous;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::set<std::string> m_waiting;                          // guarded by m_mutex
    bool m_met = false;                                       // guarded by m_mutex
    std::map<std::string, std::vector<TurnRequest>> m_requests;  // guarded by m_mutex
};

}  // namespace scripted
