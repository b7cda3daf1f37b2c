// One agent instance's conversation: turns from the model (or from the journal on resume),
// tool calls through the gate, delegate calls to workers on their own threads, loop guards.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <optional>
#include <thread>

#include "atelier/agents/tool_schema.h"
#include "atelier/base/utf8.h"
#include "runtime_state.h"
#include "tool_gate.h"

namespace atelier::agents {
namespace {

using Clock = std::chrono::steady_clock;
using engine::ChatMessage;
using engine::ChatRole;

nlohmann::json delegateSchema(const AgentSpec& spec) {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& w : spec.workers) names.push_back(w.name);
    return {{"type", "object"},
            {"properties", {{"agent", {{"type", "string"}, {"enum", names}}},
                            {"task", {{"type", "string"}}}}},
            {"required", {"agent", "task"}}};
}

std::vector<ToolSpec> offeredTools(const TeamRuntime::Impl& rt, const AgentSpec& spec) {
    std::vector<ToolSpec> out;
    for (const auto& name : spec.tools) {
        if (name == "delegate") {
            if (!spec.workers.empty())
                out.push_back({"delegate", "Hand a task to one of your workers; their final answer is the result.",
                               delegateSchema(spec)});
        } else if (const Tool* t = rt.tools.find(name)) {
            out.push_back({t->name(), t->description(), t->parameters()});
        }
    }
    return out;
}

AgentTurn turnFromJson(const nlohmann::json& j) {
    AgentTurn t;
    t.content = j.value("content", "");
    t.reasoning = j.value("reasoning", "");
    t.formatError = j.value("format_error", "");
    t.truncated = j.value("truncated", false);
    t.cancelled = j.value("cancelled", false);
    const std::string cut = j.value("truncated_in", "");
    for (TurnCut c : {TurnCut::Reasoning, TurnCut::Content, TurnCut::ToolCall})
        if (cut == turnCutName(c)) t.cut = c;
    t.cutTool = j.value("truncated_tool", "");
    for (const auto& c : j.value("tool_calls", nlohmann::json::array()))
        t.toolCalls.push_back({c.value("name", ""), c.value("arguments", "")});
    const auto u = j.value("usage", nlohmann::json::object());
    t.usage = {u.value("prompt_tokens", std::int64_t(0)), u.value("cached_tokens", std::int64_t(0)),
               u.value("completion_tokens", std::int64_t(0))};
    return t;
}

nlohmann::json stepJson(const std::string& agent, int step, const AgentTurn& t) {
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& c : t.toolCalls) calls.push_back({{"name", c.name}, {"arguments", c.arguments}});
    nlohmann::json j = {{"event", "step"}, {"agent", agent},       {"step", step},
                        {"content", t.content}, {"reasoning", t.reasoning}, {"tool_calls", calls},
                        {"usage", t.usage.toJson()}};
    if (!t.formatError.empty()) j["format_error"] = t.formatError;
    if (t.truncated) j["truncated"] = true;
    if (t.cut != TurnCut::None) j["truncated_in"] = turnCutName(t.cut);
    if (t.cut == TurnCut::ToolCall && !t.cutTool.empty()) j["truncated_tool"] = t.cutTool;
    if (t.cancelled) j["cancelled"] = true;
    return j;
}

// Why a turn that ran out of tokens before its end ends the agent's run; `limit` is the turn's
// token limit (0: the context's end).
std::string truncationReason(const std::string& agent, const AgentTurn& t, std::int64_t limit) {
    std::string why = "agent '" + agent + "' ran out of tokens";
    if (limit > 0) why += " (" + std::to_string(limit) + " per turn)";
    switch (t.cut) {
    case TurnCut::ToolCall:
        why += t.cutTool.empty() ? " inside a tool call" : " inside a tool call to " + t.cutTool;
        break;
    case TurnCut::Reasoning: why += " while reasoning, before its answer"; break;
    case TurnCut::Content:
    case TurnCut::None: why += " in its answer"; break;
    }
    why += "; raise --max-tokens";
    if (t.cut == TurnCut::Content && !t.content.empty()) why += ". The answer so far: " + t.content;
    return why;
}

