// ctest-labels: unit gui
// A model run on a remote OpenAI-compatible endpoint from the model dialog: a URL whose host
// is not in the allowed hosts (empty by default) is refused by the dialog and by the bridge with
// a message naming the host, and nothing connects to it (a listening socket sees no
// connection); the choice is remembered per model (without the API key); against the Server
// panel's own local server over loopback a chat message streams back through RemoteChatBackend,
// text arriving before the turn finishes; and a team from the Team dock's path
// (engineTeamModel) runs on that remote "load" to its done event, its turns answered by the
// server. A team file that names its own server for an agent is checked against the window's
// allowlist (the remote settings'): a host not on it is refused before any connection, and an
// allowed one gets that agent's turn (not the window's endpoint).

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "atelier/ui/agent_tree_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/local_server.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/remote_settings.h"
#include "atelier/ui/server_panel.h"
#include "atelier/ui/team_controller.h"
#include "loaded_tiny_model.h"

using namespace atelier::ui;

namespace {

// A TCP listener on 127.0.0.1 that records whether anyone connected (accept() without waiting).
struct Trap {
    int fd = -1;
    int port = 0;
    Trap() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 4) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            qFatal("cannot listen on 127.0.0.1");
        port = ntohs(a.sin_port);
    }
    ~Trap() { ::close(fd); }
    bool connected() const {
        const int c = ::accept(fd, nullptr, nullptr);
        if (c >= 0) ::close(c);
        return c >= 0;
    }
};

ModelSummary summaryOf(const QString& path) {
    auto s = inspectModel(path);
    if (!s) qFatal("%s", s.error().message.c_str());
    return *s;
}

}  // namespace

