#pragma once
// The state one team run shares between its agent threads (TeamRuntime::Impl), and the entry
// point that runs one agent instance (agent_loop.cpp). Private to the runtime.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "atelier/agents/team_runtime.h"
#include "run_journal.h"

namespace atelier::agents {

struct AgentOutcome {
    RunStatus status = RunStatus::Failed;
    std::string report;
};

struct TeamRuntime::Impl {
    const Team& team;
    AgentModel& model;
    const ToolRegistry& tools;
    SessionStore& store;           // used by the journal only while a run is going
    AuditLog* audit;               // may be null; guarded by auditMutex
    TeamRuntimeOptions options;
    std::string sharedPrefix;      // of the current run
    std::unique_ptr<RunJournal> journal;

    // Audit appends, one at a time (the audit log is one SQLite connection). Tool runs are not
    // serialised: one slow tool must not stall every other agent.
    std::mutex auditMutex;
    std::mutex instanceMutex;
    std::map<std::string, int> instances;  // guarded by instanceMutex: per agent name

    // "reader" for the first instance of an agent in this run, "reader#2" for the second...
    std::string newInstance(const std::string& agent);
    void auditRecord(AuditKind kind, const std::string& actor, nlohmann::json payload);
    // Where the audit log stands now (none without a log, or when it cannot be read: logged).
    std::optional<AuditHead> auditHead();
};

// Runs one agent instance on `task` to its end. `depthLeft`: how many levels it may still
// delegate down. Blocks; runs delegated workers on their own threads.
AgentOutcome runAgent(TeamRuntime::Impl& rt, const AgentSpec& spec, const std::string& instance,
                      const std::string& task, int depthLeft);

}  // namespace atelier::agents
