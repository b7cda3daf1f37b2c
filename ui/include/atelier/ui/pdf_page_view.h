#pragma once
// PdfPageView: one rendered PDF page with the cited passage under translucent rectangles. Holds
// the image a worker rendered; it never touches the file. GUI thread only.

#include <QImage>
#include <QList>
#include <QRectF>
#include <QWidget>

namespace atelier::ui {

class PdfPageView : public QWidget {
    Q_OBJECT
public:
    explicit PdfPageView(QWidget* parent = nullptr);

    // `image` shows `pageSize` (points) at `zoom`; `highlights` are in points.
    void setPage(const QImage& image, QSizeF pageSize, double zoom, const QList<QRectF>& highlights);
    void clear();
    // Logical pixels per point at `zoom` (1.0 = 100 %, 96 px per inch).
    static double pixelsPerPoint(double zoom) { return zoom * 96.0 / 72.0; }
    // A rectangle in points as widget coordinates.
    QRectF toWidget(const QRectF& points) const;
    const QList<QRectF>& highlights() const { return m_highlights; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QImage m_image;
    QSizeF m_pageSize;
    double m_zoom = 1.0;
    QList<QRectF> m_highlights;
};

}  // namespace atelier::ui
