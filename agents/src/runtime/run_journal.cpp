// RunJournal: persisting a team run's events and handing them back on resume.

#include "run_journal.h"

#include "atelier/base/log.h"

namespace atelier::agents {

Result<void> RunJournal::load() {
    auto steps = m_store.steps(m_runId);
    if (!steps) return unexpected(steps.error());
    std::lock_guard lock(m_mutex);
    for (const auto& s : *steps) {  // in step order per agent (id order)
        m_nextIndex[s.agent] = std::max(m_nextIndex[s.agent], s.stepIndex + 1);
        if (!teamEventKindFromName(s.kind)) continue;  // the start record
        auto payload = nlohmann::json::parse(s.payload, nullptr, false);
        if (payload.is_discarded())
            return unexpected(Error::badInput("run " + std::to_string(m_runId) + ": step " +
                                              std::to_string(s.id) + " has a malformed payload"));
        // What a cancelled run left (its interrupted turn, the results and the done event that
        // reported the cancellation) is done again on resume.
        const bool cancelled = payload.value("cancelled", false) || payload.value("status", "") == "cancelled";
        if (!cancelled) m_stored[s.agent].push_back(std::move(payload));
    }
    return {};
}

Result<void> RunJournal::writeStart(const nlohmann::json& payload) {
    std::lock_guard lock(m_mutex);
    AgentStep step;
    step.runId = m_runId;
    step.agent = kRunStartAgent;
    step.stepIndex = m_nextIndex[kRunStartAgent]++;
    step.kind = kRunStartKind;
    step.payload = payload.dump();
    step.status = "ok";
    auto id = m_store.addStep(step);
    if (!id) return unexpected(id.error());
    return {};
}

std::optional<nlohmann::json> RunJournal::take(const std::string& instance, TeamEventKind kind) {
    std::lock_guard lock(m_mutex);
    auto it = m_stored.find(instance);
    if (it == m_stored.end() || it->second.empty()) return std::nullopt;
    auto& front = it->second.front();
    if (front.value("event", "") != teamEventKindName(kind)) {
        // The stored run went another way than this one; the rest of it cannot be re-used.
        logger("agents")->warn("run {}: {} stored a {} where a {} was expected; continuing live",
                               m_runId, instance, front.value("event", "?"), teamEventKindName(kind));
        it->second.clear();
        return std::nullopt;
    }
    nlohmann::json out = std::move(front);
    it->second.pop_front();
    if (m_observer) m_observer(TeamEvent{kind, out});
    return out;
}

void RunJournal::emit(const std::string& instance, const TeamEvent& event) {
    std::lock_guard lock(m_mutex);
    if (!m_failure) {
        AgentStep step;
        step.runId = m_runId;
        step.agent = instance;
        step.stepIndex = m_nextIndex[instance]++;
        step.kind = teamEventKindName(event.kind);
        step.payload = event.toJsonLine();
        step.status = "ok";
        auto id = m_store.addStep(step);
        auto message = id ? addMessage(event) : Result<void>(id.error());
        if (!message) {
            logger("agents")->error("run {}: cannot persist a step: {}", m_runId, message.error().message);
            m_failure = message.error();
        }
    }
    if (m_observer) m_observer(event);
}

void RunJournal::notify(const TeamEvent& event) {
    std::lock_guard lock(m_mutex);
    if (m_observer) m_observer(event);
}

// The transcript form of a model turn (assistant) or a tool result (tool).
Result<void> RunJournal::addMessage(const TeamEvent& event) {
    const auto& j = event.json;
    Message m;
    m.sessionId = m_sessionId;
    m.agent = event.agent();
    if (event.kind == TeamEventKind::Step) {
        m.role = "assistant";
        m.content = j.value("content", "");
        m.reasoning = j.value("reasoning", "");
        if (!j.value("tool_calls", nlohmann::json::array()).empty())
            m.toolCalls = j["tool_calls"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (event.kind == TeamEventKind::ToolResult) {
        m.role = "tool";
        const bool ok = j.value("ok", false);
        m.content = j.value("tool", "");
        m.toolResults = ok ? j.value("result", "") : "error: " + j.value("error", "");
    } else {
        return {};
    }
    auto id = m_store.addMessage(m);
    if (!id) return unexpected(id.error());
    return {};
}

void RunJournal::recordApproval(const Approval& approval) {
    std::lock_guard lock(m_mutex);
    if (m_failure) return;
    if (auto id = m_store.addApproval(approval); !id) m_failure = id.error();
}

std::optional<Error> RunJournal::failure() const {
    std::lock_guard lock(m_mutex);
    return m_failure;
}

}  // namespace atelier::agents
