#include "atelier/ui/attachment_model.h"

#include <QDir>
#include <QFileInfo>

namespace atelier::ui {

SourceLink attachmentSource(const QString& path, int at) {
    SourceLink link;
    link.path = path;
    const QFileInfo info(path);
    if (info.isDir() && QFileInfo::exists(QDir(path).filePath(QStringLiteral(".git")))) {
        link.kind = QStringLiteral("git");
        link.commit = QStringLiteral("HEAD");
    } else if (info.suffix().compare(QLatin1String("pdf"), Qt::CaseInsensitive) == 0) {
        link.kind = QStringLiteral("pdf");
        link.page = qMax(1, at);
    } else {
        link.kind = QStringLiteral("file");
        link.firstLine = qMax(0, at);
        link.lastLine = link.firstLine;
    }
    return link;
}

int AttachmentModel::find(const QString& path) const {
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].path == path) return i;
    return -1;
}

bool AttachmentModel::add(const QString& path) {
    if (find(path) >= 0) return false;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
    m_rows.append(Attachment{path, {}, -1, 0, false, {}});
    endInsertRows();
    return true;
}

void AttachmentModel::setRead(const QString& path, const QString& text, qint64 tokens, int files,
                              bool truncated) {
    const int i = find(path);
    if (i < 0) return;
    m_rows[i].text = text;
    m_rows[i].tokens = tokens;
    m_rows[i].files = files;
    m_rows[i].truncated = truncated;
    emit dataChanged(index(i), index(i));
}

void AttachmentModel::setFailed(const QString& path, const QString& error) {
    const int i = find(path);
    if (i < 0) return;
    m_rows[i].error = error;
    m_rows[i].tokens = 0;
    emit dataChanged(index(i), index(i));
}

void AttachmentModel::remove(int row) {
    if (row < 0 || row >= m_rows.size()) return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

qint64 AttachmentModel::totalTokens() const {
    qint64 n = 0;
    for (const auto& a : m_rows) n += std::max<qint64>(0, a.tokens);
    return n;
}

QString AttachmentModel::text() const {
    QString out;
    for (const auto& a : m_rows) out += a.text;
    return out;
}

int AttachmentModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant AttachmentModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Attachment& a = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole: {
        const QString name = QFileInfo(a.path).fileName();
        if (!a.error.isEmpty()) return tr("%1 — unreadable").arg(name);
        if (a.tokens < 0) return tr("%1 — reading…").arg(name);
        const QString files = a.files > 1 ? tr(", %1 files").arg(a.files) : QString();
        return tr("%1 — %2 tokens%3%4").arg(name).arg(a.tokens).arg(files,
                                                                      a.truncated ? tr(" (cut)") : QString());
    }
    case Qt::ToolTipRole: return a.error.isEmpty() ? a.path : a.error;
    case PathRole: return a.path;
    case TokensRole: return a.tokens;
    default: return {};
    }
}

}  // namespace atelier::ui
