#include "atelier/ui/session_list_model.h"

#include <QMap>

namespace atelier::ui {
namespace {
// Internal ids: groups carry 0; a session row carries its group's index + 1.
constexpr quintptr kGroupId = 0;
}  // namespace

SessionListModel::SessionListModel(QObject* parent) : QAbstractItemModel(parent) {
    qRegisterMetaType<SessionRow>();
    qRegisterMetaType<QList<SessionRow>>();
}

void SessionListModel::setSessions(const QList<SessionRow>& rows) {
    beginResetModel();
    m_groups.clear();
    Group favourites{tr("Favourites"), {}};
    QMap<QString, Group> folders;
    Group recent{tr("Recent"), {}};
    for (const auto& r : rows) {
        if (r.favourite) favourites.rows.append(r);
        if (!r.folder.isEmpty()) {
            auto& g = folders[r.folder];
            g.name = r.folder;
            g.rows.append(r);
        } else if (!r.favourite) {
            recent.rows.append(r);
        }
    }
    m_groups.append(favourites);
    for (const auto& g : folders) m_groups.append(g);
    m_groups.append(recent);
    m_count = rows.size();
    endResetModel();
}

QModelIndex SessionListModel::index(int row, int column, const QModelIndex& parent) const {
    if (column != 0 || row < 0) return {};
    if (!parent.isValid()) {
        if (row >= m_groups.size()) return {};
        return createIndex(row, 0, kGroupId);
    }
    if (parent.internalId() != kGroupId || parent.row() >= m_groups.size()) return {};
    if (row >= m_groups[parent.row()].rows.size()) return {};
    return createIndex(row, 0, quintptr(parent.row()) + 1);
}

QModelIndex SessionListModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == kGroupId) return {};
    return createIndex(int(child.internalId() - 1), 0, kGroupId);
}

int SessionListModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return int(m_groups.size());
    if (parent.column() != 0 || parent.internalId() != kGroupId) return 0;
    return int(m_groups[parent.row()].rows.size());
}

int SessionListModel::columnCount(const QModelIndex&) const { return 1; }

QVariant SessionListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    if (index.internalId() == kGroupId) {
        const auto& g = m_groups[index.row()];
        if (role == Qt::DisplayRole) return QStringLiteral("%1 (%2)").arg(g.name).arg(g.rows.size());
        if (role == IsGroupRole) return true;
        return {};
    }
    const auto& r = m_groups[int(index.internalId() - 1)].rows[index.row()];
    switch (role) {
    case Qt::DisplayRole: return r.title.isEmpty() ? tr("Untitled session") : r.title;
    case Qt::EditRole: return r.title;
    case Qt::ToolTipRole:
        return tr("%1 · %2 messages · updated %3")
            .arg(r.kind, QString::number(r.messageCount),
                 QDateTime::fromMSecsSinceEpoch(r.updatedMs).toString(Qt::ISODate));
    case SessionIdRole: return r.id;
    case IsGroupRole: return false;
    case FavouriteRole: return r.favourite;
    default: return {};
    }
}

Qt::ItemFlags SessionListModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractItemModel::flags(index);
    if (index.isValid() && index.internalId() != kGroupId) f |= Qt::ItemIsEditable;
    return f;
}

bool SessionListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !index.isValid() || index.internalId() == kGroupId) return false;
    const QString title = value.toString().trimmed();
    if (title.isEmpty()) return false;
    const qint64 id = m_groups[int(index.internalId() - 1)].rows[index.row()].id;
    // A favourite in a folder is listed twice: rename every copy.
    for (int g = 0; g < m_groups.size(); ++g)
        for (int row = 0; row < m_groups[g].rows.size(); ++row)
            if (m_groups[g].rows[row].id == id && m_groups[g].rows[row].title != title) {
                m_groups[g].rows[row].title = title;
                const QModelIndex changed = createIndex(row, 0, quintptr(g) + 1);
                emit dataChanged(changed, changed);
            }
    emit renameRequested(id, title);
    return true;
}

}  // namespace atelier::ui
