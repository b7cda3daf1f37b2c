#pragma once
// TeamEvent: what a running team reports, one value per event, in the JSON Lines form of
// CLI.md "Agents" (`atelier-cli team run --json` prints toJson() of each):
//   {"event":"step","agent":A,"step":N,"content":..,"reasoning":..,"tool_calls":[..],"usage":{..}}
//   {"event":"tool_call","agent":A,"tool":T,"args":{..},"decision":"allow|deny|ask"[,"approval":..]}
//   {"event":"tool_result","agent":A,"tool":T,"ok":true,"result":".."} (or "error":"..")
//   {"event":"delegate","from":M,"to":W,"task":".."}
//   {"event":"done","status":"ok|failed|budget_exhausted|cancelled|truncated","report":".."}
//   {"event":"tool_progress","agent":A,"tool":T,"progress":P[,"total":N][,"message":".."]}
// Every event but tool_progress is persisted as an agent step (kind = the event name, payload =
// the JSON) before observers see it, so a run's events can be replayed from the session store
// alone. tool_progress (an MCP server's progress notification during a call, between its
// tool_call and tool_result) is only shown to observers: a resumed run re-uses the stored
// result and does not repeat it.
// Thread-safety: value types.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/session_store.h"
#include "atelier/base/result.h"

namespace atelier::agents {

// How an agent (and the run, through its root agent) ended. Persisted as runStatusName():
// never reuse or rename a value. Truncated: a turn ran out of tokens (the per-turn limit or the
// context) before its answer or inside a tool call; the report says where.
enum class RunStatus { Ok, Failed, BudgetExhausted, Cancelled, Truncated };
// "ok", "failed", "budget_exhausted", "cancelled", "truncated"
std::string runStatusName(RunStatus status);
std::optional<RunStatus> runStatusFromName(const std::string& name);

enum class TeamEventKind { Step, ToolCall, ToolResult, Delegate, Done, ToolProgress };
std::string teamEventKindName(TeamEventKind kind);  // "step", "tool_call", ...
std::optional<TeamEventKind> teamEventKindFromName(const std::string& name);

struct TeamEvent {
    TeamEventKind kind = TeamEventKind::Step;
    nlohmann::json json;  // the whole JSON line, "event" included

    std::string agent() const;  // "agent", or "from" for a delegate event
    // Compact JSON; bytes that are not UTF-8 become U+FFFD rather than an exception.
    std::string toJsonLine() const { return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
};

// The events of run `runId` as they were persisted, in order, without a model.
Result<std::vector<TeamEvent>> replayRun(SessionStore& store, std::int64_t runId);

}  // namespace atelier::agents
