#pragma once
// SessionFilterProxy: filters the sessions sidebar by the search text — a session stays when
// its title contains the text or the store's full-text index found the text in its messages
// (setMatches, from the StoreWorker). Groups stay while one of their sessions does. GUI thread.

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

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        if (m_query.isEmpty()) return true;
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        if (i.data(SessionListModel::IsGroupRole).toBool()) return false;  // kept via its children
        return i.data().toString().contains(m_query, Qt::CaseInsensitive) ||
               m_matches.contains(i.data(SessionListModel::SessionIdRole).toLongLong());
    }

private:
    QString m_query;
    QSet<qint64> m_matches;
};

}  // namespace atelier::ui
