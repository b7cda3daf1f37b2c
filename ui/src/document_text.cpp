#include "document_text.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include "pdf_document.h"

namespace atelier::ui {
namespace {

// A file is text when its first 4 KB hold no NUL byte.
bool looksLikeText(const QByteArray& head) { return !head.contains('\0'); }

Result<QString> fileText(const QString& path, qint64 budget) {
    if (path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive)) {
        auto doc = agents::pdf::PdfDocument::open(path.toStdString(), path.toStdString());
        if (!doc) return unexpected(doc.error());
        QString text;
        for (int p = 1; p <= doc->pageCount() && text.size() < budget; ++p) {
            auto page = doc->pageText(p);
            if (!page) return unexpected(page.error());
            text += QStringLiteral("[page %1]\n").arg(p) + QString::fromStdString(*page) + QLatin1Char('\n');
        }
        return text;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return unexpected(Error::badInput(path.toStdString() + ": cannot read"));
    const QByteArray bytes = f.read(budget);
    if (!looksLikeText(bytes.left(4096)))
        return unexpected(Error::badInput(path.toStdString() + ": not a text file"));
    return QString::fromUtf8(bytes);
}

void append(DocumentText& out, const QString& path, const QString& text, qint64 maxBytes) {
    out.text += QStringLiteral("<document path=\"%1\">\n%2\n</document>\n").arg(path, text);
    ++out.files;
    if (out.text.size() >= maxBytes) out.truncated = true;
}

}  // namespace

Result<DocumentText> documentText(const QString& path, qint64 maxBytes) {
    const QFileInfo info(path);
    if (!info.exists()) return unexpected(Error::badInput(path.toStdString() + ": no such file or folder"));
    DocumentText out;
    if (!info.isDir()) {
        auto text = fileText(path, maxBytes);
        if (!text) return unexpected(text.error());
        append(out, path, *text, maxBytes);
        return out;
    }
    QDirIterator it(path, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext() && !out.truncated) {
        const QString file = it.next();
        const QString rel = QDir(path).relativeFilePath(file);
        if (rel.startsWith(QLatin1Char('.')) || rel.contains(QStringLiteral("/.")) ||
            file.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive))
            continue;
        auto text = fileText(file, maxBytes - out.text.size());
        if (text) append(out, file, *text, maxBytes);  // binary files are skipped quietly
    }
    if (out.files == 0) return unexpected(Error::badInput(path.toStdString() + ": no text files in this folder"));
    return out;
}

}  // namespace atelier::ui
