// ctest-labels: unit gui
// A team run from the Team dock: the `document-analyst` template, with Settings asking for every
// call, runs on the scripted test double; its files_read call opens the approval dialog, which
// is answered while the run waits on its own thread (so the GUI thread never waited), the tree
// shows the agent waiting, then done, and the run ends ok with the tool's real result in the
// transcript. Denying instead refuses the call; Stop while a question is open cancels the run.

#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "../agents/scripted_test_model.h"
#include "atelier/agents/team.h"
#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/approval_broker.h"
#include "atelier/ui/settings_dialog.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"

using namespace atelier::ui;

namespace {
struct Fixture {
    QTemporaryDir tmp;
    QString workspace = tmp.path() + QStringLiteral("/ws");
    QString data = tmp.path() + QStringLiteral("/data");
    std::shared_ptr<scripted::ScriptedTestModel> model = std::make_shared<scripted::ScriptedTestModel>();
    TeamPanel panel;
    TeamController controller{panel.model(), &panel};

    Fixture() {
        QDir().mkpath(workspace);
        QDir().mkpath(data);
        QFile f(workspace + QStringLiteral("/notes.txt"));
        f.open(QIODevice::WriteOnly);
        f.write("the launch date is 2026-03-01\n");
        f.close();
        model->script("analyst", {scripted::calls({scripted::call("files_read", {{"path", "notes.txt"}})}),
                                  scripted::answer("Launch: 2026-03-01 (notes.txt:1).")});
        controller.setDataDir(data);
        controller.setModelProvider([m = model] { return std::optional<TeamModel>(TeamModel{m, {}}); });
        panel.setController(&controller);
    }
    // Loads the template and starts the run through the dock's own Run path.
    bool start() {
        QSignalSpy loaded(&panel, &TeamPanel::teamLoaded);
        panel.loadTeam(QStringLiteral("document-analyst"));
        if (!loaded.wait(5000)) return false;
        panel.setWorkspace(workspace);
        panel.setTask(QStringLiteral("When is the launch?"));
        return panel.runTeam();
    }
};

void clickWhenAsked(ApprovalBroker* broker, const char* button, QStringList* statesSeen, AgentTreeModel* tree) {
    QObject::connect(broker, &ApprovalBroker::questionShown, broker, [=](const QString& agent, const QString&) {
        statesSeen->append(tree->state(agent));
        QPushButton* b = broker->pendingDialog()->findChild<QPushButton*>(QString::fromLatin1(button));
        QVERIFY(b);
        b->click();
    }, Qt::QueuedConnection);
}
}  // namespace

