#pragma once
// TeamPanel: the Team dock — pick a team template or file (parsed off the GUI thread), the live
// agent tree (AgentTreeModel: state, tokens, budget) and the selected agent's own transcript.
// A stored team run is replayed from its persisted events (showRun). Starting a run needs the
// team runtime (agents/src/runtime), which this branch does not link yet. GUI thread only.

#include <QStringList>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;
class QTreeView;

namespace atelier::ui {

class AgentTreeModel;

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

signals:
    void teamLoaded(const QString& name);
    void teamFailed(const QString& message);

private:
    void showTranscript();
    void applyEvents(const QStringList& events);

    AgentTreeModel* m_model = nullptr;
    QComboBox* m_templates = nullptr;
    QTreeView* m_tree = nullptr;
    QTextBrowser* m_transcript = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_run = nullptr;
    QString m_team;
    QStringList m_pendingEvents;  // events of a run whose team is still being parsed
};

}  // namespace atelier::ui
