// ctest-labels: unit
// MCP progress in a team run (#20): the tests' MCP server (mcp_test_server --progress, in the
// sandbox) sends three notifications/progress during a call of its `progress` tool; in a team
// run each becomes a tool_progress event of the calling agent (agent, tool, progress, total,
// message) between the call's tool_call and tool_result, shown to the observer and not stored
// (a replay of the run has none). Outside a run the same notifications reach McpOptions'
// onProgress, as `tool run` prints them. Skipped where bubblewrap cannot sandbox.

#include <filesystem>
#include <thread>

#include "atelier/agents/mcp_tool.h"
#include "atelier/agents/sandbox.h"
#include "atelier/agents/tool_progress.h"
#include "team_runtime_fixture.h"

using namespace fixture;
using namespace scripted;
using Strings = std::vector<std::string>;

namespace {

const fs::path kServer = fs::path(ATELIER_BINARY_DIR) / "tests" / "mcp_test_server";

std::string soloTeam() {
    return "---\nname: progress-team\ndescription: one agent with the progress tool\nagent:\n  name: solo\n"
           "  tools: [test__progress]\n  grants:\n    - path: ${workspace}\n      access: read\n"
           "  budgets: {tokens: 50000, steps: 4, wall_seconds: 600, depth: 0}\n  approval: auto\n"
           "---\nYou report progress.\n";
}

}  // namespace

class TestTeamMcpProgress : public QObject {
    Q_OBJECT
private slots:
    void progressBecomesEventsOfTheCallingAgent() {
        if (auto ok = atelier::agents::sandbox::available(); !ok)
            QSKIP(("bubblewrap cannot sandbox on this machine: " + ok.error().message).c_str());
        QVERIFY2(fs::exists(kServer), kServer.c_str());
        Env env;
        std::vector<McpProgress> outside;
        McpOptions options;
        options.onProgress = [&outside](const McpProgress& p) { outside.push_back(p); };
        const Policy serverPolicy({{env.workspace, Access::Read}});
        auto added = addMcpTools(env.registry, {McpServerConfig{"test", kServer.string(), {"--progress"}, {}}},
                                 serverPolicy, options);
        QVERIFY2(added.has_value(), added ? "" : added.error().message.c_str());

        const Team team = env.team(soloTeam());
        ScriptedTestModel model;
        model.script("solo", {calls({call("test__progress", nlohmann::json::object())}), answer("done")});
        Ran r = runTeam(env, team, model, "Report progress");
        QVERIFY2(r.outcome.has_value(), r.outcome ? "" : r.outcome.error().message.c_str());
        QCOMPARE(r.outcome->status, RunStatus::Ok);
        QCOMPARE(sigs(r.events),
                 (Strings{"solo step", "solo tool_call test__progress allow", "tool_progress", "tool_progress",
                          "tool_progress", "solo tool_result test__progress ok", "solo step", "done ok"}));
        for (int i = 1; i <= 3; ++i) {
            const TeamEvent& e = r.events[std::size_t(1 + i)];
            QCOMPARE(e.kind, TeamEventKind::ToolProgress);
            const nlohmann::json expected = {{"event", "tool_progress"}, {"agent", "solo"}, {"tool", "test__progress"},
                                             {"progress", double(i)}, {"total", 3.0},
                                             {"message", "step " + std::to_string(i) + " of 3"}};
            QVERIFY2(e.json == expected, e.toJsonLine().c_str());
        }
        QVERIFY(outside.empty());  // inside the run, nothing reached the caller's onProgress

        // Shown, not stored: the run replays without them.
        auto replay = replayRun(*env.store, r.outcome->runId);
        QVERIFY2(replay.has_value(), replay ? "" : replay.error().message.c_str());
        QCOMPARE(sigs(*replay), (Strings{"solo step", "solo tool_call test__progress allow",
                                         "solo tool_result test__progress ok", "solo step", "done ok"}));

        // Outside a run (`tool run`), the caller's onProgress has them.
        const PolicyToolContext ctx(serverPolicy, env.workspace);
        auto direct = env.registry.call("test__progress", nlohmann::json::object(), ctx);
        QVERIFY2(direct.has_value(), direct ? "" : direct.error().message.c_str());
        QCOMPARE(outside.size(), std::size_t(3));
        QCOMPARE(outside[2].progress, 3.0);
        QCOMPARE(outside[2].total.value_or(0), 3.0);
        QCOMPARE(outside[2].message, std::string("step 3 of 3"));
        QCOMPARE(outside[2].tool, std::string("progress"));
    }

    // Scopes are per thread and nest: the innermost scope of the reporting thread gets it.
    void scopesArePerThreadAndNest() {
        std::vector<std::string> got;
        QVERIFY(!reportToolProgress({1, std::nullopt, "none"}));
        {
            const ToolProgressScope outer([&got](const ToolProgress& p) { got.push_back("outer " + p.message); });
            QVERIFY(reportToolProgress({1, std::nullopt, "a"}));
            {
                const ToolProgressScope inner([&got](const ToolProgress& p) { got.push_back("inner " + p.message); });
                QVERIFY(reportToolProgress({2, 3.0, "b"}));
                bool otherThread = true;
                std::thread([&otherThread] { otherThread = reportToolProgress({0, std::nullopt, "x"}); }).join();
                QVERIFY(!otherThread);
            }
            QVERIFY(reportToolProgress({3, std::nullopt, "c"}));
        }
        QVERIFY(!reportToolProgress({4, std::nullopt, "d"}));
        QCOMPARE(got, (Strings{"outer a", "inner b", "outer c"}));
    }
};

QTEST_APPLESS_MAIN(TestTeamMcpProgress)
#include "test_team_mcp_progress.moc"
