#include "atelier/ui/record_models.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "atelier/ui/model_summary.h"

namespace atelier::ui {

void CheckpointListModel::setRows(const QList<CheckpointRow>& rows) {
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int CheckpointListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CheckpointListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CheckpointListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const CheckpointRow& r = m_rows[index.row()];
    if (role == IdRole) return r.id;
    if (role == Qt::ToolTipRole && r.damaged) return tr("Damaged: its data failed a checksum");
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case Name:
        if (r.name.isEmpty()) return role == Qt::EditRole ? QString() : tr("(automatic #%1)").arg(r.id);
        return r.damaged ? tr("%1 (damaged)").arg(r.name) : r.name;
    case Tokens: return r.tokens;
    case Size: return humanBytes(double(r.bytes));
    case LastUsed:
        return r.lastUsedMs > 0 ? QDateTime::fromMSecsSinceEpoch(r.lastUsedMs).toString(QStringLiteral("yyyy-MM-dd hh:mm"))
                                : tr("never");
    case Strategy: return r.strategy;
    case Model: return r.model;
    default: return {};
    }
}

QVariant CheckpointListModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Name: return tr("Name");
    case Tokens: return tr("Tokens");
    case Size: return tr("Size");
    case LastUsed: return tr("Last used");
    case Strategy: return tr("Window states");
    case Model: return tr("Model");
    default: return {};
    }
}

void AuditRecordModel::setRows(const QList<AuditRow>& rows) {
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int AuditRecordModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AuditRecordModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {

QString shortValue(const QJsonValue& v, int max = 60) {
    QString text = v.isString() ? v.toString() : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return text.size() > max ? text.left(max - 1) + QStringLiteral("…") : text;
}

// "path=notes.txt start_line=3" from a tool's arguments.
QString argumentsText(const QJsonValue& args) {
    if (!args.isObject()) return args.isUndefined() ? QString() : shortValue(args);
    QStringList parts;
    const QJsonObject o = args.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) parts << it.key() + QLatin1Char('=') + shortValue(it.value(), 40);
    return parts.join(QLatin1Char(' '));
}

}  // namespace

QString auditKindLabel(const QString& kind) {
    if (kind == QLatin1String("model_load")) return QObject::tr("Model load");
    if (kind == QLatin1String("prompt")) return QObject::tr("Prompt");
    if (kind == QLatin1String("tool_call")) return QObject::tr("Tool call");
    if (kind == QLatin1String("file_read")) return QObject::tr("File read");
    if (kind == QLatin1String("policy_decision")) return QObject::tr("Policy");
    if (kind == QLatin1String("approval")) return QObject::tr("Approval");
    return kind;
}

QString auditSummary(const QString& kind, const QString& payloadJson) {
    const QJsonDocument doc = QJsonDocument::fromJson(payloadJson.toUtf8());
    if (!doc.isObject()) return payloadJson;
    const QJsonObject o = doc.object();
    const QString tool = o.value(QStringLiteral("tool")).toString();
    const QString path = o.value(QStringLiteral("path")).toString();
    if (kind == QLatin1String("model_load")) {
        const QString name = o.value(QStringLiteral("model")).toString();
        return name.isEmpty() ? QObject::tr("Loaded %1").arg(path) : QObject::tr("Loaded %1 (%2)").arg(name, path);
    }
    if (kind == QLatin1String("file_read")) {
        if (o.value(QStringLiteral("attached")).toBool()) {
            const qint64 tokens = o.value(QStringLiteral("tokens")).toInteger(-1);
            return tokens >= 0 ? QObject::tr("Attached %1 (%2 tokens)").arg(path).arg(tokens)
                               : QObject::tr("Attached %1").arg(path);
        }
        return QObject::tr("Read %1").arg(path);
    }
    if (kind == QLatin1String("tool_call")) {
        QString line = tool + QLatin1Char('(') + argumentsText(o.value(QStringLiteral("args"))) + QLatin1Char(')');
        if (o.contains(QStringLiteral("ok")))
            line += o.value(QStringLiteral("ok")).toBool()
                        ? QObject::tr(" → ok")
                        : QObject::tr(" → failed: %1").arg(shortValue(o.value(QStringLiteral("error")), 80));
        return line;
    }
    if (kind == QLatin1String("approval")) {
        const bool allowed = o.value(QStringLiteral("decision")).toString() == QLatin1String("allow");
        const QString by = o.value(QStringLiteral("by")).toString();
        QString line = (allowed ? QObject::tr("Approved %1") : QObject::tr("Denied %1")).arg(tool);
        const QString args = argumentsText(o.value(QStringLiteral("args")));
        if (!args.isEmpty()) line += QLatin1Char(' ') + args;
        if (!by.isEmpty()) line += QObject::tr(" (by %1)").arg(by);
        return line;
    }
    if (kind == QLatin1String("policy_decision")) {
        QString subject = tool.isEmpty() ? o.value(QStringLiteral("requested")).toString() : tool;
        if (subject.isEmpty()) subject = path;
        QString decision = o.value(QStringLiteral("decision")).toString();
        if (decision.isEmpty() && o.contains(QStringLiteral("allowed")))
            decision = o.value(QStringLiteral("allowed")).toBool() ? QStringLiteral("allow") : QStringLiteral("deny");
        QString line = QStringLiteral("%1: %2").arg(subject, decision);
        const QString reason = o.value(QStringLiteral("reason")).toString();
        if (!reason.isEmpty()) line += QStringLiteral(" (%1)").arg(reason);
        return line;
    }
    if (kind == QLatin1String("prompt")) {
        if (o.contains(QStringLiteral("text")))
            return QObject::tr("Chat: “%1”").arg(shortValue(o.value(QStringLiteral("text")), 80));
        if (o.contains(QStringLiteral("step")))
            return QObject::tr("Team turn, step %1 (%2 messages)")
                .arg(o.value(QStringLiteral("step")).toInteger())
                .arg(o.value(QStringLiteral("messages")).toInteger());
    }
    return QString::fromUtf8(doc.toJson(QJsonDocument::Compact));
}

QVariant AuditRecordModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    const AuditRow& r = m_rows[index.row()];
    switch (index.column()) {
    case Seq: return r.seq;
    case Time: return r.time;
    case Kind: return role == Qt::ToolTipRole ? r.kind : auditKindLabel(r.kind);
    case Actor: return r.actor;
    case Payload: return role == Qt::ToolTipRole ? r.payload : auditSummary(r.kind, r.payload);
    default: return {};
    }
}

QVariant AuditRecordModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Time", "Kind", "Actor", "Details"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace atelier::ui
