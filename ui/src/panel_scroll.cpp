#include "panel_scroll.h"

#include <algorithm>

#include <QEvent>
#include <QLayout>
#include <QScrollBar>

namespace atelier::ui {

PanelScroll::PanelScroll(QWidget* panel, QWidget* parent) : QScrollArea(parent) {
    setObjectName(panel->objectName() + QStringLiteral("Scroll"));
    setFrameShape(QFrame::NoFrame);
    setWidgetResizable(false);  // fit() sizes the panel
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setWidget(panel);
    panel->installEventFilter(this);  // its content changed: laid out again
}

int PanelScroll::minimumHeight(const QWidget* panel, int width) {
    const QLayout* layout = panel->layout();
    if (layout && layout->hasHeightForWidth()) return layout->totalMinimumHeightForWidth(width);
    return panel->minimumSizeHint().height();
}

void PanelScroll::resizeEvent(QResizeEvent* event) {
    QScrollArea::resizeEvent(event);
    fit();
}

bool PanelScroll::eventFilter(QObject* watched, QEvent* event) {
    if (watched == widget() && event->type() == QEvent::LayoutRequest) fit();
    return QScrollArea::eventFilter(watched, event);
}

void PanelScroll::fit() {
    QWidget* panel = widget();
    if (!panel) return;
    const QSize view = maximumViewportSize();  // without scroll bars
    const int minWidth = panel->minimumSizeHint().width();
    int width = std::max(view.width(), minWidth);
    int height = std::max(view.height(), minimumHeight(panel, width));
    if (height > view.height()) {
        // A vertical scroll bar takes its width from the view.
        width = std::max(view.width() - verticalScrollBar()->sizeHint().width(), minWidth);
        height = std::max(view.height(), minimumHeight(panel, width));
    }
    if (panel->size() != QSize(width, height)) panel->resize(width, height);
}

}  // namespace atelier::ui
