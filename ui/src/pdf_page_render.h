#pragma once
// renderPdfPage: one PDF page as an image, with the rectangles of a cited passage on it, from
// the agents' document service (atelier/agents/document_service.h) as Qt values. Blocking
// (opens and renders the file): the document viewer runs it on a worker thread (QtConcurrent)
// and shows the result when it is ready. Any thread; calls share nothing.

#include <QImage>
#include <QList>
#include <QRectF>
#include <QSizeF>
#include <QString>

namespace atelier::ui {

struct PdfPageRender {
    QString path;
    int page = 0;                // 1-based, clamped to the document
    int pageCount = 0;
    double dpi = 72.0;           // of `image`
    QImage image;
    QSizeF pageSize;             // points
    QList<QRectF> highlights;    // the passage, in points from the page's top-left corner
    QString error;               // set when the file could not be shown; the rest is empty
};

// Page `page` (1-based) of `path` at `dpi`, with `snippet` (may be "") searched on it
// case-insensitively, and word by word (across lines) when the exact text is not found.
PdfPageRender renderPdfPage(const QString& path, int page, double dpi, const QString& snippet);

}  // namespace atelier::ui
