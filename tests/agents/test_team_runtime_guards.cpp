// ctest-labels: unit
// The team runtime's loop guards, each made to fire with the scripted test double: the step,
// token and wall-time budgets of an agent, an identical call repeated, delegation depth (the
// runtime's limit and an agent's own budget), and cancellation. A worker that hits a guard
// ends the delegate call with an error; the manager goes on. Budgets bind during tool calls
// too: the wall budget and the per-call timeout reach a running tool through its deadline, and
// one slow tool does not stall the other agents' tools.

#include <atomic>
#include <functional>
#include <stop_token>

#include "team_runtime_fixture.h"

using namespace fixture;
using namespace scripted;
using Strings = std::vector<std::string>;

class TestTeamRuntimeGuards : public QObject {
    Q_OBJECT
private slots:
    void workerStepBudget();
    void tokenBudgetEndsTheRun();
    void wallTimeBudget();
    void wallTimeStopsATurnInProgress();
    void identicalCallsStopTheAgent();
    void delegationDepth();
    void cancelledBeforeTheFirstTurn();
    void wallTimeStopsARunningToolCall();
    void everyToolCallHasADeadline();
    void aSlowToolDoesNotBlockOtherAgents();
    void aCallCutByTheTokenLimitEndsTruncated();
    void aWorkerCutWhileReasoningFailsItsDelegation();
    void aTurnCutAfterItsCallsRunsThem();
};

namespace {

AgentTurn readLines(int first) {
    return calls({call("files_read", {{"path", "docs/a.txt"}, {"start_line", first}, {"end_line", first}})});
}

// A turn the token limit ended at `cut` (the text is what the model had written).
AgentTurn cutTurn(TurnCut cut, const std::string& text, const std::string& tool = "") {
    AgentTurn t = answer(text);
    t.truncated = true;
    t.cut = cut;
    t.cutTool = tool;
    t.formatError = "offset 9: text ends inside an invoke";
    return t;
}

std::string delegateError(const Ran& r) {
    for (const auto& e : r.events)
        if (e.json["event"] == "tool_result" && e.json["tool"] == "delegate") return e.json.value("error", "");
    return "(no delegate result)";
}

}  // namespace

void TestTeamRuntimeGuards::workerStepBudget() {
    Env env;
    const Team team = env.team(teamText("auto", "{tokens: 50000, steps: 2, wall_seconds: 600, depth: 0}"));
    ScriptedTestModel model;
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "read"}})}), answer("gave up")});
    model.script("reader", {readLines(1), readLines(2), readLines(1), answer("never reached")});
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);  // the manager went on
    QCOMPARE(model.turns("reader"), 2);
    QCOMPARE(sigs(r.events, "reader"),
             (Strings{"reader step", "reader tool_call files_read allow", "reader tool_result files_read ok",
                      "reader step", "reader tool_call files_read allow", "reader tool_result files_read ok"}));
    QVERIFY(delegateError(r).find("budget_exhausted") != std::string::npos);
    QVERIFY(delegateError(r).find("step budget") != std::string::npos);
}

void TestTeamRuntimeGuards::tokenBudgetEndsTheRun() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    AgentTurn first = calls({call("files_list", {{"path", "docs"}})});
    first.usage = {150, 20, 10};  // 140 spent
    model.script("manager", {first, answer("never reached")});
    Ran r = runTeam(env, team, model, "t", [](TeamRuntimeOptions& o) {
        o.tokenBudgetCap = 100;
        o.maxTokensPerTurn = 500;
    });
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::BudgetExhausted);
    QCOMPARE(sigs(r.events), (Strings{"manager step", "manager tool_call files_list allow",
                                      "manager tool_result files_list ok", "done budget_exhausted"}));
    QVERIFY(r.outcome->report.find("token budget") != std::string::npos);
    // A turn may not generate more than the budget left.
    QCOMPARE(model.requests("manager").at(0).maxTokens, std::int64_t(100));
    auto runs = env.store->runs(r.outcome->sessionId);
    QCOMPARE(runs->front().status, std::string("budget_exhausted"));
}