class AgentLoop {
public:
    AgentLoop(TeamRuntime::Impl& rt, const AgentSpec& spec, std::string instance, int depthLeft)
        : m_rt(rt), m_spec(spec), m_instance(std::move(instance)), m_depthLeft(depthLeft),
          m_tools(offeredTools(rt, spec)), m_start(Clock::now()) {
        m_tokenBudget = spec.budgets.tokens;
        if (rt.options.tokenBudgetCap > 0 && (m_tokenBudget <= 0 || rt.options.tokenBudgetCap < m_tokenBudget))
            m_tokenBudget = rt.options.tokenBudgetCap;
    }

    AgentOutcome run(const std::string& task);

private:
    struct Delegation {
        std::size_t call = 0;
        std::string instance;
        const AgentSpec* worker = nullptr;
        std::string task;
        AgentOutcome outcome;
        std::thread thread;
    };
    struct CallResult {
        bool ok = false;
        std::string text;
    };

    std::optional<AgentOutcome> guard() const;
    // When this agent's wall-time budget ends (time_point::max() without one).
    Clock::time_point wallEnd() const {
        return m_spec.budgets.wallSeconds > 0 ? m_start + std::chrono::seconds(m_spec.budgets.wallSeconds)
                                              : Clock::time_point::max();
    }
    Result<AgentTurn> nextTurn();
    std::optional<AgentOutcome> handleCalls(const AgentTurn& turn);
    std::optional<CallResult> startDelegation(const nlohmann::json& args, std::size_t call,
                                              std::vector<Delegation>& out);
    CallResult resultOf(const std::string& tool, const std::function<ToolOutcome()>& live,
                        nlohmann::json extra = nlohmann::json::object());
    std::string decide(const AgentToolCall& call, const nlohmann::json& shown, std::string& reason);
    void emit(TeamEventKind kind, nlohmann::json j) { m_rt.journal->emit(m_instance, TeamEvent{kind, std::move(j)}); }

    TeamRuntime::Impl& m_rt;
    const AgentSpec& m_spec;
    const std::string m_instance;
    const int m_depthLeft;
    const std::vector<ToolSpec> m_tools;
    const Clock::time_point m_start;
    std::int64_t m_tokenBudget = 0;
    std::int64_t m_turnLimit = 0;  // the last turn's token limit (0: none)
    std::vector<ChatMessage> m_messages;
    int m_steps = 0;
    std::int64_t m_tokens = 0;
    std::map<std::string, int> m_callCounts;  // tool + arguments -> times called
};

std::optional<AgentOutcome> AgentLoop::guard() const {
    if (m_rt.options.stop.stop_requested()) return AgentOutcome{RunStatus::Cancelled, "cancelled"};
    if (auto f = m_rt.journal->failure())
        return AgentOutcome{RunStatus::Failed, "cannot persist the run: " + f->message};
    const auto& b = m_spec.budgets;
    if (b.steps > 0 && m_steps >= b.steps)
        return AgentOutcome{RunStatus::BudgetExhausted,
                            "step budget exhausted: " + std::to_string(m_steps) + " of " + std::to_string(b.steps)};
    if (m_tokenBudget > 0 && m_tokens >= m_tokenBudget)
        return AgentOutcome{RunStatus::BudgetExhausted, "token budget exhausted: " + std::to_string(m_tokens) +
                                                            " of " + std::to_string(m_tokenBudget)};
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - m_start).count();
    if (b.wallSeconds > 0 && elapsed >= b.wallSeconds)
        return AgentOutcome{RunStatus::BudgetExhausted,
                            "wall-time budget exhausted: " + std::to_string(b.wallSeconds) + " s"};
    return std::nullopt;
}

