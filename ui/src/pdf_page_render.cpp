#include "pdf_page_render.h"

#include <QObject>
#include <QFileInfo>
#include <QRegularExpression>
#include <memory>

#include <poppler-qt6.h>

namespace atelier::ui {
namespace {

QString normalWord(const QString& w) {
    static const QRegularExpression edges(QStringLiteral("^\\W+|\\W+$"));
    return QString(w).remove(edges).toCaseFolded();
}

// The text boxes whose words follow each other as the snippet's words do, joined per line.
// Used when Poppler's search misses (odd spacing, hyphenation, a passage over many lines).
QList<QRectF> wordMatch(const Poppler::Page& page, const QString& snippet) {
    QStringList want;
    for (const QString& w : snippet.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts))
        if (const QString n = normalWord(w); !n.isEmpty()) want << n;
    if (want.isEmpty()) return {};
    const auto boxes = page.textList();
    for (std::size_t start = 0; start + want.size() <= boxes.size(); ++start) {
        bool all = true;
        for (qsizetype k = 0; k < want.size() && all; ++k) all = normalWord(boxes[start + k]->text()) == want[k];
        if (!all) continue;
        QList<QRectF> rects;
        for (qsizetype k = 0; k < want.size(); ++k) {
            const QRectF r = boxes[start + k]->boundingBox();
            // A box on the same line as the last rectangle widens it; a new line starts one.
            if (!rects.isEmpty() && qAbs(rects.last().center().y() - r.center().y()) < r.height() / 2)
                rects.last() = rects.last().united(r);
            else
                rects << r;
        }
        return rects;
    }
    return {};
}

QList<QRectF> findPassage(const Poppler::Page& page, const QString& snippet) {
    const QString text = snippet.simplified();
    if (text.isEmpty()) return {};
    const QList<QRectF> found =
        page.search(text, Poppler::Page::IgnoreCase | Poppler::Page::AcrossLines);
    return found.isEmpty() ? wordMatch(page, text) : found;
}

}  // namespace

PdfPageRender renderPdfPage(const QString& path, int page, double dpi, const QString& snippet) {
    PdfPageRender r;
    r.path = path;
    r.dpi = dpi;
    if (!QFileInfo(path).isFile()) {
        r.error = QObject::tr("%1: no such file").arg(path);
        return r;
    }
    std::unique_ptr<Poppler::Document> doc = Poppler::Document::load(path);
    if (!doc) {
        r.error = QObject::tr("%1: not a readable PDF (damaged or another format)").arg(path);
        return r;
    }
    if (doc->isLocked()) {
        r.error = QObject::tr("%1: the PDF is password-protected").arg(path);
        return r;
    }
    r.pageCount = doc->numPages();
    if (r.pageCount <= 0) {
        r.error = QObject::tr("%1: the PDF has no pages").arg(path);
        return r;
    }
    r.page = qBound(1, page, r.pageCount);
    std::unique_ptr<Poppler::Page> p = doc->page(r.page - 1);
    if (!p) {
        r.error = QObject::tr("%1: page %2 cannot be read").arg(path).arg(r.page);
        return r;
    }
    doc->setRenderHint(Poppler::Document::Antialiasing);
    doc->setRenderHint(Poppler::Document::TextAntialiasing);
    r.pageSize = p->pageSizeF();
    r.image = p->renderToImage(dpi, dpi);
    if (r.image.isNull()) {
        r.error = QObject::tr("%1: page %2 could not be rendered").arg(path).arg(r.page);
        return r;
    }
    r.highlights = findPassage(*p, snippet);
    return r;
}

}  // namespace atelier::ui