void TestTeamRuntimeGuards::wallTimeBudget() {
    Env env;
    const Team team = env.team(teamText("auto", "{tokens: 50000, steps: 9, wall_seconds: 1, depth: 0}"));
    ScriptedTestModel model;
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "read"}})}), answer("late")});
    model.script("reader", {readLines(1), answer("never reached")});
    model.delay("reader", std::chrono::milliseconds(1100));
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(model.turns("reader"), 1);
    QVERIFY(delegateError(r).find("wall-time budget") != std::string::npos);
}

namespace {

// Generates until its turn is stopped (at most 10 s), like a model that never reaches EOS.
class EndlessModel final : public AgentModel {
public:
    atelier::Result<AgentTurn> generate(const TurnRequest& req) override {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!req.stop.stop_requested() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        AgentTurn t = answer("unfinished");
        t.cancelled = req.stop.stop_requested();
        return t;
    }
};

}  // namespace

void TestTeamRuntimeGuards::wallTimeStopsATurnInProgress() {
    Env env;
    const Team team = env.team(teamText("auto", "{tokens: 50000, steps: 9, wall_seconds: 1, depth: 0}"));
    Team alone = team;
    alone.root = team.root.workers[0];  // the reader, with its one-second budget, as the root
    EndlessModel model;
    const auto start = std::chrono::steady_clock::now();
    Ran r = runTeam(env, alone, model, "t");
    const auto took = std::chrono::steady_clock::now() - start;
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::BudgetExhausted);
    QVERIFY(r.outcome->report.find("wall-time budget") != std::string::npos);
    QVERIFY(took < std::chrono::seconds(5));
}

void TestTeamRuntimeGuards::identicalCallsStopTheAgent() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    const auto same = calls({call("files_list", {{"path", "docs"}})});
    model.script("manager", {same, same, same, answer("never reached")});
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Failed);
    QCOMPARE(sigs(r.events),
             (Strings{"manager step", "manager tool_call files_list allow", "manager tool_result files_list ok",
                      "manager step", "manager tool_call files_list allow", "manager tool_result files_list ok",
                      "manager step", "manager tool_call files_list deny", "done failed"}));
    QVERIFY(r.outcome->report.find("loop guard") != std::string::npos);
    // Different arguments are not the same call.
    ScriptedTestModel varied;
    varied.script("manager", {same, same, calls({call("files_list", {{"path", "."}})}), answer("fine")});
    QCOMPARE(runTeam(env, team, varied, "t").outcome->status, RunStatus::Ok);
}

void TestTeamRuntimeGuards::delegationDepth() {
    Env env;
    Team team = env.team(teamText());
    ScriptedTestModel model;
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "read"}})}), answer("alone")});
    Ran capped = runTeam(env, team, model, "t", [](TeamRuntimeOptions& o) { o.maxDelegationDepth = 0; });
    QVERIFY(capped.outcome);
    QCOMPARE(capped.outcome->status, RunStatus::Ok);
    QCOMPARE(sigs(capped.events), (Strings{"manager step", "manager tool_call delegate allow",
                                           "manager tool_result delegate error", "manager step", "done ok"}));
    QVERIFY(delegateError(capped).find("depth") != std::string::npos);

    // A worker with depth 0 that has a worker of its own (a tree checkTeam would reject) still
    // cannot delegate.
    AgentSpec& reader = team.root.workers[0];
    reader.tools.push_back("delegate");
    reader.workers.push_back(team.root.workers[1]);
    model.script("reader", {calls({call("delegate", {{"agent", "critic"}, {"task", "deeper"}})}), answer("ok")});
    Ran deep = runTeam(env, team, model, "t");
    QCOMPARE(sigs(deep.events, "reader"), (Strings{"reader step", "reader tool_call delegate allow",
                                                   "reader tool_result delegate error", "reader step"}));
    QCOMPARE(model.turns("critic"), 0);
}

