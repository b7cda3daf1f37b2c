#pragma once
// ModelDialog: shown before a model loads — its config, parameter count, and the memory a load
// needs at the chosen context (weights + KV cache + per-sequence state) against the memory the
// machine has free, with a plain "fits" / "does not fit" verdict. Loading itself happens on the
// engine worker once the user accepts. GUI thread only.

#include <QDialog>

#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/model_summary.h"

class QLabel;
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

private:
    void update();

    ModelSummary m_summary;
    qint64 m_free;
    QSpinBox* m_context = nullptr;
    QSpinBox* m_threads = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_verdict = nullptr;
};

}  // namespace atelier::ui
