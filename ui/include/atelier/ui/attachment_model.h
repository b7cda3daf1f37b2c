#pragma once
// AttachmentModel: the documents attached to the context (a list: path, token count, files),
// filled by the ContextPanel as the engine worker reads them. GUI thread only.

#include <QAbstractListModel>
#include <QList>
#include <QString>

#include "atelier/ui/source_link.h"

namespace atelier::ui {

struct Attachment {
    QString path;
    QString text;        // empty until read
    qint64 tokens = -1;  // -1 while reading
    int files = 0;
    bool truncated = false;
    QString error;       // why it could not be read
};

class AttachmentModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { PathRole = Qt::UserRole + 1, TokensRole };
    using QAbstractListModel::QAbstractListModel;

    // Adds `path` as "reading…"; returns false if it is already attached.
    bool add(const QString& path);
    void setRead(const QString& path, const QString& text, qint64 tokens, int files, bool truncated);
    void setFailed(const QString& path, const QString& error);
    void remove(int row);
    const QList<Attachment>& attachments() const { return m_rows; }
    // The tokens of every attachment read so far.
    qint64 totalTokens() const;
    // Every attachment's text, for the system message.
    QString text() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    int find(const QString& path) const;
    QList<Attachment> m_rows;
};

// Where the Viewer opens attached `path`: a PDF at page `at` (1-based; 0 = the first), a
// repository folder at its HEAD commit, anything else as text with line `at` marked (0 = none).
SourceLink attachmentSource(const QString& path, int at = 0);

}  // namespace atelier::ui
