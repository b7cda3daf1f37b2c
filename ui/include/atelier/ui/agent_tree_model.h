#pragma once
// AgentTreeModel: the Team dock's live agent tree — each agent of the team (manager, then its
// workers) with its state (idle, thinking, calling a tool, waiting for approval, done), the
// tokens it has spent and its token budget. Fed with the team's events in their JSON Lines form
// (CLI.md "Agents": step, tool_call, tool_result, delegate, done), live from the runtime or
// replayed from the session store; keeps each agent's transcript for the selected-agent view.
// GUI thread only.

#include <QAbstractItemModel>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <memory>
#include <vector>

namespace atelier::agents {
struct AgentSpec;
}

namespace atelier::ui {

class AgentTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { Name, State, Tokens, Budget, ColumnCount };
    enum Role { AgentNameRole = Qt::UserRole + 1, TokensRole };

    explicit AgentTreeModel(QObject* parent = nullptr);
    ~AgentTreeModel() override;

    // Replaces the tree with `root` and its workers, all idle.
    void setTeam(const agents::AgentSpec& root);
    void clear();
    // Applies one event; agents it names that are not in the tree are added (under the
    // delegating agent for "delegate", else at the top).
    void applyEvent(const QJsonObject& event);
    // Live only: the agent's call waits for the user (the runtime's tool_call event comes after).
    void markWaitingForApproval(const QString& agent, const QString& tool);
    // Live only: more of the turn the agent is generating (reasoning and answer text) and the
    // tokens it spans. Shown at the end of its transcript and counted in its tokens until the
    // turn's step event replaces it with the finished turn and its exact usage.
    void appendStreamed(const QString& agent, const QString& reasoning, const QString& content, qint64 tokens);
    // Live only: the turn being generated has finished a call of `tool`.
    void markCallingTool(const QString& agent, const QString& tool);
    QString state(const QString& agent) const;
    qint64 tokens(const QString& agent) const;
    // The agent's turns, tool calls and results as Markdown.
    QString transcript(const QString& agent) const;
    QString runStatus() const { return m_status; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    struct Node {
        QString name;
        QString state = QStringLiteral("idle");
        qint64 tokens = 0;
        qint64 budget = 0;  // 0: unknown
        QString transcript;
        QString liveReasoning;   // the turn being generated (cleared by its step event)
        QString liveContent;
        qint64 liveTokens = 0;
        Node* parent = nullptr;
        std::vector<std::unique_ptr<Node>> children;
    };
    Node* find(const QString& name) const;
    Node* ensure(const QString& name, Node* under);
    QModelIndex indexOf(Node* node, int column = 0) const;
    void changed(Node* node);
    void setState(Node* node, const QString& state);

    Node m_root;  // invisible; its children are the top-level agents
    QString m_status;
};

}  // namespace atelier::ui