void TestTeamRuntimeGuards::cancelledBeforeTheFirstTurn() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    std::stop_source stop;
    stop.request_stop();
    Ran r = runTeam(env, team, model, "t", [&](TeamRuntimeOptions& o) { o.stop = stop.get_token(); });
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Cancelled);
    QCOMPARE(sigs(r.events), (Strings{"done cancelled"}));
    QCOMPARE(model.turns("manager"), 0);
}

namespace {

// Waits, polling its deadline as long tools do, for at most 10 s.
atelier::Result<ToolResult> untilTheDeadline(const ToolContext& ctx) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!ctx.expired() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (ctx.expired()) return atelier::unexpected(atelier::ErrorCode::Overflow, "stopped at the call's deadline");
    return ToolResult{"ran for 10 s", {}, {}, false, {}};
}

std::string toolError(const Ran& r, const std::string& tool) {
    for (const auto& e : r.events)
        if (e.json["event"] == "tool_result" && e.json["tool"] == tool)
            return e.json.value("ok", false) ? "ok: " + e.json.value("result", "") : e.json.value("error", "");
    return "(no result)";
}

}  // namespace

void TestTeamRuntimeGuards::wallTimeStopsARunningToolCall() {
    Env env;
    QVERIFY(env.registry.add(std::make_unique<FnTool>("wait", untilTheDeadline)));
    Team team = env.team(teamText("auto", "{tokens: 50000, steps: 9, wall_seconds: 1, depth: 0}"));
    Team alone = team;
    alone.root = team.root.workers[0];  // the reader, with its one-second budget, as the root
    alone.root.tools.push_back("wait");
    ScriptedTestModel model;
    model.script("reader", {calls({call("wait", nlohmann::json::object())}), answer("never reached")});
    const auto start = std::chrono::steady_clock::now();
    Ran r = runTeam(env, alone, model, "t");
    const auto took = std::chrono::steady_clock::now() - start;
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::BudgetExhausted);
    QVERIFY2(toolError(r, "wait").find("deadline") != std::string::npos, toolError(r, "wait").c_str());
    QVERIFY(took < std::chrono::seconds(5));  // not the tool's 10 s
}

void TestTeamRuntimeGuards::everyToolCallHasADeadline() {
    Env env;
    QVERIFY(env.registry.add(std::make_unique<FnTool>("wait", untilTheDeadline)));
    Team team = env.team(teamText());
    team.root.tools.push_back("wait");
    ScriptedTestModel model;
    model.script("manager", {calls({call("wait", nlohmann::json::object())}), answer("went on")});
    const auto start = std::chrono::steady_clock::now();
    Ran r = runTeam(env, team, model, "t", [](TeamRuntimeOptions& o) { o.toolTimeout = std::chrono::milliseconds(200); });
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);
    QVERIFY2(toolError(r, "wait").find("deadline") != std::string::npos, toolError(r, "wait").c_str());
    QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

