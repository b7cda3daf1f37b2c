#pragma once
// SessionFilterProxy: filters the sessions sidebar by the search text — a session stays when
// its title contains the text or the store's full-text index found the text in its messages
// (setMatches, from the StoreWorker). Groups stay while one of their sessions does. Sessions
// waiting to be deleted (setHidden, while their Undo is offered) are left out. GUI thread.

#include <QSet>
#include <QSortFilterProxyModel>

#include "atelier/ui/session_list_model.h"

namespace atelier::ui {

class SessionFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setQuery(const QString& query) {
        m_query = query.trimmed();
        m_matches.clear();
        invalidateFilter();
    }
    // The sessions whose messages match `query` (ignored if the query has changed since).
    void setMatches(const QString& query, const QSet<qint64>& ids) {
        if (query.trimmed() != m_query) return;
        m_matches = ids;
        invalidateFilter();
    }

    void setHidden(qint64 sessionId, bool hidden) {
        if (hidden) m_hidden.insert(sessionId);
        else m_hidden.remove(sessionId);
        invalidateFilter();
    }
    bool isFiltering() const { return !m_query.isEmpty(); }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        const bool group = i.data(SessionListModel::IsGroupRole).toBool();
        if (!group && m_hidden.contains(i.data(SessionListModel::SessionIdRole).toLongLong())) return false;
        if (m_query.isEmpty()) return true;
        if (group) return false;  // kept via its children
        return i.data().toString().contains(m_query, Qt::CaseInsensitive) ||
               m_matches.contains(i.data(SessionListModel::SessionIdRole).toLongLong());
    }

private:
    QString m_query;
    QSet<qint64> m_matches;
    QSet<qint64> m_hidden;
};

}  // namespace atelier::ui
