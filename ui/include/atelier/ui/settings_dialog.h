#pragma once
// AppSettings and SettingsDialog: what the user sets once — threads, backend, the KV checkpoint
// disk budget and window-state strategy, the folders tools may read or write (policy grants) and
// the approval mode for tool calls — kept in QSettings. GUI thread only.

#include <QDialog>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QListWidget;
class QSpinBox;

namespace atelier::ui {

struct PathGrantSetting {
    QString path;
    bool write = false;  // read only when false
};

struct AppSettings {
    int threads = 0;                     // 0: one per core
    QString backend = QStringLiteral("auto");       // "cpu", "cuda", "auto"
    double kvBudgetGiB = 8.0;            // automatic checkpoints on disk
    QString kvStrategy = QStringLiteral("full");    // "full", "periodic", "none"
    QList<PathGrantSetting> grants;
    QString approvalMode = QStringLiteral("ask-writes");  // "auto", "ask-writes", "ask-all"
    bool reloadLastModel = true;         // at start, load the last model that loaded (off-thread)

    static AppSettings load();   // from QSettings (defaults where unset)
    void save() const;
};

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
    AppSettings settings() const;

private:
    void addGrant(const QString& path, bool write);

    QSpinBox* m_threads = nullptr;
    QComboBox* m_backend = nullptr;
    QDoubleSpinBox* m_budget = nullptr;
    QComboBox* m_strategy = nullptr;
    QListWidget* m_grants = nullptr;
    QComboBox* m_approval = nullptr;
    QCheckBox* m_reloadLast = nullptr;
};

}  // namespace atelier::ui
