#pragma once
// ServerPanel: Tools → Local Server. Host, port and API key for the OpenAI-compatible server
// (LocalServer) on the loaded model, Start and Stop, and the server's state: its address while
// it serves, "Stopped", or the error that stopped it (statusText(), also sent to the status bar
// through statusChanged()). Loading another model stops the server. GUI thread only.

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace atelier::ui {

class EngineBridge;
class LocalServer;
struct ServerSettings;

class ServerPanel : public QWidget {
    Q_OBJECT
public:
    // `bridge` is borrowed: the panel serves its loaded model.
    explicit ServerPanel(EngineBridge* bridge, QWidget* parent = nullptr);

    LocalServer* server() const { return m_server; }
    ServerSettings settings() const;
    void setSettings(const ServerSettings& settings);
    QString statusText() const;
    // What Start and Stop do (Start saves host and port).
    bool startServer();
    void stopServer();

signals:
    // A one-line state for the status bar ("Server: http://127.0.0.1:8080", or empty when
    // stopped without an error).
    void statusChanged(const QString& text);

private:
    void showStatus(const QString& text, const QString& statusBarText);
    void updateButtons();

    EngineBridge* m_bridge;
    LocalServer* m_server = nullptr;
    QLineEdit* m_host = nullptr;
    QSpinBox* m_port = nullptr;
    QLineEdit* m_apiKey = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_status = nullptr;
};

// The name a model is served as: its folder (for a config.json or an HF folder) or file stem.
QString servedModelName(const QString& modelPath);

}  // namespace atelier::ui
