#include "atelier/ui/record_models.h"

#include <QDateTime>

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

QVariant AuditRecordModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    const AuditRow& r = m_rows[index.row()];
    switch (index.column()) {
    case Seq: return r.seq;
    case Time: return r.time;
    case Kind: return r.kind;
    case Actor: return r.actor;
    case Payload: return r.payload;
    default: return {};
    }
}

QVariant AuditRecordModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Time", "Kind", "Actor", "Details"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace atelier::ui
