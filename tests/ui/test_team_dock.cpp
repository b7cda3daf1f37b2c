// ctest-labels: unit gui
// The Team dock: a template's agents appear with their budgets, the run's events move each
// agent through its states (thinking, calling a tool, waiting for approval, done) and add up
// its tokens, each agent keeps its own transcript, a stored run replays from the session store,
// an MCP tool's progress shows in its agent's state, and the approval dialog answers Allow once /
// Always allow (this run) / Deny.

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>

#include "atelier/agents/session_store.h"
#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/approval_dialog.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/team_panel.h"

using namespace atelier::ui;

namespace {
QJsonObject json(const char* text) { return QJsonDocument::fromJson(QByteArray(text)).object(); }

const char* kRun[] = {
    R"({"event":"step","agent":"manager","step":0,"content":"Plan: ask the reader.","reasoning":"split it","tool_calls":[{"name":"delegate"}],"usage":{"prompt_tokens":120,"cached_tokens":20,"completion_tokens":30}})",
    R"({"event":"delegate","from":"manager","to":"reader","task":"Extract the dates"})",
    R"({"event":"step","agent":"reader","step":0,"content":"","tool_calls":[{"name":"files_read"}],"usage":{"prompt_tokens":80,"cached_tokens":0,"completion_tokens":10}})",
    R"({"event":"tool_call","agent":"reader","tool":"files_read","args":{"path":"a.txt"},"decision":"ask"})",
};
const char* kRunEnd[] = {
    R"({"event":"tool_result","agent":"reader","tool":"files_read","ok":true,"result":"due 2026-03-01"})",
    // An MCP tool whose server sampled the run's model: its tokens are the agent's (#20).
    R"({"event":"tool_result","agent":"reader","tool":"mem__ask","ok":true,"result":"yes","model_tokens":25})",
    R"({"event":"done","status":"ok","report":"Due in March."})",
};
}  // namespace