Result<AgentTurn> AgentLoop::nextTurn() {
    if (auto stored = m_rt.journal->take(m_instance, TeamEventKind::Step)) return turnFromJson(*stored);
    TurnRequest req;
    req.agent = m_spec.name;
    req.messages = m_messages;
    req.tools = m_tools;
    req.maxTokens = m_rt.options.maxTokensPerTurn;
    if (m_tokenBudget > 0 && (req.maxTokens <= 0 || m_tokenBudget - m_tokens < req.maxTokens))
        req.maxTokens = std::max<std::int64_t>(1, m_tokenBudget - m_tokens);
    m_turnLimit = req.maxTokens;
    // The turn stops when the run is cancelled or, mid-turn, when the wall-time budget ends.
    std::stop_source turnStop;
    std::stop_callback link(m_rt.options.stop, [&turnStop] { turnStop.request_stop(); });
    std::jthread deadline;
    if (m_spec.budgets.wallSeconds > 0) {
        const auto until = m_start + std::chrono::seconds(m_spec.budgets.wallSeconds);
        deadline = std::jthread([&turnStop, until](std::stop_token finished) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            if (!cv.wait_until(lock, finished, until, [] { return false; }) && !finished.stop_requested())
                turnStop.request_stop();
        });
    }
    req.stop = turnStop.get_token();
    const bool firstCall = m_steps == 0 && m_rt.options.firstTurnConstraint;
    req.constraint = firstCall ? m_rt.options.firstTurnConstraint : m_rt.options.constraint;
    req.requireToolCall = firstCall && !req.tools.empty();
    if (m_rt.options.onTurnEvent)
        req.onEvent = [this](const TurnEvent& e) { m_rt.options.onTurnEvent(m_spec.name, e); };
    m_rt.auditRecord(AuditKind::Prompt, m_spec.name,
                     {{"instance", m_instance}, {"step", m_steps}, {"messages", m_messages.size()}});
    auto turn = m_rt.model.generate(req);
    if (!turn) return turn;
    emit(TeamEventKind::Step, stepJson(m_spec.name, m_steps, *turn));
    return turn;
}

AgentOutcome AgentLoop::run(const std::string& task) {
    ChatMessage shared{ChatRole::System, m_rt.sharedPrefix};
    ChatMessage role{ChatRole::System, "\n\nYou are the agent \"" + m_spec.name + "\" of the team \"" +
                                           m_rt.team.name + "\".\n" + m_spec.role};
    ChatMessage user{ChatRole::User, task};
    m_messages = {shared, role, user};
    for (;;) {
        if (auto stop = guard()) return *stop;
        auto turn = nextTurn();
        if (!turn) return AgentOutcome{RunStatus::Failed, "the model failed: " + turn.error().message};
        ++m_steps;
        m_tokens += std::max<std::int64_t>(0, turn->usage.promptTokens - turn->usage.cachedTokens) +
                    turn->usage.completionTokens;
        if (turn->cancelled) {
            if (auto stop = guard(); stop && stop->status == RunStatus::BudgetExhausted) return *stop;
            return AgentOutcome{RunStatus::Cancelled, turn->content};
        }
        if (turn->truncated && turn->cut != TurnCut::None) {
            // Out of tokens before the turn's end: a half-written call never runs, and neither
            // a cut answer nor reasoning is reported as the agent's answer.
            if (auto stop = guard(); stop && stop->status == RunStatus::BudgetExhausted) return *stop;
            return AgentOutcome{RunStatus::Truncated, truncationReason(m_spec.name, *turn, m_turnLimit)};
        }
        ChatMessage reply{ChatRole::Assistant, turn->content};
        reply.reasoningContent = turn->reasoning;
        for (std::size_t i = 0; i < turn->toolCalls.size(); ++i) {
            const auto& c = turn->toolCalls[i];
            // Bounded: a deeply nested object would overflow the stack when copied or dumped.
            auto args = parseJsonBounded(c.arguments, kMaxArgumentDepth);
            // The conversation must stay renderable: malformed arguments are shown as text.
            const std::string text = args.is_object() ? c.arguments : nlohmann::json{{"invalid_arguments", c.arguments}}.dump();
            reply.toolCalls.push_back({"call_" + std::to_string(m_steps) + "_" + std::to_string(i), c.name, text});
        }
        m_messages.push_back(reply);
        if (turn->toolCalls.empty()) return AgentOutcome{RunStatus::Ok, turn->content};
        if (auto stop = handleCalls(*turn)) return *stop;
    }
}