class TestTeamRun : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("ATELIER_TEAMS_DIR", QByteArray(ATELIER_SOURCE_DIR "/resources/teams"));
        qputenv("ATELIER_PLUGIN_DIR", QByteArray(ATELIER_BINARY_DIR "/lib/plugins"));
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_team_run"));
        AppSettings s;
        s.approvalMode = QStringLiteral("ask-all");  // stricter than the template's "auto"
        s.save();
    }

    void anApprovedCallRunsAndTheRunEndsDone() {
        Fixture f;
        QStringList seen;
        clickWhenAsked(f.controller.broker(), "allowOnceButton", &seen, f.panel.model());
        QSignalSpy finished(&f.controller, &TeamController::finished);
        QSignalSpy events(&f.controller, &TeamController::eventApplied);
        QVERIFY(f.start());
        QVERIFY(f.controller.isRunning());
        QVERIFY(finished.wait(8000));
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("ok"));
        QVERIFY(finished.first().at(1).toString().contains(QStringLiteral("2026-03-01")));
        QCOMPARE(seen, QStringList{QStringLiteral("waiting for approval: files_read")});
        AgentTreeModel* tree = f.panel.model();
        QCOMPARE(tree->runStatus(), QStringLiteral("ok"));
        QVERIFY(tree->state(QStringLiteral("analyst")).startsWith(QStringLiteral("done")));
        QVERIFY(tree->tokens(QStringLiteral("analyst")) > 0);
        // The real files_read plugin ran on the workspace: its result is in the transcript.
        QVERIFY(tree->transcript(QStringLiteral("analyst")).contains(QStringLiteral("the launch date is")));
        bool askedAndAllowed = false;
        for (const auto& args : events) {
            const QJsonObject e = args.at(0).toJsonObject();
            if (e.value(QStringLiteral("event")).toString() == QLatin1String("tool_call"))
                askedAndAllowed = e.value(QStringLiteral("decision")).toString() == QLatin1String("ask") &&
                                  e.value(QStringLiteral("approval")).toString() == QLatin1String("allow");
        }
        QVERIFY(askedAndAllowed);
        QTRY_VERIFY(!f.controller.isRunning());
        QVERIFY(f.panel.findChild<QPushButton*>(QStringLiteral("teamRunButton"))->isEnabled());
        QVERIFY(f.panel.statusText().contains(QStringLiteral("run ok")));
    }

    // The tree shows the budget the run holds the agent to: the team's, lowered by a cap.
    void theTreeShowsTheCappedBudget() {
        Fixture f;
        QStringList seen;
        clickWhenAsked(f.controller.broker(), "allowOnceButton", &seen, f.panel.model());
        f.controller.setLimits(0, 777);
        QSignalSpy started(&f.controller, &TeamController::teamStarted);
        QSignalSpy finished(&f.controller, &TeamController::finished);
        QVERIFY(f.start());
        QVERIFY(started.wait(5000));
        AgentTreeModel* tree = f.panel.model();
        QCOMPARE(tree->index(0, AgentTreeModel::Budget).data().toLongLong(), 777);
        QVERIFY(finished.wait(8000));
    }

    void aDeniedCallIsRefusedAndTheRunStillEnds() {
        Fixture f;
        QStringList seen;
        clickWhenAsked(f.controller.broker(), "denyButton", &seen, f.panel.model());
        QSignalSpy finished(&f.controller, &TeamController::finished);
        QStringList states;  // the analyst's state after each event
        QSignalSpy events(&f.controller, &TeamController::eventApplied);
        connect(&f.controller, &TeamController::eventApplied, this,
                [&] { states << f.panel.model()->state(QStringLiteral("analyst")); });
        QVERIFY(f.start());
        QVERIFY(finished.wait(8000));
        QCOMPARE(seen.size(), 1);
        QVERIFY(events.size() > 0);
        const QString transcript = f.panel.model()->transcript(QStringLiteral("analyst"));
        QVERIFY(!transcript.contains(QStringLiteral("the launch date is")));  // never read
        QVERIFY(states.contains(QStringLiteral("denied: files_read")));
        QVERIFY(f.panel.model()->state(QStringLiteral("analyst")).startsWith(QStringLiteral("done")));
    }

    void stopWhileAskingCancelsTheRun() {
        Fixture f;
        QSignalSpy asked(f.controller.broker(), &ApprovalBroker::questionShown);
        QSignalSpy finished(&f.controller, &TeamController::finished);
        QVERIFY(f.start());
        QVERIFY(asked.wait(5000));
        QVERIFY(f.panel.findChild<QPushButton*>(QStringLiteral("teamStopButton"))->isEnabled());
        f.panel.findChild<QPushButton*>(QStringLiteral("teamStopButton"))->click();
        QVERIFY(finished.wait(8000));
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("cancelled"));
        QCOMPARE(f.controller.broker()->pendingCount(), 0);
    }

    void destroyingTheControllerMidRunDoesNotHang() {
        auto f = std::make_unique<Fixture>();
        QSignalSpy asked(f->controller.broker(), &ApprovalBroker::questionShown);
        QVERIFY(f->start());
        QVERIFY(asked.wait(5000));
        f.reset();  // the destructor stops, denies the open question and joins
    }

    void settingsTightenApprovalAndGrantTheRootOnly() {
        namespace ag = atelier::agents;
        auto file = ag::findTeamFile("review-team");
        QVERIFY(file.has_value());
        auto team = ag::loadTeam(*file, "/tmp");
        QVERIFY(team.has_value());
        std::vector<ag::ApprovalMode> modes;
        std::vector<std::size_t> grants;
        for (const auto* a : team->agents()) {
            modes.push_back(a->approval);
            grants.push_back(a->grants.size());
        }
        AppSettings lax;
        lax.approvalMode = QStringLiteral("auto");
        applyTeamSettings(*team, lax);  // never loosens what the team file asks
        for (std::size_t i = 0; i < modes.size(); ++i) QCOMPARE(team->agents()[i]->approval, modes[i]);

        AppSettings strict;
        strict.approvalMode = QStringLiteral("ask-all");
        strict.grants = {{QStringLiteral("/srv/shared-docs"), false}};
        applyTeamSettings(*team, strict);
        for (const auto* a : team->agents()) QCOMPARE(a->approval, ag::ApprovalMode::AskForAll);
        QCOMPARE(team->root.grants.size(), grants[0] + 1);
        QCOMPARE(team->root.grants.back().root, std::filesystem::path("/srv/shared-docs"));
        QCOMPARE(team->root.grants.back().access, ag::Access::Read);
        for (std::size_t i = 1; i < grants.size(); ++i) QCOMPARE(team->agents()[i]->grants.size(), grants[i]);
        QVERIFY(ag::checkTeam(*team, {}).has_value());  // children still within their parent
    }

    void aRunNeedsAModel() {
        Fixture f;
        f.controller.setModelProvider([] { return std::optional<TeamModel>(); });
        QSignalSpy failed(&f.controller, &TeamController::failed);
        QVERIFY(!f.start());
        QCOMPARE(failed.size(), 1);
        QVERIFY(!f.controller.isRunning());
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestTeamRun)
#include "test_team_run.moc"
