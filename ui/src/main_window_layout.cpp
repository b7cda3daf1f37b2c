// MainWindow's layout over time: the side docks keep a share of a growing window, and the
// window's size, position and docks come back as the user left them at the next start.
#include <QCloseEvent>
#include <QDockWidget>
#include <QEvent>
#include <QResizeEvent>
#include <QScreen>
#include <QSettings>
#include <QTimer>
#include <cstdlib>

#include "atelier/ui/main_window.h"

namespace atelier::ui {
namespace {
const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/state");
// QMainWindow::saveState's version: a state written for another set of docks is not restored.
constexpr int kLayoutVersion = 1;
// A restored window whose width moved by no more than this (a window manager's frame or snap)
// still holds the user's dock widths.
constexpr int kSettleSlack = 16;
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
        // Context and Team share the right column: one of them sizes it.
        QDockWidget* right = m_window->contextDock()->isVisible() ? m_window->contextDock() : m_window->teamDock();
        want(right, qBound(200, width * 24 / 100, 420));
        if (!docks.isEmpty()) m_window->resizeDocks(docks, sizes, Qt::Horizontal);
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
    // Saved on a larger screen (a monitor since unplugged): bounded to this one, and inside it.
    if (const QScreen* where = screen()) {
        const QRect free = where->availableGeometry();
        if (isMaximized() || isFullScreen()) {
            // Qt restores the normal geometry underneath; nothing to bound.
        } else {
            QRect frame = this->geometry();
            frame.setSize(frame.size().boundedTo(free.size()));
            frame.moveLeft(qBound(free.left(), frame.left(), free.right() - frame.width() + 1));
            frame.moveTop(qBound(free.top(), frame.top(), free.bottom() - frame.height() + 1));
            setGeometry(frame);
        }
    }
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
