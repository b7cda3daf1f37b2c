// ctest-labels: unit
// Persistence of team runs: the events replayed from the session store equal those the run
// emitted; a run cut off after any of its persisted steps (a simulated crash: the later rows
// removed, the run left "running") resumes to the same events and report as the
// uninterrupted run, asking the model only for the turns it had not stored, and charging the
// model tokens a stored tool result spent; a finished run does not resume.

#include <atomic>

#include "atelier/agents/tool_progress.h"
#include "team_runtime_fixture.h"

using namespace fixture;
using namespace scripted;
using Strings = std::vector<std::string>;

class TestTeamRuntimeResume : public QObject {
    Q_OBJECT
private slots:
    void replayEqualsTheEmittedEvents();
    void resumeAfterACrashEqualsTheUninterruptedRun();
    void cancelledRunResumes();
    void resumeChargesTheModelTokensAToolSpent();
    void finishedRunDoesNotResume();
};

namespace {

void scriptTeam(ScriptedTestModel& model) {
    model.script("manager", {calls({call("delegate", {{"agent", "reader"}, {"task", "find the answer"}}),
                                    call("delegate", {{"agent", "critic"}, {"task", "check b.txt"}})}),
                             calls({call("files_list", {{"path", "docs"}})}), answer("Final report.")});
    model.script("reader", {calls({call("files_search", {{"pattern", "answer"}, {"path", "docs"}})}),
                            calls({call("files_read", {{"path", "docs/a.txt"}})}), answer("42")});
    model.script("critic", {calls({call("files_read", {{"path", "docs/b.txt"}})}), answer("43")});
}

// Per agent, the events' JSON text without the run id and with the temporary folder as
// "<root>" (workers interleave differently per run; each run has its own folder).
std::map<std::string, std::vector<std::string>> perAgent(const std::vector<TeamEvent>& events,
                                                         const std::string& root) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : events) {
        std::string text = withoutRunId(e.json).dump();
        for (std::size_t at; (at = text.find(root)) != std::string::npos;) text.replace(at, root.size(), "<root>");
        out[e.agent()].push_back(text);
    }
    return out;
}

int turnsOf(ScriptedTestModel& m) { return m.turns("manager") + m.turns("reader") + m.turns("critic"); }

// Resumes run `runId` with a fresh runtime; the events are those the resumption emitted.
Ran resumeTeam(Env& env, const Team& team, AgentModel& model, std::int64_t runId) {
    Ran r;
    std::mutex mutex;
    TeamRuntime rt(team, model, env.registry, *env.store, env.audit.get(), env.options(r.events, mutex));
    r.outcome = rt.resume(runId);
    return r;
}

}  // namespace

void TestTeamRuntimeResume::replayEqualsTheEmittedEvents() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    scriptTeam(model);
    Ran r = runTeam(env, team, model, "What is the answer?");
    QVERIFY(r.outcome);
    QCOMPARE(r.outcome->status, RunStatus::Ok);
    auto replayed = replayRun(*env.store, r.outcome->runId);
    QVERIFY(replayed);
    QCOMPARE(replayed->size(), r.events.size());
    for (std::size_t i = 0; i < r.events.size(); ++i) {
        QCOMPARE(replayed->at(i).kind, r.events[i].kind);
        QCOMPARE(replayed->at(i).json, r.events[i].json);  // same order, same content
    }
    auto start = runStart(*env.store, r.outcome->runId);
    QVERIFY(start);
    QCOMPARE(start->task, std::string("What is the answer?"));
    QCOMPARE(start->team, std::string("test-team"));
}

