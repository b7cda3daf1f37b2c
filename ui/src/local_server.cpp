#include "atelier/ui/local_server.h"

#include <QSettings>
#include <QThread>

#include "atelier/agents/dsml_constraints.h"
#include "atelier/agents/openai_server.h"
#include "atelier/base/log.h"

namespace atelier::ui {

struct LocalServer::Serving {
    LoadedModel engine;  // keeps the service alive while the server uses it
    std::unique_ptr<agents::OpenAiServer> server;
};

ServerSettings ServerSettings::load() {
    QSettings s;
    ServerSettings out;
    out.host = s.value(QStringLiteral("server/host"), out.host).toString();
    out.port = s.value(QStringLiteral("server/port"), out.port).toInt();
    return out;
}

void ServerSettings::save() const {
    QSettings s;
    s.setValue(QStringLiteral("server/host"), host);
    s.setValue(QStringLiteral("server/port"), port);
}

LocalServer::LocalServer(QObject* parent) : QObject(parent), m_serving(std::make_shared<Serving>()) {
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("local-server"));
    m_worker = new QObject;
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

LocalServer::~LocalServer() {
    m_thread->quit();
    m_thread->wait();
    delete m_worker;
    // The worker thread has ended: this thread is now the only one controlling the server.
    if (m_serving->server) m_serving->server->stop();
    m_serving.reset();
}

void LocalServer::setState(ServerState state) {
    if (m_state == state) return;
    m_state = state;
    emit stateChanged();
}

bool LocalServer::start(const LoadedModel& engine, const QString& modelName, const ServerSettings& settings) {
    auto refuse = [this](const QString& why) {
        emit failed(why);
        return false;
    };
    if (m_state != ServerState::Stopped) return refuse(tr("The server is already running"));
    if (!engine.service || !engine.tokenizer) return refuse(tr("Load a model first: the server serves the loaded model"));
    const std::string host = settings.host.trimmed().toStdString();
    if (host.empty()) return refuse(tr("Enter the address to listen on (127.0.0.1 for this computer only)"));
    if (!agents::isLoopbackHost(host) && settings.apiKey.isEmpty())
        return refuse(tr("Refusing to serve on the non-loopback address %1 without an API key: "
                         "anyone on the network could use the model").arg(settings.host));
    agents::ServeOptions options;
    options.host = host;
    options.port = settings.port;
    options.apiKey = settings.apiKey.toStdString();
    options.modelName = modelName.isEmpty() ? std::string("atelier") : modelName.toStdString();
    setState(ServerState::Starting);
    auto serving = m_serving;
    QMetaObject::invokeMethod(m_worker, [this, serving, engine, options] {
        auto server = std::make_unique<agents::OpenAiServer>(options, *engine.service, *engine.tokenizer);
        server->chatBackend().setConstraintFactory(agents::dsmlChatConstraintFactory());
        auto port = server->start();
        if (!port) {
            const QString why = QString::fromStdString(port.error().message);
            atelier::logger("ui")->error("local server: {}", port.error().message);
            QMetaObject::invokeMethod(this, [this, why] {
                setState(ServerState::Stopped);
                emit failed(why);
            }, Qt::QueuedConnection);
            return;
        }
        serving->engine = engine;
        serving->server = std::move(server);
        const bool v6 = options.host.find(':') != std::string::npos;
        const QString address = QStringLiteral("http://%1:%2")
                                    .arg(QString::fromStdString(v6 ? "[" + options.host + "]" : options.host))
                                    .arg(*port);
        atelier::logger("ui")->info("local server listening on {}", address.toStdString());
        QMetaObject::invokeMethod(this, [this, address, p = *port] {
            m_address = address;
            m_port = p;
            setState(ServerState::Running);
            emit started(address);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
    return true;
}

void LocalServer::stop() {
    if (m_state != ServerState::Running && m_state != ServerState::Starting) return;
    setState(ServerState::Stopping);
    auto serving = m_serving;
    QMetaObject::invokeMethod(m_worker, [this, serving] {
        if (serving->server) serving->server->stop();
        serving->server.reset();
        serving->engine = {};
        atelier::logger("ui")->info("local server stopped");
        QMetaObject::invokeMethod(this, [this] {
            m_address.clear();
            m_port = 0;
            setState(ServerState::Stopped);
            emit stopped();
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

}  // namespace atelier::ui
