#pragma once
// SessionListModel: the sessions sidebar as a tree — "Favourites", then one group per folder,
// then "Recent" — fed with rows the store worker loads off the GUI thread. GUI thread only.

#include <QAbstractItemModel>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace atelier::ui {

struct SessionRow {
    qint64 id = 0;
    QString title;
    QString folder;
    QString kind;  // "chat" or "team"
    bool favourite = false;
    qint64 updatedMs = 0;
    qint64 messageCount = 0;
};

class SessionListModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Role { SessionIdRole = Qt::UserRole + 1, IsGroupRole, FavouriteRole };

    explicit SessionListModel(QObject* parent = nullptr);

    // Replaces the contents (rows most recently updated first).
    void setSessions(const QList<SessionRow>& rows);
    int sessionCount() const { return int(m_count); }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    // Sessions are editable in place (F2, or Rename in the context menu): a new non-empty title
    // is shown at once and asked of the store with renameRequested.
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

signals:
    void renameRequested(qint64 sessionId, const QString& title);

private:
    struct Group {
        QString name;
        QList<SessionRow> rows;
    };
    QList<Group> m_groups;
    qsizetype m_count = 0;
};

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::SessionRow)
