// ctest-labels: unit gui
// Live tokens in the Team dock: while an agent's turn is still being generated (the test double
// streams its answer and then holds the turn open), the tree already shows the streamed text in
// that agent's transcript (model and the rendered view), its state and a growing token count;
// once the turn ends, the finished turn replaces the streamed text (not shown twice) and its
// exact usage replaces the streamed count. Renders of the transcript are throttled: many
// streamed pieces cause far fewer renders. Tool calls completed mid-turn show "calling <tool>".

#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <condition_variable>
#include <mutex>

#include "../agents/scripted_test_model.h"
#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/settings_dialog.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"

using namespace atelier::ui;
namespace ag = atelier::agents;

namespace {

// The scripted double of the team tests, streaming each turn's content word by word through
// TurnRequest::onEvent (as BackendAgentModel does piece by piece) and then holding the turn
// open until release() (or its stop token), so the test can look at the tree mid-turn.
class HeldStreamingModel final : public ag::AgentModel {
public:
    scripted::ScriptedTestModel script;

    atelier::Result<ag::AgentTurn> generate(const ag::TurnRequest& req) override {
        auto turn = script.generate(req);
        if (!turn) return turn;
        if (req.onEvent) {
            std::string word;
            for (char c : turn->content + " ") {
                word += c;
                if (c != ' ') continue;
                req.onEvent(ag::TurnEvent{ag::TurnEventKind::Content, word, {}, {}});
                word.clear();
            }
            for (const auto& call : turn->toolCalls)
                req.onEvent(ag::TurnEvent{ag::TurnEventKind::ToolCall, call.name, call.arguments, {}});
        }
        std::unique_lock lock(m_mutex);
        m_cv.wait_for(lock, std::chrono::seconds(10), [&] { return m_released || req.stop.stop_requested(); });
        return turn;
    }
    void release() {
        std::lock_guard lock(m_mutex);
        m_released = true;
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_released = false;  // guarded by m_mutex
};

}  // namespace

class TestTeamStreaming : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("ATELIER_TEAMS_DIR", QByteArray(ATELIER_SOURCE_DIR "/resources/teams"));
        qputenv("ATELIER_PLUGIN_DIR", QByteArray(ATELIER_BINARY_DIR "/lib/plugins"));
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_tmp.path() + QStringLiteral("/settings"));
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_team_streaming"));
        AppSettings s;
        s.approvalMode = QStringLiteral("auto");
        s.save();
    }

    void streamedTokensReachTheTranscriptBeforeTheAgentFinishes() {
        const QString workspace = m_tmp.path() + QStringLiteral("/ws");
        const QString data = m_tmp.path() + QStringLiteral("/data");
        QDir().mkpath(workspace);
        QDir().mkpath(data);
        auto model = std::make_shared<HeldStreamingModel>();
        std::string answer;
        for (int i = 0; i < 60; ++i) answer += "word" + std::to_string(i) + " ";
        answer += "streamed-end";
        model->script.script("analyst", {scripted::answer(answer)});

        TeamPanel panel;
        TeamController controller(panel.model(), &panel);
        controller.setDataDir(data);
        controller.setModelProvider([model] { return std::optional<TeamModel>(TeamModel{model, {}}); });
        panel.setController(&controller);
        QSignalSpy loaded(&panel, &TeamPanel::teamLoaded);
        panel.loadTeam(QStringLiteral("document-analyst"));
        QVERIFY(loaded.wait(5000));
        panel.setWorkspace(workspace);
        panel.setTask(QStringLiteral("Say the words."));
        QSignalSpy streamed(&controller, &TeamController::tokensStreamed);
        QSignalSpy finished(&controller, &TeamController::finished);
        const int rendersBefore = panel.transcriptRenders();
        QVERIFY(panel.runTeam());

        AgentTreeModel* tree = panel.model();
        const QString analyst = QStringLiteral("analyst");
        // Mid-turn: the turn is held open by the model, so no step event has come yet.
        QTRY_VERIFY_WITH_TIMEOUT(tree->transcript(analyst).contains(QStringLiteral("streamed-end")), 5000);
        QVERIFY(finished.isEmpty());
        QVERIFY(controller.isRunning());
        QVERIFY(streamed.size() >= 1);
        QCOMPARE(tree->state(analyst), QStringLiteral("writing"));
        QCOMPARE(tree->tokens(analyst), qint64(61));  // one per streamed piece (61 words)
        // The dock follows the running agent: the rendered transcript shows the text too.
        QTRY_VERIFY_WITH_TIMEOUT(panel.shownTranscript().contains(QStringLiteral("streamed-end")), 2000);
        // 61 pieces, coalesced and throttled: far fewer renders than pieces.
        QVERIFY2(panel.transcriptRenders() - rendersBefore < 30,
                 qPrintable(QString::number(panel.transcriptRenders() - rendersBefore)));

        model->release();
        QVERIFY(finished.wait(8000));
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("ok"));
        const QString done = tree->transcript(analyst);
        QCOMPARE(done.count(QStringLiteral("streamed-end")), 1);  // replaced, not appended twice
        QVERIFY(tree->state(analyst).startsWith(QStringLiteral("done")));
        // The step's usage (the double's: completion = turn bytes / 4 + 1) replaced the count.
        const auto usage = model->script.requests(analyst.toStdString());
        QVERIFY(!usage.empty());
        QVERIFY(tree->tokens(analyst) >= qint64(answer.size() / 4 + 1));
        QTRY_VERIFY(!controller.isRunning());
    }

    void aToolCallCompletedMidTurnShowsCallingTheTool() {
        AgentTreeModel tree;
        tree.appendStreamed(QStringLiteral("a"), QStringLiteral("hmm"), {}, 1);
        QCOMPARE(tree.state(QStringLiteral("a")), QStringLiteral("thinking"));
        QVERIFY(tree.transcript(QStringLiteral("a")).contains(QStringLiteral("> hmm")));
        tree.markCallingTool(QStringLiteral("a"), QStringLiteral("files_read"));
        QCOMPARE(tree.state(QStringLiteral("a")), QStringLiteral("calling files_read"));
        QCOMPARE(tree.tokens(QStringLiteral("a")), qint64(1));
    }
};

QTEST_MAIN(TestTeamStreaming)
#include "test_team_streaming.moc"