class TestRemoteBackend : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_model;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path() + QStringLiteral("/settings"));
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_remote_backend"));
        qputenv("ATELIER_TEAMS_DIR", QByteArray(ATELIER_SOURCE_DIR "/resources/teams"));
        qputenv("ATELIER_PLUGIN_DIR", QByteArray(ATELIER_BINARY_DIR "/lib/plugins"));
        m_model = tiny_model::write(m_dir);
        QVERIFY(!m_model.isEmpty());
    }

    void aHostOutsideTheAllowlistIsRefusedBeforeAnyConnection() {
        Trap trap;
        const QString url = QStringLiteral("http://127.0.0.1:%1/v1").arg(trap.port);
        ModelDialog dialog(summaryOf(m_model), 0);
        dialog.setRemote({true, url, QStringLiteral("m"), QStringLiteral("secret"), {}});
        QVERIFY(dialog.isRemote());
        dialog.open();
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Rejected));  // still open, not accepted
        QVERIFY(dialog.remoteMessage().contains(QStringLiteral("\"127.0.0.1\" is not in the allowed hosts")));
        // Another host listed does not let this one through.
        dialog.setRemote({true, url, {}, {}, {QStringLiteral("localhost")}});
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Rejected));

        // The bridge refuses the same settings (e.g. remembered ones edited by hand).
        EngineBridge bridge;
        QSignalSpy failed(&bridge, &EngineBridge::loadFailed);
        LoadSettings settings;
        settings.remote = {true, url, {}, {}, {}};
        bridge.load(m_model, settings);
        QVERIFY(failed.wait(5000));
        QVERIFY(failed.first().at(0).toString().contains(QStringLiteral("127.0.0.1")));
        QVERIFY(!bridge.isLoaded());
        QTest::qWait(100);
        QVERIFY(!trap.connected());
    }

    void aMessageStreamsBackFromThePanelsOwnServer() {
        EngineBridge local;
        QVERIFY(tiny_model::load(local, m_model));
        ServerPanel panel(&local);
        panel.setSettings({QStringLiteral("127.0.0.1"), 0, {}});
        QSignalSpy started(panel.server(), &LocalServer::started);
        QVERIFY(panel.startServer());
        QVERIFY(started.wait(10000));
        const QString url = started.first().at(0).toString() + QStringLiteral("/v1");

        ModelDialog dialog(summaryOf(m_model), 0);
        dialog.setRemote({true, url, servedModelName(m_model), QStringLiteral("not-saved"), {QStringLiteral("127.0.0.1")}});
        dialog.open();
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        const RemoteSettings remembered = RemoteSettings::loadFor(m_model);
        QVERIFY(remembered.enabled);
        QCOMPARE(remembered.url, url);
        QCOMPARE(remembered.allowedHosts, QStringList{QStringLiteral("127.0.0.1")});
        QVERIFY(remembered.apiKey.isEmpty());
        ModelDialog reopened(summaryOf(m_model), 0);
        QVERIFY(reopened.isRemote());

        EngineBridge remote;
        QSignalSpy loaded(&remote, &EngineBridge::loaded);
        remote.load(m_model, dialog.settings());
        QVERIFY(loaded.wait(10000));
        QVERIFY(remote.isRemote());
        QVERIFY(remote.model().name.contains(QStringLiteral("remote")));
        QVERIFY(!remote.loadedModel().service);  // nothing runs locally
        QVERIFY(remote.loadedModel().backend);    // but turns have their door

        ChatController chat(&remote);
        chat.setMaxTokens(12);
        QSignalSpy streamed(&remote, &EngineBridge::turnDelta);
        QSignalSpy finished(&chat, &ChatController::finished);
        QSignalSpy failed(&chat, &ChatController::failed);
        bool textBeforeDone = false;
        connect(&remote, &EngineBridge::generationFinished, this, [&] { textBeforeDone = streamed.size() > 0; });
        chat.send(QStringLiteral("Hello over loopback"));
        QVERIFY(chat.isBusy());
        QVERIFY2(finished.wait(30000), failed.isEmpty() ? "no answer" : qPrintable(failed.first().at(0).toString()));
        QVERIFY(textBeforeDone);
        const auto stats = finished.first().at(0).value<GenerationStats>();
        QVERIFY(stats.completionTokens > 0);
        QVERIFY(stats.promptTokens > 0);  // the server's usage came back
        QCOMPARE(chat.turns().size(), 2);
        QVERIFY(!chat.turns().last().content.isEmpty());
        QString streamedContent;
        for (const auto& args : streamed) streamedContent += args.at(2).toString();
        QCOMPARE(chat.turns().last().content, streamedContent);
        QVERIFY(!streamedContent.contains(QStringLiteral("</think>")));  // no chat markup comes back
    }

    void aTeamRunsOnARemoteLoadToItsDoneEvent() {
        EngineBridge local;
        QSignalSpy localLoaded(&local, &EngineBridge::loaded);
        LoadSettings localSettings;
        localSettings.threads = 1;
        localSettings.backend = QStringLiteral("cpu");
        localSettings.contextTokens = 8192;  // the team's prompt: its role and tool schemas
        local.load(m_model, localSettings);
        QVERIFY(localLoaded.wait(20000));
        LocalServer server;
        QSignalSpy started(&server, &LocalServer::started);
        QVERIFY(server.start(local.loadedModel(), QStringLiteral("tiny"), {QStringLiteral("127.0.0.1"), 0, {}}));
        QVERIFY(started.wait(10000));
        const QString url = started.first().at(0).toString() + QStringLiteral("/v1");

        EngineBridge remote;
        QSignalSpy loaded(&remote, &EngineBridge::loaded);
        LoadSettings settings;
        settings.remote = {true, url, QStringLiteral("tiny"), {}, {QStringLiteral("127.0.0.1")}};
        remote.load(m_model, settings);
        QVERIFY(loaded.wait(10000));
        QVERIFY(!remote.loadedModel().service);
        QVERIFY(engineTeamModel(remote).has_value());

        QTemporaryDir work;
        QDir().mkpath(work.path() + QStringLiteral("/ws"));
        QDir().mkpath(work.path() + QStringLiteral("/data"));
        AgentTreeModel tree;
        TeamController team(&tree, nullptr);
        team.setDataDir(work.path() + QStringLiteral("/data"));
        team.setModelProvider([&remote] { return engineTeamModel(remote); });
        team.setLimits(8, 4000);  // a few short turns of the random-weight model
        QSignalSpy finished(&team, &TeamController::finished);
        QSignalSpy failed(&team, &TeamController::failed);
        QSignalSpy events(&team, &TeamController::eventApplied);
        QVERIFY(team.start({QStringLiteral("document-analyst"), work.path() + QStringLiteral("/ws"),
                            QStringLiteral("What do the notes say?")}));
        QVERIFY2(finished.wait(60000), failed.isEmpty() ? "no end" : qPrintable(failed.first().at(0).toString()));
        QVERIFY(failed.isEmpty());
        // The run ends on its own terms ("ok", or a budget or loop guard), never because the
        // model failed to answer.
        QVERIFY2(finished.first().at(0).toString() != QLatin1String("failed"),
                 qPrintable(finished.first().at(1).toString()));
        QJsonObject done;
        for (const auto& args : events)
            if (args.at(0).toJsonObject().value(QStringLiteral("event")).toString() == QLatin1String("done"))
                done = args.at(0).toJsonObject();
        QVERIFY(!done.isEmpty());
        QCOMPARE(done.value(QStringLiteral("status")).toString(), finished.first().at(0).toString());
        // The agent's turns were generated by the server's model: its tokens were counted.
        QVERIFY(tree.tokens(QStringLiteral("analyst")) > 0);
        QTRY_VERIFY(!team.isRunning());
    }

    void aTeamAgentsOwnServerIsCheckedAgainstTheWindowsAllowlist() {
        Trap window;  // the window's remote "load": the agent names another server
        Trap named;   // the server the team file names
        EngineBridge remote;
        QSignalSpy loaded(&remote, &EngineBridge::loaded);
        LoadSettings settings;
        settings.remote = {true, QStringLiteral("http://127.0.0.1:%1/v1").arg(window.port), {}, {},
                           {QStringLiteral("127.0.0.1")}};
        remote.load(m_model, settings);
        QVERIFY(loaded.wait(10000));
        QVERIFY(remote.allowedHosts().allows("127.0.0.1"));
        QVERIFY(!remote.allowedHosts().allows("localhost"));

        QTemporaryDir work;
        QDir().mkpath(work.path() + QStringLiteral("/ws"));
        QDir().mkpath(work.path() + QStringLiteral("/data"));
        auto writeTeam = [&work](const QString& host, int port) {
            const QString path = work.path() + QStringLiteral("/own-server.md");
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write the team file");
            f.write(QStringLiteral("---\nname: own-server\nagent:\n  name: analyst\n  tools: [files_read]\n"
                                   "  grants: [{path: \"${workspace}\", access: read}]\n"
                                   "  budgets: {tokens: 4000, steps: 1, wall_seconds: 60, depth: 0}\n"
                                   "  approval: auto\n  backend: {url: \"http://%1:%2/v1\"}\n---\n"
                                   "You read the notes and answer.\n").arg(host).arg(port).toUtf8());
            return path;
        };
        AgentTreeModel tree;
        TeamController team(&tree, nullptr);
        team.setDataDir(work.path() + QStringLiteral("/data"));
        team.setModelProvider([&remote] { return engineTeamModel(remote); });
        team.setLimits(8, 4000);
        QSignalSpy finished(&team, &TeamController::finished);
        QSignalSpy failed(&team, &TeamController::failed);
        QSignalSpy started(&team, &TeamController::teamStarted);

        // "localhost" is not on the window's allowlist: refused by name, nothing contacted.
        QVERIFY(team.start({writeTeam(QStringLiteral("localhost"), named.port), work.path() + QStringLiteral("/ws"),
                            QStringLiteral("What do the notes say?")}));
        QVERIFY(failed.wait(10000));
        const QString why = failed.first().at(0).toString();
        QVERIFY2(why.contains(QStringLiteral("'localhost'")) && why.contains(QStringLiteral("analyst")),
                 qPrintable(why));
        QVERIFY(started.isEmpty());
        QTRY_VERIFY(!team.isRunning());
        QVERIFY(!named.connected());

        // 127.0.0.1 is on it: the team passes the check and the agent's turn goes to the server
        // the file names, not to the window's endpoint. The trap closes the connection, so the
        // turn fails and the run ends.
        failed.clear();
        QVERIFY(team.start({writeTeam(QStringLiteral("127.0.0.1"), named.port), work.path() + QStringLiteral("/ws"),
                            QStringLiteral("What do the notes say?")}));
        QVERIFY(started.wait(10000));
        // connected() takes the connection, and QTRY_ evaluates its condition once more at the end.
        bool reached = false;
        QTRY_VERIFY_WITH_TIMEOUT(reached = reached || named.connected(), 15000);
        QVERIFY(!window.connected());
        team.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!team.isRunning(), 30000);
        QVERIFY(finished.size() + failed.size() >= 1);
    }
};

QTEST_MAIN(TestRemoteBackend)
#include "test_remote_backend.moc"
