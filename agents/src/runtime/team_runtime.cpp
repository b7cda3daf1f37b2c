// TeamRuntime: a run's session, run row and start record; the root agent; the done event.

#include "atelier/agents/team_runtime.h"

#include <algorithm>

#include "atelier/base/log.h"
#include "atelier/base/utf8.h"
#include "runtime_state.h"

namespace atelier::agents {

std::string TeamRuntime::Impl::newInstance(const std::string& agent) {
    std::lock_guard lock(instanceMutex);
    const int n = ++instances[agent];
    return n == 1 ? agent : agent + "#" + std::to_string(n);
}

void TeamRuntime::Impl::auditRecord(AuditKind kind, const std::string& actor, nlohmann::json payload) {
    if (!audit) return;
    std::lock_guard lock(auditMutex);
    if (auto r = audit->append(kind, actor, std::move(payload)); !r)
        logger("agents")->error("cannot append to the audit log: {}", r.error().message);
}

std::optional<AuditHead> TeamRuntime::Impl::auditHead() {
    if (!audit) return std::nullopt;
    std::lock_guard lock(auditMutex);
    auto head = audit->head();
    if (!head) {
        logger("agents")->error("cannot read the audit log's head: {}", head.error().message);
        return std::nullopt;
    }
    return *head;
}

TeamRuntime::TeamRuntime(const Team& team, AgentModel& model, const ToolRegistry& tools,
                         SessionStore& store, AuditLog* audit, TeamRuntimeOptions options)
    : m_impl(new Impl{team, model, tools, store, audit, std::move(options), {}, {}, {}, {}, {}}) {}

TeamRuntime::~TeamRuntime() = default;

namespace {

// Runs the root agent over the journal, then emits the done event and closes the run.
Result<RunOutcome> runRoot(TeamRuntime::Impl& rt, std::int64_t sessionId, const std::string& task) {
    rt.instances.clear();
    const AgentSpec& root = rt.team.root;
    const int depth = std::min(root.budgets.delegationDepth, rt.options.maxDelegationDepth);
    const std::string instance = rt.newInstance(root.name);
    AgentOutcome out = runAgent(rt, root, instance, task, depth);
    if (auto f = rt.journal->failure()) return unexpected(*f);
    const std::int64_t runId = rt.journal->runId();
    if (!rt.journal->take(instance, TeamEventKind::Done))
        rt.journal->emit(instance, TeamEvent{TeamEventKind::Done,
                                             {{"event", "done"}, {"status", runStatusName(out.status)},
                                              {"report", out.report}, {"run_id", runId}}});
    if (auto f = rt.journal->failure()) return unexpected(*f);
    if (auto r = rt.store.finishRun(runId, runStatusName(out.status), 0, rt.auditHead()); !r)
        return unexpected(r.error());
    if (sessionId > 0) {
        Message m;
        m.sessionId = sessionId;
        m.role = "assistant";
        m.content = out.report;
        m.agent = root.name;
        if (auto r = rt.store.addMessage(m); !r) return unexpected(r.error());
    }
    return RunOutcome{runId, sessionId, out.status, out.report};
}

// The session and status of run `runId` (SessionStore has no lookup by run id).
Result<std::pair<std::int64_t, std::string>> runRow(SessionStore& store, std::int64_t runId) {
    auto stmt = store.database().prepare("SELECT session_id, status FROM runs WHERE id = ?1");
    if (!stmt) return unexpected(stmt.error());
    ATELIER_TRY_VOID(stmt->bindAll(runId));
    auto row = stmt->step();
    if (!row) return unexpected(row.error());
    if (!*row) return unexpected(Error::notFound("no run " + std::to_string(runId)));
    return std::make_pair(stmt->columnInt(0), std::string(stmt->columnText(1)));
}

}  // namespace

Result<RunOutcome> TeamRuntime::run(const std::string& task) {
    Impl& rt = *m_impl;
    Session s;
    s.title = rt.team.name + ": " + base::truncateUtf8(task, 80);
    s.kind = SessionKind::Team;
    s.folder = rt.options.workspace.string();
    auto sessionId = rt.store.createSession(s);
    if (!sessionId) return unexpected(sessionId.error());
    Message user;
    user.sessionId = *sessionId;
    user.role = "user";
    user.content = task;
    if (auto r = rt.store.addMessage(user); !r) return unexpected(r.error());
    Run run;
    run.sessionId = *sessionId;
    run.team = rt.team.name;
    run.task = task;
    auto runId = rt.store.createRun(run);
    if (!runId) return unexpected(runId.error());
    rt.sharedPrefix = rt.options.sharedPrefix;
    rt.journal = std::make_unique<RunJournal>(rt.store, *sessionId, *runId, rt.options.onEvent);
    if (rt.options.onRunStarted) rt.options.onRunStarted(*runId);
    ATELIER_TRY_VOID(rt.journal->writeStart({{"team", rt.team.name}, {"team_file", rt.team.source.string()},
                                             {"workspace", rt.options.workspace.string()},
                                             {"task", task}, {"shared_prefix", rt.sharedPrefix}}));
    return runRoot(rt, *sessionId, task);
}

Result<RunOutcome> TeamRuntime::resume(std::int64_t runId) {
    Impl& rt = *m_impl;
    auto row = runRow(rt.store, runId);
    if (!row) return unexpected(row.error());
    if (row->second != "running" && row->second != "cancelled")
        return unexpected(Error::badInput("run " + std::to_string(runId) + " already ended with status " +
                                          row->second + "; only running or cancelled runs resume"));
    auto start = runStart(rt.store, runId);
    if (!start) return unexpected(start.error());
    if (start->team != rt.team.name)
        return unexpected(Error::badInput("run " + std::to_string(runId) + " belongs to team '" + start->team +
                                          "', not '" + rt.team.name + "'"));
    rt.sharedPrefix = start->sharedPrefix;
    rt.journal = std::make_unique<RunJournal>(rt.store, row->first, runId, rt.options.onEvent);
    ATELIER_TRY_VOID(rt.journal->load());
    if (rt.options.onRunStarted) rt.options.onRunStarted(runId);
    return runRoot(rt, row->first, start->task);
}

std::string teamSharedPrefix(const Team& team, const std::filesystem::path& workspace, int maxFiles) {
    namespace fs = std::filesystem;
    std::string text = "Team: " + team.name + (team.description.empty() ? "" : " - " + team.description) +
                       "\nWorkspace: " + workspace.string() + "\nFiles in the workspace:\n";
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(workspace, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && static_cast<int>(files.size()) < maxFiles; it.increment(ec)) {
        if (it->path().filename().string().starts_with(".")) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec)) files.push_back(it->path().lexically_relative(workspace).string());
    }
    std::sort(files.begin(), files.end());  // the same text whatever order the folder lists in
    for (const auto& f : files) text += "- " + f + "\n";
    if (static_cast<int>(files.size()) >= maxFiles) text += "- ... (more files not listed)\n";
    return text;
}

}  // namespace atelier::agents
