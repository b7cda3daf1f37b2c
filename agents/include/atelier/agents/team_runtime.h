#pragma once
// TeamRuntime: runs a team (team.h) on a task. The root agent (the manager) talks to the model;
// it gets a `delegate` tool (arguments: agent, task) naming each of its workers, and a worker's
// final answer is that call's result. The delegate calls of one turn run concurrently, each
// worker on its own thread, all on the one AgentModel (the engine batches them).
//
// Every agent's conversation starts with the same system text, `sharedPrefix` (the team's
// shared documents), so the engine prefills it once and forks it for every worker.
//
// Every tool call is checked against the calling agent's own spec: the tool must be among its
// tools, paths are resolved by a Policy built from its own grants (nothing a document or a
// model says can change them), then the approval mode decides: auto, ask for writes, ask for
// all ("ask" goes to `approve`; without one it is denied). Policy decisions, approvals, prompts
// and tool calls go to the audit log when one is given.
//
// Loop guards: per agent, model turns (steps), tokens (uncached prompt + generated) and wall
// time (checked before each turn; a turn still generating when it ends is stopped, and a tool
// call running when it ends is told to stop: every tool call's deadline is the earlier of
// `toolTimeout` and the end of the wall budget); an identical call (same tool and arguments)
// made more than `maxIdenticalCalls` times stops the agent (failed); delegation depth (the
// agent's budget, and `maxDelegationDepth` levels below the root) refuses deeper delegate calls.
//
// Persistence: every event is written to the session store (a run row, one agent step per
// event, approvals) before observers see it. resume() re-runs the team over the persisted
// steps: turns, decisions and results found there are reused (and re-emitted, not re-written),
// and the run continues live from the first step that is missing.
//
// Threads: run()/resume() block the calling thread until the run ends. Tool calls of different
// agents run concurrently (only their audit appends are serialised). `onEvent` and `approve`
// are called from agent threads, onEvent one event at a time (never concurrently); both may
// block (a GUI bridge can post to its thread and wait for the answer). `onTurnEvent` may run on
// the model's own thread (the engine's scheduler) and must only queue. `stop` may be requested
// from any thread; the run then ends "cancelled" and can be resumed.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "atelier/agents/agent_model.h"
#include "atelier/agents/audit_log.h"
#include "atelier/agents/session_store.h"
#include "atelier/agents/team.h"
#include "atelier/agents/team_event.h"
#include "atelier/agents/tool_registry.h"

namespace atelier::agents {

struct ApprovalRequest {
    std::string agent;
    std::string tool;
    nlohmann::json args;
};

struct TeamRuntimeOptions {
    std::filesystem::path workspace;  // relative tool paths resolve against it
    std::filesystem::path dataDir;    // Atelier's data folder: denied to every tool
    std::string sharedPrefix;         // the first system message of every agent
    std::int64_t maxTokensPerTurn = 0;   // 0: the model's own limit
    std::int64_t tokenBudgetCap = 0;     // caps every agent's token budget (0: the team's)
    int maxIdenticalCalls = 2;
    int maxDelegationDepth = 4;
    // The longest one tool call may run (ToolContext::deadline); 0: only the wall budget bounds it.
    std::chrono::milliseconds toolTimeout{120000};
    ConstraintFactory constraint;        // put on every turn when set
    // When set, replaces `constraint` on each agent's first turn (e.g. one that requires a tool
    // call, so even a model that would never start one delegates or reads before answering).
    ConstraintFactory firstTurnConstraint;
    // Answers an "ask" decision: true allows. Null: every "ask" is denied.
    std::function<bool(const ApprovalRequest&)> approve;
    std::string approvedBy = "user";     // recorded with each approval
    std::function<void(const TeamEvent&)> onEvent;
    std::function<void(const std::string& agent, const TurnEvent&)> onTurnEvent;  // live deltas
    std::function<void(std::int64_t runId)> onRunStarted;  // once the run row exists
    std::stop_token stop;
};

struct RunOutcome {
    std::int64_t runId = 0;
    std::int64_t sessionId = 0;
    RunStatus status = RunStatus::Failed;
    std::string report;
};

class TeamRuntime {
public:
    // Everything is borrowed and must outlive the runtime; `audit` may be null.
    TeamRuntime(const Team& team, AgentModel& model, const ToolRegistry& tools,
                SessionStore& store, AuditLog* audit, TeamRuntimeOptions options);
    ~TeamRuntime();
    TeamRuntime(const TeamRuntime&) = delete;
    TeamRuntime& operator=(const TeamRuntime&) = delete;

    // Creates a team session and a run, and runs `task` to the end.
    Result<RunOutcome> run(const std::string& task);
    // Continues run `runId` (running or cancelled) of this team from its persisted steps.
    // The task and shared prefix come from the store; options.sharedPrefix is ignored.
    Result<RunOutcome> resume(std::int64_t runId);

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

// The shared document prefix for a team working in `workspace`: the team's name and
// description, the workspace and a listing of its files (at most `maxFiles`, hidden entries
// skipped), the same text for every agent so the engine prefills it once.
std::string teamSharedPrefix(const Team& team, const std::filesystem::path& workspace, int maxFiles = 200);

// What a persisted run was started with (its first step), for `team run --resume`.
struct RunStart {
    std::string team;           // the team's name
    std::string teamFile;       // the file it was loaded from
    std::string workspace;
    std::string task;
    std::string sharedPrefix;
};
Result<RunStart> runStart(SessionStore& store, std::int64_t runId);

}  // namespace atelier::agents
