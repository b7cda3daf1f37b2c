#include "atelier/ui/pdf_page_view.h"

#include <QPainter>
#include <QtMath>

namespace atelier::ui {

PdfPageView::PdfPageView(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_OpaquePaintEvent, false);
}

void PdfPageView::setPage(const QImage& image, QSizeF pageSize, double zoom, const QList<QRectF>& highlights) {
    m_image = image;
    m_pageSize = pageSize;
    m_zoom = zoom;
    m_highlights = highlights;
    const double s = pixelsPerPoint(zoom);
    setFixedSize(qCeil(pageSize.width() * s), qCeil(pageSize.height() * s));
    update();
}

void PdfPageView::clear() {
    m_image = {};
    m_highlights.clear();
    update();
}

QRectF PdfPageView::toWidget(const QRectF& points) const {
    const double s = pixelsPerPoint(m_zoom);
    return {points.x() * s, points.y() * s, points.width() * s, points.height() * s};
}

QSize PdfPageView::sizeHint() const {
    const double s = pixelsPerPoint(m_zoom);
    return {qCeil(m_pageSize.width() * s), qCeil(m_pageSize.height() * s)};
}

void PdfPageView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    if (m_image.isNull()) return;
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(QRectF(QPointF(0, 0), QSizeF(width(), height())), m_image);
    // Translucent, so the passage stays readable under it.
    const QColor fill(255, 200, 0, 90);
    const QColor edge(230, 150, 0, 200);
    p.setPen(QPen(edge, 1));
    p.setBrush(fill);
    for (const QRectF& r : m_highlights) p.drawRect(toWidget(r).adjusted(-1, -1, 1, 1));
}

}  // namespace atelier::ui
