#include "atelier/ui/agent_tree_model.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <functional>

#include "atelier/agents/team.h"

namespace atelier::ui {

AgentTreeModel::AgentTreeModel(QObject* parent) : QAbstractItemModel(parent) {}
AgentTreeModel::~AgentTreeModel() = default;

void AgentTreeModel::clear() {
    beginResetModel();
    m_root.children.clear();
    m_status.clear();
    endResetModel();
}

void AgentTreeModel::setTeam(const agents::AgentSpec& root) {
    beginResetModel();
    m_root.children.clear();
    m_status.clear();
    std::function<void(const agents::AgentSpec&, Node*)> add = [&](const agents::AgentSpec& spec, Node* under) {
        auto node = std::make_unique<Node>();
        node->name = QString::fromStdString(spec.name);
        node->budget = spec.budgets.tokens;
        node->parent = under;
        Node* raw = node.get();
        under->children.push_back(std::move(node));
        for (const auto& w : spec.workers) add(w, raw);
    };
    add(root, &m_root);
    endResetModel();
}

AgentTreeModel::Node* AgentTreeModel::find(const QString& name) const {
    std::function<Node*(const Node&)> walk = [&](const Node& n) -> Node* {
        for (const auto& c : n.children) {
            if (c->name == name) return c.get();
            if (Node* hit = walk(*c)) return hit;
        }
        return nullptr;
    };
    return walk(m_root);
}

AgentTreeModel::Node* AgentTreeModel::ensure(const QString& name, Node* under) {
    if (Node* n = find(name)) return n;
    if (!under) under = &m_root;
    const int row = int(under->children.size());
    beginInsertRows(under == &m_root ? QModelIndex() : indexOf(under), row, row);
    auto node = std::make_unique<Node>();
    node->name = name;
    node->parent = under;
    under->children.push_back(std::move(node));
    endInsertRows();
    return under->children.back().get();
}

QModelIndex AgentTreeModel::indexOf(Node* node, int column) const {
    if (!node || node == &m_root) return {};
    const auto& siblings = node->parent->children;
    for (int i = 0; i < int(siblings.size()); ++i)
        if (siblings[std::size_t(i)].get() == node) return createIndex(i, column, node);
    return {};
}

void AgentTreeModel::changed(Node* node) {
    emit dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
}

void AgentTreeModel::markWaitingForApproval(const QString& agent, const QString& tool) {
    setState(ensure(agent, nullptr), tr("waiting for approval: %1").arg(tool));
}

void AgentTreeModel::appendStreamed(const QString& agent, const QString& reasoning, const QString& content,
                                    qint64 tokens) {
    Node* node = ensure(agent, nullptr);
    node->liveReasoning += reasoning;
    node->liveContent += content;
    node->liveTokens += tokens;
    // Reasoning first, then the answer: the state follows the part being written now.
    setState(node, content.isEmpty() && node->liveContent.isEmpty() ? tr("thinking") : tr("writing"));
}

void AgentTreeModel::markCallingTool(const QString& agent, const QString& tool) {
    setState(ensure(agent, nullptr), tr("calling %1").arg(tool));
}

void AgentTreeModel::setState(Node* node, const QString& state) {
    node->state = state;
    changed(node);
}

void AgentTreeModel::applyEvent(const QJsonObject& e) {
    const QString kind = e.value(QStringLiteral("event")).toString();
    if (kind == QLatin1String("delegate")) {
        Node* from = ensure(e.value(QStringLiteral("from")).toString(), nullptr);
        Node* to = ensure(e.value(QStringLiteral("to")).toString(), from);
        from->transcript += tr("**→ delegates to %1:** %2\n\n").arg(to->name, e.value(QStringLiteral("task")).toString());
        to->transcript += tr("**Task from %1:** %2\n\n").arg(from->name, e.value(QStringLiteral("task")).toString());
        setState(from, tr("waiting for %1").arg(to->name));
        setState(to, tr("thinking"));
        return;
    }
    if (kind == QLatin1String("done")) {
        m_status = e.value(QStringLiteral("status")).toString();
        std::function<void(Node&)> finish = [&](Node& n) {
            for (auto& c : n.children) {
                setState(c.get(), tr("done (%1)").arg(m_status));
                finish(*c);
            }
        };
        finish(m_root);
        return;
    }
    const QString name = e.value(QStringLiteral("agent")).toString();
    if (name.isEmpty()) return;  // no agent's event: no nameless row for it
    Node* agent = ensure(name, nullptr);
    if (kind == QLatin1String("step")) {
        agent->liveReasoning.clear();  // the finished turn replaces its streamed text
        agent->liveContent.clear();
        agent->liveTokens = 0;
        const QJsonObject usage = e.value(QStringLiteral("usage")).toObject();
        // The runtime's budget unit: uncached prompt tokens plus generated tokens.
        agent->tokens += usage.value(QStringLiteral("prompt_tokens")).toInteger() -
                         usage.value(QStringLiteral("cached_tokens")).toInteger() +
                         usage.value(QStringLiteral("completion_tokens")).toInteger();
        const QString reasoning = e.value(QStringLiteral("reasoning")).toString();
        if (!reasoning.isEmpty()) agent->transcript += QStringLiteral("> %1\n\n").arg(reasoning);
        agent->transcript += e.value(QStringLiteral("content")).toString() + QStringLiteral("\n\n");
        const bool calls = !e.value(QStringLiteral("tool_calls")).toArray().isEmpty();
        setState(agent, calls ? tr("calling a tool") : tr("thinking"));
    } else if (kind == QLatin1String("tool_call")) {
        const QString tool = e.value(QStringLiteral("tool")).toString();
        QString decision = e.value(QStringLiteral("decision")).toString();
        // The runtime reports an asked call once answered: its approval is the decision made.
        if (decision == QLatin1String("ask") && e.contains(QStringLiteral("approval")))
            decision = e.value(QStringLiteral("approval")).toString() == QLatin1String("allow") ? QStringLiteral("allow")
                                                                                                : QStringLiteral("deny");
        const QString args = QString::fromUtf8(QJsonDocument(e.value(QStringLiteral("args")).toObject()).toJson(QJsonDocument::Compact));
        agent->transcript += tr("**Tool call `%1`** (%2)\n\n```json\n%3\n```\n\n").arg(tool, decision, args);
        if (decision == QLatin1String("ask")) setState(agent, tr("waiting for approval: %1").arg(tool));
        else if (decision == QLatin1String("deny")) setState(agent, tr("denied: %1").arg(tool));
        else setState(agent, tr("calling %1").arg(tool));
    } else if (kind == QLatin1String("tool_result")) {
        // The model's tokens the tool spent for the agent (an MCP server's sampling) count too.
        agent->tokens += e.value(QStringLiteral("model_tokens")).toInteger();
        const bool ok = e.value(QStringLiteral("ok")).toBool();
        const QString body = ok ? e.value(QStringLiteral("result")).toString() : e.value(QStringLiteral("error")).toString();
        agent->transcript += tr("**Result of `%1`**%2\n\n```\n%3\n```\n\n")
                                 .arg(e.value(QStringLiteral("tool")).toString(), ok ? QString() : tr(" (error)"), body);
        setState(agent, tr("thinking"));
    } else if (kind == QLatin1String("tool_progress")) {
        // An MCP server's progress during the call: "calling TOOL: 2/3 message".
        QString figure = QString::number(e.value(QStringLiteral("progress")).toDouble());
        if (e.contains(QStringLiteral("total")))
            figure += QLatin1Char('/') + QString::number(e.value(QStringLiteral("total")).toDouble());
        const QString message = e.value(QStringLiteral("message")).toString();
        setState(agent, tr("calling %1: %2").arg(e.value(QStringLiteral("tool")).toString(),
                                                 message.isEmpty() ? figure : figure + QLatin1Char(' ') + message));
    }
    changed(agent);
}

QString AgentTreeModel::state(const QString& agent) const {
    const Node* n = find(agent);
    return n ? n->state : QString();
}

qint64 AgentTreeModel::tokens(const QString& agent) const {
    const Node* n = find(agent);
    return n ? n->tokens + n->liveTokens : 0;
}

QString AgentTreeModel::transcript(const QString& agent) const {
    const Node* n = find(agent);
    if (!n) return {};
    QString text = n->transcript;
    if (!n->liveReasoning.isEmpty()) text += QStringLiteral("> %1\n\n").arg(n->liveReasoning);
    if (!n->liveContent.isEmpty()) text += n->liveContent;
    return text;
}

QModelIndex AgentTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) return {};
    if (parent.isValid() && parent.column() != 0) return {};
    const Node* p = parent.isValid() ? static_cast<const Node*>(parent.internalPointer()) : &m_root;
    if (row >= int(p->children.size())) return {};
    return createIndex(row, column, p->children[std::size_t(row)].get());
}

QModelIndex AgentTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid()) return {};
    auto* n = static_cast<Node*>(child.internalPointer());
    return indexOf(n->parent);
}

int AgentTreeModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return int(m_root.children.size());
    if (parent.column() != 0) return 0;
    return int(static_cast<const Node*>(parent.internalPointer())->children.size());
}

int AgentTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant AgentTreeModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const auto* n = static_cast<const Node*>(index.internalPointer());
    if (role == AgentNameRole) return n->name;
    if (role == TokensRole) return n->tokens + n->liveTokens;
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Name: return n->name;
    case State: return n->state;
    case Tokens: return n->tokens + n->liveTokens;
    case Budget: return n->budget > 0 ? QVariant(n->budget) : QVariant(QStringLiteral("—"));
    default: return {};
    }
}

QVariant AgentTreeModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Name: return tr("Agent");
    case State: return tr("State");
    case Tokens: return tr("Tokens");
    case Budget: return tr("Budget");
    default: return {};
    }
}

}  // namespace atelier::ui
