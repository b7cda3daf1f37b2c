#pragma once
// LocalServer: the OpenAI-compatible server (agents::OpenAiServer, as `atelier-cli serve` runs
// it) on the model loaded in the GUI. Binding, serving and stopping happen on a thread of its
// own, so the GUI never waits for a socket; the server keeps the model's service alive (a
// LoadedModel) for as long as it serves. A non-loopback host needs an API key, as in the CLI.
// ServerSettings are remembered in QSettings ("server/host", "server/port"); the API key is
// not written to disk.
// Threads: every public method on the GUI thread, returning at once; signals arrive there.

#include <QObject>
#include <QString>
#include <memory>

#include "atelier/ui/engine_bridge.h"

class QThread;

namespace atelier::ui {

struct ServerSettings {
    QString host = QStringLiteral("127.0.0.1");
    int port = 8080;  // 0: any free port
    QString apiKey;   // empty: none (loopback only)

    static ServerSettings load();  // host and port from QSettings
    void save() const;             // host and port only
};

enum class ServerState { Stopped, Starting, Running, Stopping };

class LocalServer : public QObject {
    Q_OBJECT
public:
    explicit LocalServer(QObject* parent = nullptr);
    ~LocalServer() override;  // stops the server and joins its thread

    ServerState state() const { return m_state; }
    // "http://HOST:PORT" while running, else empty.
    QString address() const { return m_address; }
    int port() const { return m_port; }

    // Starts serving `engine` as `modelName`. False (with failed()) when not stopped, no model is
    // loaded, or a non-loopback host has no API key; binding errors come as failed() later.
    bool start(const LoadedModel& engine, const QString& modelName, const ServerSettings& settings);
    // Stops serving (open streams end, their generations are cancelled): stopped().
    void stop();

signals:
    void started(const QString& address);
    void stopped();
    void failed(const QString& message);
    void stateChanged();

private:
    struct Serving;  // the worker thread's server
    void setState(ServerState state);

    QThread* m_thread = nullptr;
    QObject* m_worker = nullptr;        // lives on m_thread; jobs run in its context
    std::shared_ptr<Serving> m_serving;  // touched only by jobs on m_thread (and the destructor)
    ServerState m_state = ServerState::Stopped;
    QString m_address;
    int m_port = 0;
};

}  // namespace atelier::ui