void TestTeamRuntimeResume::resumeAfterACrashEqualsTheUninterruptedRun() {
    Env reference;
    const Team refTeam = reference.team(teamText());
    ScriptedTestModel refModel;
    scriptTeam(refModel);
    Ran whole = runTeam(reference, refTeam, refModel, "What is the answer?");
    QVERIFY(whole.outcome);
    const auto expected = perAgent(whole.events, reference.root.string());
    const int allTurns = turnsOf(refModel);
    const int events = static_cast<int>(whole.events.size());

    for (int kept = 0; kept < events; ++kept) {  // events persisted before the crash
        Env env;
        const Team team = env.team(teamText());
        ScriptedTestModel first;
        scriptTeam(first);
        Ran r = runTeam(env, team, first, "What is the answer?");
        QVERIFY(r.outcome);
        const auto runId = std::to_string(r.outcome->runId);
        auto& db = env.store->database();
        // Keep the start record and the first `kept` events.
        QVERIFY(db.exec("DELETE FROM agent_steps WHERE run_id = " + runId +
                        " AND id > (SELECT MIN(id) FROM agent_steps WHERE run_id = " + runId + ") + " +
                        std::to_string(kept) + "; UPDATE runs SET status = 'running', finished_ms = NULL "
                        "WHERE id = " + runId));
        auto steps = env.store->steps(r.outcome->runId);
        QVERIFY(steps);
        const auto storedTurns = std::count_if(steps->begin(), steps->end(), [](auto& s) { return s.kind == "step"; });

        ScriptedTestModel second;
        scriptTeam(second);
        Ran again = resumeTeam(env, team, second, r.outcome->runId);
        const auto& resumed = again.outcome;
        const auto& emitted = again.events;
        QVERIFY2(resumed, resumed ? "" : resumed.error().message.c_str());
        QCOMPARE(resumed->status, RunStatus::Ok);
        QCOMPARE(resumed->report, whole.outcome->report);
        QCOMPARE(resumed->runId, r.outcome->runId);
        QCOMPARE(perAgent(emitted, env.root.string()), expected);
        auto replayed = replayRun(*env.store, r.outcome->runId);
        QVERIFY(replayed);
        QCOMPARE(perAgent(*replayed, env.root.string()), expected);
        QCOMPARE(turnsOf(second), allTurns - static_cast<int>(storedTurns));  // only the missing turns
        auto runs = env.store->runs(resumed->sessionId);
        QVERIFY(runs && !runs->empty());
        QCOMPARE(runs->front().status, std::string("ok"));
    }
}

// Cancels the run from inside the critic's first turn, as Ctrl-C would while it generates.
class CancellingModel final : public atelier::agents::AgentModel {
public:
    CancellingModel(ScriptedTestModel& inner, std::stop_source& stop) : m_inner(inner), m_stop(stop) {}
    atelier::Result<AgentTurn> generate(const TurnRequest& req) override {
        auto t = m_inner.generate(req);
        if (t && req.agent == "critic" && !m_done.exchange(true)) {
            m_stop.request_stop();
            t->cancelled = true;
            t->toolCalls.clear();
        }
        return t;
    }

private:
    ScriptedTestModel& m_inner;
    std::stop_source& m_stop;
    std::atomic<bool> m_done{false};
};

void TestTeamRuntimeResume::cancelledRunResumes() {
    Env reference;
    const Team refTeam = reference.team(teamText());
    ScriptedTestModel refModel;
    scriptTeam(refModel);
    Ran whole = runTeam(reference, refTeam, refModel, "What is the answer?");
    QVERIFY(whole.outcome);

    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel scripted;
    scriptTeam(scripted);
    std::stop_source stop;
    CancellingModel cancelling(scripted, stop);
    Ran cut = runTeam(env, team, cancelling, "What is the answer?",
                      [&](TeamRuntimeOptions& o) { o.stop = stop.get_token(); });
    QVERIFY(cut.outcome);
    QCOMPARE(cut.outcome->status, RunStatus::Cancelled);
    QCOMPARE(sig(cut.events.back()), std::string("done cancelled"));

    ScriptedTestModel second;
    scriptTeam(second);
    Ran again = resumeTeam(env, team, second, cut.outcome->runId);
    const auto& resumed = again.outcome;
    const auto& emitted = again.events;
    QVERIFY2(resumed, resumed ? "" : resumed.error().message.c_str());
    QCOMPARE(resumed->status, RunStatus::Ok);
    QCOMPARE(resumed->report, whole.outcome->report);
    // What the cancellation interrupted is done again; everything else is taken from the store.
    QCOMPARE(perAgent(emitted, env.root.string()), perAgent(whole.events, reference.root.string()));
    QVERIFY(second.turns("critic") >= 1);
}