AgentLoop::CallResult AgentLoop::resultOf(const std::string& tool, const std::function<ToolOutcome()>& live,
                                          nlohmann::json extra) {
    if (auto stored = m_rt.journal->take(m_instance, TeamEventKind::ToolResult)) {
        const bool ok = stored->value("ok", false);
        m_tokens += std::max<std::int64_t>(0, stored->value("model_tokens", std::int64_t{0}));
        return {ok, stored->value(ok ? "result" : "error", "")};
    }
    ToolOutcome out = live();
    out.text = base::validUtf8(out.text);
    // The model's tokens the tool spent (an MCP server's sampling) count against this agent's
    // token budget, as its own turns do; the next guard() sees them.
    m_tokens += out.modelTokens;
    nlohmann::json j = {{"event", "tool_result"}, {"agent", m_spec.name}, {"tool", tool}, {"ok", out.ok}};
    j[out.ok ? "result" : "error"] = out.text;
    if (out.modelTokens > 0) j["model_tokens"] = out.modelTokens;
    if (out.truncated) j["truncated"] = true;
    if (!out.sources.empty()) j["sources"] = std::move(out.sources);  // where the UI opens citations
    j.update(extra);
    emit(TeamEventKind::ToolResult, std::move(j));
    return {out.ok, out.text};
}


// The call's decision ("allow", "deny", "ask" answered by `approval`), stored or made now.
// Returns whether the call may run.
std::string AgentLoop::decide(const AgentToolCall& c, const nlohmann::json& shown, std::string& reason) {
    if (auto stored = m_rt.journal->take(m_instance, TeamEventKind::ToolCall)) {
        reason = stored->value("reason", "");
        const std::string d = stored->value("decision", "deny");
        return d == "ask" ? stored->value("approval", "deny") : d;
    }
    const GateDecision d = decideToolCall(m_rt, m_spec, c.name);
    nlohmann::json j = {{"event", "tool_call"}, {"agent", m_spec.name}, {"tool", c.name},
                        {"args", shown},        {"decision", d.decision}};
    std::string effective = d.decision;
    if (d.decision == "ask") {
        effective = askApproval(m_rt, m_instance, m_spec, c.name, shown) ? "allow" : "deny";
        j["approval"] = effective;
        reason = "the call was not approved";
    } else {
        reason = d.reason;
    }
    if (d.decision == "deny") j["reason"] = d.reason;
    emit(TeamEventKind::ToolCall, std::move(j));
    return effective;
}

