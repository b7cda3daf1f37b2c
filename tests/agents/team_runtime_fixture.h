#pragma once
// Shared by the team runtime tests: a workspace with documents, a data folder with the session
// store and audit log, the real tool plugins, a two-worker team, and a runner that collects
// every event a run emits.

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/team_runtime.h"
#include "atelier/agents/tool.h"
#include "scripted_test_model.h"

namespace fixture {

namespace fs = std::filesystem;
using namespace atelier::agents;

inline void writeFile(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A manager with two workers; `rootExtra`/`workerExtra` replace the approval lines.
inline std::string teamText(const std::string& approval = "auto", const std::string& budgets =
                                "{tokens: 50000, steps: 6, wall_seconds: 600, depth: 0}") {
    return "---\nname: test-team\ndescription: two workers\nagent:\n  name: manager\n"
           "  tools: [delegate, files_list]\n  grants:\n    - path: ${workspace}\n      access: read\n"
           "  budgets: {tokens: 100000, steps: 8, wall_seconds: 600, depth: 1}\n  approval: " + approval + "\n"
           "  workers:\n"
           "    - name: reader\n      role: You read.\n      tools: [files_read, files_search]\n"
           "      grants:\n        - path: ${workspace}/docs\n          access: read\n"
           "      budgets: " + budgets + "\n      approval: " + approval + "\n"
           "    - name: critic\n      role: You check.\n      tools: [files_read]\n"
           "      grants:\n        - path: ${workspace}/docs\n          access: read\n"
           "      budgets: " + budgets + "\n      approval: " + approval + "\n"
           "---\nYou manage.\n";
}

// A compact signature of an event for exact sequence comparisons.
inline std::string sig(const TeamEvent& e) {
    const auto& j = e.json;
    const std::string kind = j.value("event", "?");
    if (kind == "step") return j.value("agent", "") + " step";
    if (kind == "tool_call") {
        std::string s = j.value("agent", "") + " tool_call " + j.value("tool", "") + " " + j.value("decision", "");
        if (j.contains("approval")) s += " " + j.value("approval", "");
        return s;
    }
    if (kind == "tool_result")
        return j.value("agent", "") + " tool_result " + j.value("tool", "") + (j.value("ok", false) ? " ok" : " error");
    if (kind == "delegate") return j.value("from", "") + " delegate " + j.value("to", "");
    if (kind == "done") return "done " + j.value("status", "");
    return kind;
}

inline std::vector<std::string> sigs(const std::vector<TeamEvent>& events, const std::string& agent = "") {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (agent.empty() || e.agent() == agent) out.push_back(sig(e));
    return out;
}

inline nlohmann::json withoutRunId(nlohmann::json j) {
    j.erase("run_id");
    return j;
}

struct Env {
    QTemporaryDir tmp;
    fs::path root = fs::path(tmp.path().toStdString());
    fs::path workspace = root / "ws";
    fs::path dataDir = root / "data";
    std::unique_ptr<SessionStore> store;
    std::unique_ptr<AuditLog> audit;
    ToolRegistry registry;

    Env() {
        writeFile(workspace / "docs" / "a.txt", "alpha line one\nthe answer is 42\n");
        writeFile(workspace / "docs" / "b.txt", "beta says the answer is 43\n");
        writeFile(workspace / "secret.txt", "TOP-SECRET-OUTSIDE-DOCS\n");
        fs::create_directories(dataDir);
        auto s = SessionStore::open(DataPaths{dataDir}.sessionsDb());
        if (!s) qFatal("%s", s.error().message.c_str());
        store = std::make_unique<SessionStore>(std::move(*s));
        auto a = AuditLog::open(DataPaths{dataDir}.auditDb());
        if (!a) qFatal("%s", a.error().message.c_str());
        audit = std::make_unique<AuditLog>(std::move(*a));
        auto n = registry.loadPlugins(ATELIER_BINARY_DIR "/lib/plugins");
        if (!n || *n == 0) qFatal("no tool plugins in %s", ATELIER_BINARY_DIR "/lib/plugins");
    }

    Team team(const std::string& text) {
        auto t = parseTeam(text, root / "team.md", workspace);
        if (!t) qFatal("%s", t.error().message.c_str());
        return *t;
    }

    TeamRuntimeOptions options(std::vector<TeamEvent>& events, std::mutex& mutex) {
        TeamRuntimeOptions o;
        o.workspace = workspace;
        o.dataDir = dataDir;
        o.sharedPrefix = "Shared documents of the team.\n";
        o.onEvent = [&events, &mutex](const TeamEvent& e) {
            std::lock_guard lock(mutex);
            events.push_back(e);
        };
        return o;
    }
};

// A test tool that runs `body` with the call's context.
class FnTool final : public Tool {
public:
    using Body = std::function<atelier::Result<ToolResult>(const ToolContext&)>;
    FnTool(std::string name, Body body) : m_name(std::move(name)), m_body(std::move(body)) {}
    std::string name() const override { return m_name; }
    std::string description() const override { return "test tool"; }
    nlohmann::json parameters() const override { return {{"type", "object"}}; }
    std::uint32_t capabilities() const override { return 0; }
    atelier::Result<ToolResult> run(const nlohmann::json&, const ToolContext& ctx) const override { return m_body(ctx); }

private:
    std::string m_name;
    Body m_body;
};

struct Ran {
    atelier::Result<RunOutcome> outcome = atelier::Error::internal("not run");
    std::vector<TeamEvent> events;
};

// Runs `team` on `task`; `tweak` adjusts the options.
template <typename Tweak>
Ran runTeam(Env& env, const Team& team, AgentModel& model, const std::string& task, Tweak tweak) {
    Ran r;
    std::mutex mutex;
    auto o = env.options(r.events, mutex);
    tweak(o);
    TeamRuntime rt(team, model, env.registry, *env.store, env.audit.get(), o);
    r.outcome = rt.run(task);
    return r;
}
inline Ran runTeam(Env& env, const Team& team, AgentModel& model, const std::string& task) {
    return runTeam(env, team, model, task, [](TeamRuntimeOptions&) {});
}

}  // namespace fixture
