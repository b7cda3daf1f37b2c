#include "pdf_page_render.h"

#include <QObject>
#include <cstring>

#include "atelier/agents/document_service.h"

namespace atelier::ui {
namespace {

// The service's ARGB32 words are QImage::Format_ARGB32's layout; rows are copied because the
// strides may differ.
QImage toImage(const agents::ArgbImage& argb) {
    QImage image(argb.width, argb.height, QImage::Format_ARGB32);
    if (image.isNull()) return image;
    const auto rowBytes = std::size_t(argb.width) * 4;
    for (int y = 0; y < argb.height; ++y)
        std::memcpy(image.scanLine(y), argb.bytes.data() + std::size_t(y) * std::size_t(argb.stride), rowBytes);
    return image;
}

}  // namespace

PdfPageRender renderPdfPage(const QString& path, int page, double dpi, const QString& snippet) {
    PdfPageRender r;
    r.path = path;
    r.dpi = dpi;
    auto rendered = agents::renderPdfPage(path.toStdString(), page, dpi, snippet.toStdString());
    if (!rendered) {
        r.error = QString::fromStdString(rendered.error().message);
        return r;
    }
    r.page = rendered->page;
    r.pageCount = rendered->pageCount;
    r.pageSize = QSizeF(rendered->pageWidth, rendered->pageHeight);
    r.image = toImage(rendered->image);
    if (r.image.isNull()) {
        r.error = QObject::tr("%1: page %2 is too large to show").arg(path).arg(r.page);
        return r;
    }
    for (const agents::PdfRect& h : rendered->highlights) r.highlights << QRectF(h.x, h.y, h.width, h.height);
    return r;
}

}  // namespace atelier::ui