class TestTeamDock : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("ATELIER_TEAMS_DIR", QByteArray(ATELIER_SOURCE_DIR "/resources/teams"));
    }

    void eventsDriveStatesTokensAndTranscripts() {
        TeamPanel panel;
        AgentTreeModel* model = panel.model();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&panel, &TeamPanel::teamLoaded);
        panel.loadTeam(QStringLiteral(ATELIER_SOURCE_DIR "/resources/teams/review-team.md"));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(model->rowCount(), 1);
        const QModelIndex manager = model->index(0, 0);
        QCOMPARE(manager.data().toString(), QStringLiteral("manager"));
        QCOMPARE(model->rowCount(manager), 2);  // reader, critic
        QCOMPARE(model->index(0, AgentTreeModel::Budget).data().toLongLong(), 400000);
        QCOMPARE(model->state(QStringLiteral("reader")), QStringLiteral("idle"));

        for (const char* e : kRun) model->applyEvent(json(e));
        QCOMPARE(model->tokens(QStringLiteral("manager")), 120 - 20 + 30);  // uncached prompt + generated
        QCOMPARE(model->tokens(QStringLiteral("reader")), 90);
        QVERIFY(model->state(QStringLiteral("manager")).contains(QStringLiteral("waiting for reader")));
        QVERIFY(model->state(QStringLiteral("reader")).contains(QStringLiteral("waiting for approval")));
        // An MCP tool's progress (#20) shows in the calling agent's state, and leaves its transcript.
        const QString before = model->transcript(QStringLiteral("reader"));
        model->applyEvent(json(R"({"event":"tool_progress","agent":"reader","tool":"files_read","progress":2,"total":3,"message":"page 2"})"));
        QCOMPARE(model->state(QStringLiteral("reader")), QStringLiteral("calling files_read: 2/3 page 2"));
        QCOMPARE(model->transcript(QStringLiteral("reader")), before);
        for (const char* e : kRunEnd) model->applyEvent(json(e));
        QCOMPARE(model->runStatus(), QStringLiteral("ok"));
        QCOMPARE(model->tokens(QStringLiteral("reader")), 90 + 25);
        QVERIFY(model->state(QStringLiteral("critic")).startsWith(QStringLiteral("done")));
        const QString reader = model->transcript(QStringLiteral("reader"));
        QVERIFY(reader.contains(QStringLiteral("Extract the dates")));
        QVERIFY(reader.contains(QStringLiteral("due 2026-03-01")));
        QVERIFY(!reader.contains(QStringLiteral("Plan: ask the reader.")));  // the manager's own
        // An agent the team file does not name is added rather than dropped.
        model->applyEvent(json(R"({"event":"step","agent":"stranger","usage":{}})"));
        QCOMPARE(model->rowCount(), 2);
    }

    void aStoredRunReplaysInTheDock() {
        QTemporaryDir dir;
        {
            auto store = atelier::agents::SessionStore::open((dir.path() + "/atelier.db").toStdString());
            QVERIFY(store.has_value());
            atelier::agents::Session s;
            s.title = "review";
            s.kind = atelier::agents::SessionKind::Team;
            auto sid = store->createSession(s);
            QVERIFY(sid.has_value());
            atelier::agents::Run run;
            run.sessionId = *sid;
            run.team = "review-team";
            auto rid = store->createRun(run);
            QVERIFY(rid.has_value());
            // The runtime's start record comes first: it is no agent's event (#19: it showed as
            // a nameless agent row).
            atelier::agents::AgentStep start;
            start.runId = *rid;
            start.agent = "(run)";
            start.kind = "run";
            start.payload = QJsonDocument(QJsonObject{
                                              {QStringLiteral("team"), QStringLiteral("review-team")},
                                              {QStringLiteral("team_file"), QStringLiteral(ATELIER_SOURCE_DIR "/resources/teams/review-team.md")},
                                              {QStringLiteral("workspace"), QStringLiteral("/tmp")},
                                              {QStringLiteral("task"), QStringLiteral("dates")}})
                                .toJson(QJsonDocument::Compact)
                                .toStdString();
            QVERIFY(store->addStep(start).has_value());
            // An event whose payload lacks its agent takes the name from the step's agent.
            atelier::agents::AgentStep unnamed;
            unnamed.runId = *rid;
            unnamed.agent = "critic";
            unnamed.kind = "step";
            unnamed.payload = R"({"event":"step","step":0,"content":"Looks fine.","usage":{}})";
            QVERIFY(store->addStep(unnamed).has_value());
            int i = 0;
            for (const char* e : kRun) {
                atelier::agents::AgentStep step;
                step.runId = *rid;
                step.agent = "x";
                step.stepIndex = i++;
                step.kind = "event";
                step.payload = e;
                QVERIFY(store->addStep(step).has_value());
            }
        }
        MainWindow window(dir.path());
        QTRY_COMPARE_WITH_TIMEOUT(window.sessionModel()->sessionCount(), 1, 5000);
        emit window.loadSessionRequested(1);
        AgentTreeModel* model = window.teamPanel()->model();
        QTRY_VERIFY_WITH_TIMEOUT(model->state(QStringLiteral("reader")).contains(QStringLiteral("approval")), 5000);
        QCOMPARE(window.teamPanel()->shownTeam(), QStringLiteral("review-team"));
        // Every agent row has its name back from the store, and nothing else was added.
        QStringList names;
        std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
            for (int r = 0; r < model->rowCount(parent); ++r) {
                const QModelIndex i = model->index(r, 0, parent);
                names << i.data(AgentTreeModel::AgentNameRole).toString();
                walk(i);
            }
        };
        walk({});
        names.sort();
        QCOMPARE(names, (QStringList{QStringLiteral("critic"), QStringLiteral("manager"), QStringLiteral("reader")}));
        QVERIFY(model->transcript(QStringLiteral("critic")).contains(QStringLiteral("Looks fine.")));
    }

    // #19: cancelling the team-file dialog keeps the loaded team in the picker (it read
    // "Team file…"), and a team loaded from a file shows under its own name.
    void pickerKeepsTheLoadedTeamAfterACancelledFileDialog() {
        TeamPanel panel;
        auto* picker = panel.findChild<QComboBox*>(QStringLiteral("teamTemplates"));
        QVERIFY(picker);
        QSignalSpy loaded(&panel, &TeamPanel::teamLoaded);
        panel.loadTeam(QStringLiteral("review-team"));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(picker->currentText(), QStringLiteral("review-team"));
        auto chooseTeamFileAndCancel = [picker] {
            int cancelled = 0;
            QTimer closer;
            QObject::connect(&closer, &QTimer::timeout, [&cancelled] {
                if (auto* d = qobject_cast<QDialog*>(QApplication::activeModalWidget())) {
                    d->reject();
                    ++cancelled;
                }
            });
            closer.start(20);
            const int file = picker->findData(QStringLiteral("?file"));
            QVERIFY(file >= 0);
            picker->setCurrentIndex(file);  // what a click on the entry does, then activated()
            emit picker->activated(file);
            QCOMPARE(cancelled, 1);
        };
        chooseTeamFileAndCancel();
        QCOMPARE(picker->currentText(), QStringLiteral("review-team"));
        QCOMPARE(panel.shownTeam(), QStringLiteral("review-team"));

        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("my-team.md"));
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_SOURCE_DIR "/resources/teams/review-team.md"), file));
        panel.loadTeam(file);
        QVERIFY(loaded.wait(5000));
        QCOMPARE(picker->currentData().toString(), file);
        QCOMPARE(picker->currentText(), panel.shownTeam());
        chooseTeamFileAndCancel();
        QCOMPARE(picker->currentData().toString(), file);
        // A file that fails to load leaves the team shown (and Run's team) as it was.
        panel.loadTeam(dir.filePath(QStringLiteral("missing.md")));
        QTRY_VERIFY_WITH_TIMEOUT(panel.statusText().contains(QStringLiteral("missing")), 5000);
        QCOMPARE(picker->currentData().toString(), file);
    }

    void approvalDialogAnswersAndRemembersForTheRun() {
        RunApprovals run;
        QVERIFY(!run.covered(QStringLiteral("reader"), QStringLiteral("files_write")));
        {
            ApprovalDialog d(QStringLiteral("reader"), QStringLiteral("files_write"), json(R"({"path":"out.txt"})"));
            QVERIFY(d.findChild<QWidget*>(QStringLiteral("approvalArguments")) != nullptr);
            QSignalSpy decided(&d, &ApprovalDialog::decided);
            d.findChild<QPushButton*>(QStringLiteral("allowAlwaysButton"))->click();
            QCOMPARE(decided.size(), 1);
            QCOMPARE(d.choice(), ApprovalChoice::AlwaysForRun);
            QVERIFY(run.record(QStringLiteral("reader"), QStringLiteral("files_write"), d.choice()));
        }
        QVERIFY(run.covered(QStringLiteral("reader"), QStringLiteral("files_write")));
        QVERIFY(!run.covered(QStringLiteral("critic"), QStringLiteral("files_write")));
        {
            ApprovalDialog d(QStringLiteral("critic"), QStringLiteral("files_write"), {});
            QSignalSpy decided(&d, &ApprovalDialog::decided);
            d.findChild<QPushButton*>(QStringLiteral("allowOnceButton"))->click();
            QCOMPARE(d.choice(), ApprovalChoice::AllowOnce);
            QVERIFY(run.record(QStringLiteral("critic"), QStringLiteral("files_write"), d.choice()));
            QVERIFY(!run.covered(QStringLiteral("critic"), QStringLiteral("files_write")));
        }
        {
            ApprovalDialog d(QStringLiteral("critic"), QStringLiteral("files_write"), {});
            QSignalSpy decided(&d, &ApprovalDialog::decided);
            d.findChild<QPushButton*>(QStringLiteral("denyButton"))->click();
            QCOMPARE(decided.size(), 1);  // once, not again through rejected()
            QCOMPARE(decided.first().first().value<ApprovalChoice>(), ApprovalChoice::Deny);
            QVERIFY(!run.record(QStringLiteral("critic"), QStringLiteral("files_write"), d.choice()));
        }
        {
            ApprovalDialog d(QStringLiteral("critic"), QStringLiteral("files_write"), {});
            QSignalSpy decided(&d, &ApprovalDialog::decided);
            d.reject();  // closing the window denies
            QCOMPARE(decided.size(), 1);
            QCOMPARE(d.choice(), ApprovalChoice::Deny);
        }
        run.reset();
        QVERIFY(!run.covered(QStringLiteral("reader"), QStringLiteral("files_write")));
    }
};

QTEST_MAIN(TestTeamDock)
#include "test_team_dock.moc"
