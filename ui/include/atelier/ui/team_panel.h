#pragma once
// TeamPanel: the Team dock — pick a team template or file (parsed off the GUI thread), the live
// agent tree (AgentTreeModel: state, tokens, budget) and the selected agent's own transcript.
// A stored team run is replayed from its persisted events (showRun). With a TeamController
// (setController), a workspace folder and a task, Run starts the team live and Stop cancels it.
// GUI thread only.

#include <QStringList>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTextBrowser;
class QTimer;
class QTreeView;

namespace atelier::ui {

class AgentTreeModel;
class TeamController;

class TeamPanel : public QWidget {
    Q_OBJECT
public:
    explicit TeamPanel(QWidget* parent = nullptr);
    AgentTreeModel* model() const { return m_model; }
    // Loads a team file or template name and shows its agents, idle.
    void loadTeam(const QString& nameOrPath);
    // Shows a stored run: the team's tree, then every persisted event (JSON text) in order.
    void showRun(const QString& team, const QStringList& events);
    QString shownTeam() const { return m_team; }
    // Wires Run/Stop to `controller` (borrowed; it must feed this panel's model()).
    void setController(TeamController* controller);
    void setWorkspace(const QString& folder);
    void setTask(const QString& task);
    // What Run does: starts the loaded team on the workspace and task (false: not started).
    bool runTeam();
    QString statusText() const;
    // The selected agent's transcript as shown, and how often it was rendered (throttled).
    QString shownTranscript() const;
    int transcriptRenders() const { return m_renders; }

signals:
    void teamLoaded(const QString& name);
    void teamFailed(const QString& message);

private:
    void showTranscript();
    void applyEvents(const QStringList& events);
    void updateButtons();
    // The picker shows the team on screen: its template, its file's entry, or "Choose a team…".
    void showLoadedSource();
    void onFinished(const QString& status, const QString& report);

    AgentTreeModel* m_model = nullptr;
    QComboBox* m_templates = nullptr;
    QTreeView* m_tree = nullptr;
    QTextBrowser* m_transcript = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_stop = nullptr;
    QLineEdit* m_workspace = nullptr;
    QLineEdit* m_task = nullptr;
    TeamController* m_controller = nullptr;
    QString m_team;
    QString m_source;  // the template name or file the shown team was loaded from
    QString m_loadedSource;  // the same, once it has loaded ("" while none has)
    QStringList m_pendingEvents;  // events of a run whose team is still being parsed
    QTimer* m_renderThrottle = nullptr;
    int m_renders = 0;
};

}  // namespace atelier::ui
