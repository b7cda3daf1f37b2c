#include "atelier/ui/server_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/local_server.h"

namespace atelier::ui {

QString servedModelName(const QString& modelPath) {
    QFileInfo info(QDir::cleanPath(modelPath));
    if (info.fileName() == QLatin1String("config.json")) info = QFileInfo(info.absolutePath());
    const QString name = info.isDir() ? info.fileName() : info.completeBaseName();
    return name.isEmpty() ? QStringLiteral("atelier") : name;
}

ServerPanel::ServerPanel(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge), m_server(new LocalServer(this)) {
    setObjectName(QStringLiteral("serverPanel"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("Serve the loaded model over an OpenAI-compatible API "
                                "(GET /v1/models, POST /v1/chat/completions, /v1/completions)."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_host = new QLineEdit(this);
    m_host->setObjectName(QStringLiteral("serverHost"));
    m_host->setToolTip(tr("127.0.0.1: this computer only. Any other address needs an API key."));
    form->addRow(tr("Address"), m_host);
    m_port = new QSpinBox(this);
    m_port->setObjectName(QStringLiteral("serverPort"));
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    form->addRow(tr("Port"), m_port);
    m_apiKey = new QLineEdit(this);
    m_apiKey->setObjectName(QStringLiteral("serverApiKey"));
    m_apiKey->setEchoMode(QLineEdit::Password);
    m_apiKey->setPlaceholderText(tr("optional on 127.0.0.1; not saved"));
    form->addRow(tr("API key"), m_apiKey);
    layout->addLayout(form);
    auto* row = new QHBoxLayout;
    m_start = new QPushButton(tr("Start"), this);
    m_start->setObjectName(QStringLiteral("serverStartButton"));
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("serverStopButton"));
    row->addWidget(m_start);
    row->addWidget(m_stop);
    row->addStretch(1);
    layout->addLayout(row);
    m_status = new QLabel(tr("Stopped"), this);
    m_status->setObjectName(QStringLiteral("serverStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);
    layout->addStretch(1);
    setSettings(ServerSettings::load());

    connect(m_start, &QPushButton::clicked, this, &ServerPanel::startServer);
    connect(m_stop, &QPushButton::clicked, this, &ServerPanel::stopServer);
    connect(m_server, &LocalServer::stateChanged, this, &ServerPanel::updateButtons);
    connect(m_server, &LocalServer::started, this, [this](const QString& address) {
        showStatus(tr("Serving %1 at %2").arg(servedModelName(m_bridge->model().path), address),
                   tr("Server: %1").arg(address));
    });
    connect(m_server, &LocalServer::stopped, this, [this] {
        if (!m_status->text().startsWith(tr("Stopped"))) showStatus(tr("Stopped"), QString());
    });
    connect(m_server, &LocalServer::failed, this, [this](const QString& why) {
        showStatus(tr("Not serving: %1").arg(why), tr("Server error: %1").arg(why));
    });
    // Another model replaces the one being served: the server goes with it.
    connect(m_bridge, &EngineBridge::loadProgress, this, [this](int percent) {
        if (percent < 100 && m_server->state() != ServerState::Stopped) {
            m_server->stop();
            showStatus(tr("Stopped: another model is loading"), QString());
        }
    });
    updateButtons();
}

ServerSettings ServerPanel::settings() const {
    ServerSettings s;
    s.host = m_host->text().trimmed();
    s.port = m_port->value();
    s.apiKey = m_apiKey->text();
    return s;
}

void ServerPanel::setSettings(const ServerSettings& s) {
    m_host->setText(s.host);
    m_port->setValue(s.port);
    m_apiKey->setText(s.apiKey);
}

QString ServerPanel::statusText() const { return m_status->text(); }

bool ServerPanel::startServer() {
    const ServerSettings s = settings();
    s.save();
    const bool ok = m_server->start(m_bridge->loadedModel(), servedModelName(m_bridge->model().path), s);
    if (ok) showStatus(tr("Starting on %1…").arg(s.host), QString());
    return ok;
}

void ServerPanel::stopServer() {
    m_server->stop();
    showStatus(tr("Stopping…"), QString());
}

void ServerPanel::showStatus(const QString& text, const QString& statusBarText) {
    m_status->setText(text);
    emit statusChanged(statusBarText);
}

void ServerPanel::updateButtons() {
    const ServerState state = m_server->state();
    m_start->setEnabled(state == ServerState::Stopped);
    m_stop->setEnabled(state == ServerState::Running || state == ServerState::Starting);
    for (QWidget* w : {static_cast<QWidget*>(m_host), static_cast<QWidget*>(m_port), static_cast<QWidget*>(m_apiKey)})
        w->setEnabled(state == ServerState::Stopped);
}

}  // namespace atelier::ui