std::optional<AgentOutcome> AgentLoop::handleCalls(const AgentTurn& turn) {
    std::vector<Delegation> delegations;
    delegations.reserve(turn.toolCalls.size());  // the worker threads hold references into it
    std::vector<std::optional<CallResult>> results(turn.toolCalls.size());
    std::optional<AgentOutcome> stop;
    for (std::size_t i = 0; i < turn.toolCalls.size() && !stop; ++i) {
        const auto& c = turn.toolCalls[i];
        const auto args = parseJsonBounded(c.arguments, kMaxArgumentDepth);
        const nlohmann::json shown = args.is_discarded() ? nlohmann::json(c.arguments) : args;
        const int times = ++m_callCounts[c.name + "\n" + shown.dump()];
        if (times > m_rt.options.maxIdenticalCalls) {
            const std::string why = "loop guard: the identical call " + c.name + " " + shown.dump() +
                                    " was made " + std::to_string(times) + " times";
            if (!m_rt.journal->take(m_instance, TeamEventKind::ToolCall))
                emit(TeamEventKind::ToolCall, {{"event", "tool_call"}, {"agent", m_spec.name}, {"tool", c.name},
                                               {"args", shown}, {"decision", "deny"}, {"reason", why}});
            stop = AgentOutcome{RunStatus::Failed, why};
            break;
        }
        std::string reason;
        if (decide(c, shown, reason) != "allow") {
            results[i] = resultOf(c.name, [&] { return ToolOutcome{false, "refused: " + reason, false}; });
        } else if (!args.is_object()) {
            results[i] = resultOf(c.name, [&] {
                return ToolOutcome{false, "the arguments are not a JSON object: " + c.arguments, false};
            });
        } else if (c.name == "delegate") {
            results[i] = startDelegation(args, i, delegations);
        } else {
            results[i] = resultOf(c.name, [&] { return runTool(m_rt, m_spec, c.name, args, wallEnd()); });
        }
    }
    for (auto& d : delegations) d.thread.join();
    for (auto& d : delegations) {
        results[d.call] = resultOf("delegate", [&] {
            const bool ok = d.outcome.status == RunStatus::Ok;
            return ToolOutcome{ok, ok ? d.outcome.report
                                      : "worker '" + d.worker->name + "' ended with status " +
                                            runStatusName(d.outcome.status) + ": " + d.outcome.report,
                               false};
        }, {{"worker", d.worker->name}, {"status", runStatusName(d.outcome.status)}});
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (!results[i]) continue;
        ChatMessage m{ChatRole::Tool, results[i]->ok ? results[i]->text : "error: " + results[i]->text};
        m.toolCallId = "call_" + std::to_string(m_steps) + "_" + std::to_string(i);
        m_messages.push_back(std::move(m));
    }
    return stop;
}

// Starts a worker for a delegate call on its own thread; returns the call's result at once
// when it cannot start (no such worker, depth exhausted, bad arguments).
std::optional<AgentLoop::CallResult> AgentLoop::startDelegation(const nlohmann::json& args, std::size_t call,
                                                                std::vector<Delegation>& out) {
    const AgentSpec* worker = nullptr;
    std::string refusal;
    const auto name = args.find("agent");
    if (name != args.end() && name->is_string()) {
        for (const auto& w : m_spec.workers)
            if (w.name == name->get<std::string>()) worker = &w;
        if (!worker) refusal = "agent '" + m_spec.name + "' has no worker named '" + name->get<std::string>() + "'";
    }
    if (refusal.empty()) {
        if (auto valid = ToolRegistry::validateArguments(delegateSchema(m_spec), args); !valid)
            refusal = "invalid arguments: " + valid.error().message;
        else if (m_depthLeft <= 0)
            refusal = "delegation depth exhausted: agent '" + m_spec.name + "' may not delegate further";
    }
    if (!refusal.empty())
        return resultOf("delegate", [&] { return ToolOutcome{false, refusal, false}; });
    const std::string task = args["task"];
    if (!m_rt.journal->take(m_instance, TeamEventKind::Delegate))
        emit(TeamEventKind::Delegate,
             {{"event", "delegate"}, {"from", m_spec.name}, {"to", worker->name}, {"task", task}});
    Delegation& d = out.emplace_back();
    d.call = call;
    d.instance = m_rt.newInstance(worker->name);
    d.worker = worker;
    d.task = task;
    const int depth = std::min(worker->budgets.delegationDepth, m_depthLeft - 1);
    TeamRuntime::Impl& rt = m_rt;
    d.thread = std::thread([&rt, &d, depth] { d.outcome = runAgent(rt, *d.worker, d.instance, d.task, depth); });
    return std::nullopt;
}

}  // namespace

AgentOutcome runAgent(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& instance,
                      const std::string& task, int depthLeft) {
    AgentLoop loop(rt, spec, instance, depthLeft);
    return loop.run(task);
}

}  // namespace atelier::agents