// A tool that spends model tokens for its caller (an MCP server's sampling does) charges them to
// the agent's token budget. A run cut off after the tool's result resumes with that charge,
// read from the stored result, so it stops where the uninterrupted run stopped instead of
// asking the model for another turn.
void TestTeamRuntimeResume::resumeChargesTheModelTokensAToolSpent() {
    auto sampler = [](const ToolContext&) -> atelier::Result<ToolResult> {
        reportToolModelTokens(120);
        return ToolResult{"sampled", {}, {}, false, {}};
    };
    auto script = [](ScriptedTestModel& m) {
        AgentTurn first = calls({call("sample", nlohmann::json::object())});
        first.usage = {20, 0, 5};  // 25 spent: under the budget of 100 without the tool's 120
        m.script("manager", {first, answer("never reached")});
    };
    auto budget = [](TeamRuntimeOptions& o) {
        o.tokenBudgetCap = 100;
        o.maxTokensPerTurn = 500;
    };
    Env env;
    QVERIFY(env.registry.add(std::make_unique<FnTool>("sample", sampler)));
    Team team = env.team(teamText());
    team.root.tools.push_back("sample");
    ScriptedTestModel first;
    script(first);
    Ran whole = runTeam(env, team, first, "t", budget);
    QVERIFY(whole.outcome);
    QCOMPARE(whole.outcome->status, RunStatus::BudgetExhausted);
    QCOMPARE(sigs(whole.events), (Strings{"manager step", "manager tool_call sample allow",
                                          "manager tool_result sample ok", "done budget_exhausted"}));
    QCOMPARE(whole.events[2].json.value("model_tokens", std::int64_t{0}), std::int64_t{120});

    // The crash: the run's end is lost, the tool's result is stored.
    const auto runId = std::to_string(whole.outcome->runId);
    QVERIFY(env.store->database().exec(
        "DELETE FROM agent_steps WHERE run_id = " + runId + " AND id > (SELECT MIN(id) FROM agent_steps "
        "WHERE run_id = " + runId + ") + 3; UPDATE runs SET status = 'running', finished_ms = NULL WHERE id = " + runId));
    ScriptedTestModel second;
    script(second);
    Ran again;
    std::mutex mutex;
    auto o = env.options(again.events, mutex);
    budget(o);
    TeamRuntime rt(team, second, env.registry, *env.store, env.audit.get(), o);
    again.outcome = rt.resume(whole.outcome->runId);
    QVERIFY2(again.outcome, again.outcome ? "" : again.outcome.error().message.c_str());
    QCOMPARE(again.outcome->status, RunStatus::BudgetExhausted);
    QCOMPARE(again.outcome->report, whole.outcome->report);
    QCOMPARE(sigs(again.events), sigs(whole.events));  // the stored events replayed, then the end
    QCOMPARE(second.turns("manager"), 0);
}

void TestTeamRuntimeResume::finishedRunDoesNotResume() {
    Env env;
    const Team team = env.team(teamText());
    ScriptedTestModel model;
    scriptTeam(model);
    Ran r = runTeam(env, team, model, "t");
    QVERIFY(r.outcome);
    std::vector<TeamEvent> emitted;
    std::mutex mutex;
    TeamRuntime rt(team, model, env.registry, *env.store, env.audit.get(), env.options(emitted, mutex));
    auto again = rt.resume(r.outcome->runId);
    QVERIFY(!again);
    QVERIFY(again.error().message.find("already ended") != std::string::npos);
    QVERIFY(!rt.resume(r.outcome->runId + 100));
}

QTEST_APPLESS_MAIN(TestTeamRuntimeResume)
#include "test_team_runtime_resume.moc"
