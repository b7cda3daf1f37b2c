#pragma once
// ModelDialog: shown before a model loads — its config, parameter count, and the memory a load
// needs at the chosen context (weights + KV cache + per-sequence state) against the memory the
// machine has free, with a plain "fits" / "does not fit" verdict. Loading itself happens on the
// engine worker once the user accepts. "Run on: Remote (OpenAI-compatible endpoint)" instead
// sends chat to an endpoint (URL, model name, optional API key, allowed hosts): Load refuses,
// with the reason shown in the dialog, a URL whose host is not allowed, and the choice is
// remembered for this model (RemoteSettings, without the key). GUI thread only.

#include <QDialog>

#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/model_summary.h"

class QLabel;
class QLineEdit;
class QSpinBox;
class QComboBox;

namespace atelier::ui {

class ModelDialog : public QDialog {
    Q_OBJECT
public:
    // `freeBytes`: the memory available now (availableMemoryBytes()); 0: unknown.
    ModelDialog(const ModelSummary& summary, qint64 freeBytes, QWidget* parent = nullptr);

    const ModelSummary& summary() const { return m_summary; }
    LoadSettings settings() const;
    void setContextTokens(qint64 tokens);
    void setThreads(int threads);
    bool fits() const;
    // The text of the memory verdict as shown.
    QString verdictText() const;
    bool isRemote() const;
    // The remote fields as entered (enabled when Remote is chosen).
    RemoteSettings remoteSettings() const;
    void setRemote(const RemoteSettings& remote);
    // Why Load was refused for the remote choice; empty when it was not.
    QString remoteMessage() const;
    // Checks the remote choice (refusing, with remoteMessage(), a host that is not allowed),
    // remembers the choice for this model, then accepts.
    void accept() override;

private:
    void update();
    QWidget* buildRemoteGroup();

    ModelSummary m_summary;
    qint64 m_free;
    QSpinBox* m_context = nullptr;
    QSpinBox* m_threads = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_verdict = nullptr;
    QComboBox* m_runOn = nullptr;
    QWidget* m_remoteGroup = nullptr;
    QLineEdit* m_url = nullptr;
    QLineEdit* m_remoteModel = nullptr;
    QLineEdit* m_apiKey = nullptr;
    QLineEdit* m_hosts = nullptr;
    QLabel* m_remoteMessage = nullptr;
};

}  // namespace atelier::ui
