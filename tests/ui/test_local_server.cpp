// ctest-labels: unit gui
// ctest-libs: PkgConfig::CPP_HTTPLIB
// Tools → Local Server: the panel starts a real OpenAI-compatible server on the loaded tiny
// model at 127.0.0.1 on an ephemeral port without blocking the GUI thread (start() returns
// while the server is still starting), shows its address in the panel and in the main window's
// status bar, answers GET /v1/models with the served model's name over HTTP, and stops (the
// port then refuses connections). A non-loopback address without an API key is refused, as
// in the CLI; starting without a model is refused too.

#include <QAction>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/local_server.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/server_panel.h"
#include "loaded_tiny_model.h"

using namespace atelier::ui;

class TestLocalServer : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_model;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path() + QStringLiteral("/settings"));
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_local_server"));
        m_model = tiny_model::write(m_dir);
        QVERIFY(!m_model.isEmpty());
    }

    void startsServesModelsOverHttpAndStops() {
        MainWindow window;
        EngineBridge* bridge = window.engineBridge();
        QVERIFY(tiny_model::load(*bridge, m_model));
        ServerPanel* panel = window.serverPanel();
        QVERIFY(panel);
        // Tools → Local Server shows the panel's window.
        auto* action = window.findChild<QAction*>(QStringLiteral("serverAction"));
        QVERIFY(action);
        action->trigger();
        QVERIFY(panel->isVisible());
        panel->setSettings({QStringLiteral("127.0.0.1"), 0, {}});
        QSignalSpy started(panel->server(), &LocalServer::started);
        QVERIFY(panel->startServer());
        QVERIFY(panel->server()->state() == ServerState::Starting);  // returned before binding
        QVERIFY(started.wait(10000));
        const int port = panel->server()->port();
        QVERIFY(port > 0);
        const QString address = QStringLiteral("http://127.0.0.1:%1").arg(port);
        QCOMPARE(started.first().at(0).toString(), address);
        QVERIFY(panel->statusText().contains(address));
        auto* bar = window.findChild<QLabel*>(QStringLiteral("serverStatusBar"));
        QVERIFY(bar && bar->text().contains(address));

        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        auto res = client.Get("/v1/models");
        QVERIFY(res);
        QCOMPARE(res->status, 200);
        const auto models = nlohmann::json::parse(res->body, nullptr, false);
        QVERIFY(!models.is_discarded());
        QCOMPARE(QString::fromStdString(models["data"][0]["id"].get<std::string>()), servedModelName(m_model));
        QCOMPARE(servedModelName(m_model), QStringLiteral("tiny-served"));

        QSignalSpy stopped(panel->server(), &LocalServer::stopped);
        panel->stopServer();
        QVERIFY(stopped.wait(10000));
        QVERIFY(panel->server()->state() == ServerState::Stopped);
        QVERIFY(panel->statusText().startsWith(QStringLiteral("Stopped")));
        QVERIFY(bar->text().isEmpty() || !bar->isVisibleTo(&window));
        httplib::Client after("127.0.0.1", port);
        after.set_connection_timeout(2, 0);
        QVERIFY(!after.Get("/v1/models"));
    }

    void aNonLoopbackAddressNeedsAnApiKey() {
        EngineBridge bridge;
        QVERIFY(tiny_model::load(bridge, m_model));
        ServerPanel panel(&bridge);
        panel.setSettings({QStringLiteral("0.0.0.0"), 0, {}});
        QSignalSpy failed(panel.server(), &LocalServer::failed);
        QVERIFY(!panel.startServer());
        QCOMPARE(failed.size(), 1);
        QVERIFY(panel.statusText().contains(QStringLiteral("API key")));
        QVERIFY(panel.server()->state() == ServerState::Stopped);
    }

    void startingWithoutAModelIsRefused() {
        EngineBridge bridge;
        ServerPanel panel(&bridge);
        panel.setSettings({QStringLiteral("127.0.0.1"), 0, {}});
        QVERIFY(!panel.startServer());
        QVERIFY(panel.statusText().contains(QStringLiteral("Load a model")));
    }
};

QTEST_MAIN(TestLocalServer)
#include "test_local_server.moc"
