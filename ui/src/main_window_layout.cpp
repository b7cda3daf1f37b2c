// MainWindow's layout over time: the side docks keep a share of a growing window, and the
// window's size, position and docks come back as the user left them at the next start.
#include <QCloseEvent>
#include <QDockWidget>
#include <QEvent>
#include <QResizeEvent>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QTimer>
#include <algorithm>
#include <cstdlib>

#include "atelier/ui/main_window.h"
#include "panel_scroll.h"

namespace atelier::ui {
namespace {
const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/state");
// QMainWindow::saveState's version: a state written for another set of docks is not restored.
constexpr int kLayoutVersion = 1;
// A restored window whose width moved by no more than this (a window manager's frame or snap)
// still holds the user's dock widths.
constexpr int kSettleSlack = 16;

// Bounds a top-level window, frame included, to its screen's free area and moves it inside it
// (restoreGeometry keeps a size and place saved on a larger screen).
void fitToScreen(QWidget* window) {
    const QScreen* where = window->screen();
    if (!where || window->isMaximized() || window->isFullScreen()) return;
    const QRect free = where->availableGeometry();
    const QRect frame = window->frameGeometry();
    const QSize margins = frame.size() - window->size();
    const QSize size = window->size().boundedTo(free.size() - margins);
    if (size != window->size()) window->resize(size);
    const QSize outer = size + margins;
    const QPoint at(qBound(free.left(), frame.left(), free.right() - outer.width() + 1),
                    qBound(free.top(), frame.top(), free.bottom() - outer.height() + 1));
    if (at != frame.topLeft()) window->move(at);
}
}  // namespace

// Keeps the side docks a share of the window's width: QMainWindow gives every pixel of a wider
// window to the conversation, so docks squeezed to their minimum in a small window (1024×700)
// stayed clipped after it was enlarged. A dock narrower than its share grows back; a dock the
// user made wider keeps its width. A restored layout holds as saved until the window's width
// changes: the widths the user left are the ones shown.
class DockBalancer : public QObject {
public:
    explicit DockBalancer(MainWindow* window) : QObject(window), m_window(window) {
        m_timer.setSingleShot(true);
        m_timer.setInterval(0);
        connect(&m_timer, &QTimer::timeout, this, &DockBalancer::balance);
        window->installEventFilter(this);
    }

    // The window was given a saved layout at this width.
    void hold(int width) { m_holdWidth = width; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (watched == m_window && (event->type() == QEvent::Resize || event->type() == QEvent::Show))
            m_timer.start();  // once the layout has the new size
        return false;
    }

private:
    void balance() {
        const int width = m_window->width();
        if (m_holdWidth > 0) {
            if (std::abs(width - m_holdWidth) <= kSettleSlack) return;
            m_holdWidth = 0;  // the user resized the window: shares apply from now on
        }
        QList<QDockWidget*> docks;
        QList<int> sizes;
        const auto want = [&](QDockWidget* dock, int share) {
            if (!dock || !dock->isVisible() || dock->isFloating() || dock->width() >= share) return;
            docks << dock;
            sizes << share;
        };
        // At 1024 px: 163 + 245 beside the conversation's minimum (about 600).
        want(m_window->sessionsDock(), qBound(160, width * 16 / 100, 300));
        // Context and Team share the right column: one of them sizes it. At 1280 px: 358, the
        // Team panel's buttons and agent columns without scrolling sideways.
        QDockWidget* right = m_window->contextDock()->isVisible() ? m_window->contextDock() : m_window->teamDock();
        want(right, qBound(200, width * 28 / 100, 440));
        if (!docks.isEmpty()) m_window->resizeDocks(docks, sizes, Qt::Horizontal);
        balanceColumn();
    }

    // Context above Team in the right column: when the Team panel would scroll, it takes the
    // height the Context panel does not need (its document list stretches into any).
    void balanceColumn() {
        QDockWidget* top = m_window->contextDock();
        QDockWidget* bottom = m_window->teamDock();
        if (!top->isVisible() || !bottom->isVisible() || top->isFloating() || bottom->isFloating() ||
            m_window->dockWidgetArea(top) != m_window->dockWidgetArea(bottom))
            return;
        auto* upper = qobject_cast<QScrollArea*>(top->widget());
        auto* lower = qobject_cast<QScrollArea*>(bottom->widget());
        if (!upper || !upper->widget() || !lower || !lower->widget()) return;
        // What the Team panel is laid out taller than its view (word-wrapped labels included),
        // and what the Context panel's view has beyond the panel's minimum.
        const int missing = lower->widget()->height() - lower->viewport()->height();
        const int spare = upper->viewport()->height() - PanelScroll::minimumHeight(upper->widget(), upper->widget()->width());
        if (missing <= 0 || spare <= 0) return;
        const int move = std::min(missing, spare);
        m_window->resizeDocks({top, bottom}, {top->height() - move, bottom->height() + move}, Qt::Vertical);
    }

    MainWindow* m_window;
    QTimer m_timer;
    int m_holdWidth = 0;
};

void MainWindow::buildLayoutKeeper() { m_dockBalancer = new DockBalancer(this); }

bool MainWindow::restoreLayout() {
    m_saveLayout = true;
    QSettings settings;
    const QByteArray geometry = settings.value(kGeometryKey).toByteArray();
    const QByteArray state = settings.value(kStateKey).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) return false;
    // Saved on a larger screen (a monitor since unplugged): bounded to this one and inside it,
    // now and once shown, when the window manager's frame is known.
    fitToScreen(this);
    QTimer::singleShot(0, this, [this] { fitToScreen(this); });
    if (!state.isEmpty()) restoreState(state, kLayoutVersion);
    // The Viewer shows a document the user opened; nothing is open at a start.
    m_viewerDock->hide();
    m_dockBalancer->hold(width());
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_saveLayout) {
        QSettings settings;
        settings.setValue(kGeometryKey, saveGeometry());
        settings.setValue(kStateKey, saveState(kLayoutVersion));
    }
    QMainWindow::closeEvent(event);
}

}  // namespace atelier::ui
