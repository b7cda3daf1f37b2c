#pragma once
// ModelDialog: shown before a model loads — its config, parameter count, and the memory a load
// needs at the chosen context (weights + KV cache + per-sequence state) against the memory the
// machine has free, with a plain "fits" / "does not fit" verdict, and the plan of `model plan`
// (expert cache, predicted speed on this machine) once the planner thread has it. Loading itself happens on the
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
class QFormLayout;
class QTimer;

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
    // Asks `bridge` for the plan `atelier-cli model plan` computes (memory resident, expert
    // cache, predicted decode and prefill tok/s, paging warning) at the chosen context, again
    // when the context changes; shown under "On this machine" once it comes (machine probes
    // cached in `dataDir`). Nothing is asked for a folder whose weights are missing.
    void requestPlan(EngineBridge* bridge, const QString& dataDir);
    void setPlan(const agents::ModelPlan& plan);
    // The plan as shown ("" before one was asked for).
    QString planText() const;
    // Checks the remote choice (refusing, with remoteMessage(), a host that is not allowed),
    // remembers the choice for this model, then accepts.
    void accept() override;

private:
    void update();
    QWidget* buildRemoteGroup();
    void askPlan();
    void showPlanText(const QString& text);  // and grows the dialog to show it whole

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
    QFormLayout* m_form = nullptr;
    QLabel* m_plan = nullptr;
    QTimer* m_planTimer = nullptr;  // a context being typed is planned once it settles
    EngineBridge* m_bridge = nullptr;
    QString m_dataDir;
};

}  // namespace atelier::ui