void TestTeamRuntimeGuards::aSlowToolDoesNotBlockOtherAgents() {
    // The reader's tool runs first and waits (up to 5 s) for the critic's tool to run: with
    // tool runs serialised, the critic's waits behind it and the reader's gives up.
    Env env;
    std::atomic<bool> peerRan{false};
    QVERIFY(env.registry.add(std::make_unique<FnTool>("wait_for_peer", [&peerRan](const ToolContext&) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!peerRan && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!peerRan) return atelier::Result<ToolResult>(atelier::Error::internal("the peer's tool never ran"));
        return atelier::Result<ToolResult>(ToolResult{"the peer ran", {}, {}, false, {}});
    })));
    QVERIFY(env.registry.add(std::make_unique<FnTool>("mark_peer", [&peerRan](const ToolContext&) {
        peerRan = true;
        return atelier::Result<ToolResult>(ToolResult{"marked", {}, {}, false, {}});
    })));
    Team team = env.team(teamText());
    team.root.workers[0].tools.push_back("wait_for_peer");
    team.root.workers[1].tools.push_back("mark_peer");
    ScriptedTestModel model;
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "wait"}}),
                                    call("delegate", {{"agent", "critic"}, {"task", "mark"}})}),
                             answer("done")});
    model.script("reader", {calls({call("wait_for_peer", nlohmann::json::object())}), answer("read")});
    model.script("critic", {calls({call("mark_peer", nlohmann::json::object())}), answer("checked")});
    model.delay("critic", std::chrono::milliseconds(300));  // the reader's tool starts first
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);
    QCOMPARE(QString::fromStdString(toolError(r, "wait_for_peer")), QString("ok: the peer ran"));
}

// A turn that ran out of tokens inside a tool call ends the run as truncated: the half call
// never runs and is not the report; the done event, the store and the step say where it stopped.
void TestTeamRuntimeGuards::aCallCutByTheTokenLimitEndsTruncated() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    const std::string half = "\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"delegate\">\n<｜DSML｜parameter name=\"task";
    model.script("manager", {cutTurn(TurnCut::ToolCall, half, "delegate"), answer("never reached")});
    Ran r = runTeam(env, team, model, "t", [](TeamRuntimeOptions& o) { o.maxTokensPerTurn = 256; });
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Truncated);
    QCOMPARE(sigs(r.events), (Strings{"manager step", "done truncated"}));
    const std::string report = r.outcome->report;
    QVERIFY2(report.find("ran out of tokens (256 per turn) inside a tool call to delegate") != std::string::npos,
             report.c_str());
    QVERIFY(report.find("raise --max-tokens") != std::string::npos);
    QVERIFY(report.find("DSML") == std::string::npos);
    QCOMPARE(r.events.back().json["status"], nlohmann::json("truncated"));
    QCOMPARE(r.events.front().json["truncated_in"], nlohmann::json("tool_call"));
    QCOMPARE(r.events.front().json["truncated_tool"], nlohmann::json("delegate"));
    QCOMPARE(model.turns("manager"), 1);
    QCOMPARE(env.store->runs(r.outcome->sessionId)->front().status, std::string("truncated"));
    QCOMPARE(runStatusFromName("truncated"), std::optional<RunStatus>(RunStatus::Truncated));
}

// A worker that runs out of tokens while reasoning (e.g. before a forced first call) ends its
// delegation with status truncated; its reasoning is not taken for its answer.
void TestTeamRuntimeGuards::aWorkerCutWhileReasoningFailsItsDelegation() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "read"}})}), answer("went on")});
    model.script("reader", {cutTurn(TurnCut::Reasoning, "I should first list the")});
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);
    QCOMPARE(r.outcome->report, std::string("went on"));
    const std::string err = delegateError(r);
    QVERIFY2(err.find("ended with status truncated") != std::string::npos, err.c_str());
    QVERIFY2(err.find("while reasoning") != std::string::npos, err.c_str());
    QVERIFY(err.find("I should first") == std::string::npos);
}

// Cut only after its tool-calls block was closed (before the end token): the calls are whole
// and run as usual.
void TestTeamRuntimeGuards::aTurnCutAfterItsCallsRunsThem() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    AgentTurn t = calls({call("files_list", {{"path", "docs"}})});
    t.truncated = true;  // cut = None: nothing was left unfinished
    model.script("manager", {t, answer("listed")});
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);
    QCOMPARE(sigs(r.events), (Strings{"manager step", "manager tool_call files_list allow",
                                      "manager tool_result files_list ok", "manager step", "done ok"}));
}

QTEST_APPLESS_MAIN(TestTeamRuntimeGuards)
#include "test_team_runtime_guards.moc"
