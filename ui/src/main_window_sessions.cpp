// MainWindow's sessions dock and attachment list: a session opens on a single click, renames
// in place, deletes with Undo; the list follows the store live (other connections' writes, team
// runs) and shows full-text hits inside expanded groups. Attached documents open in the Viewer.
#include <QAction>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QPushButton>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>

#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/session_filter_proxy.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/team_controller.h"

namespace atelier::ui {
namespace {
constexpr int kUndoMs = 10000;    // how long a deleted session can be brought back
constexpr int kStorePollMs = 2000;  // how often the list looks for other connections' writes
}  // namespace

void MainWindow::buildSessionActions() {
    m_sessionTree->setEditTriggers(QAbstractItemView::EditKeyPressed);
    connect(m_sessionTree, &QTreeView::clicked, this, &MainWindow::openSessionAt);
    connect(m_sessionTree, &QTreeView::activated, this, &MainWindow::openSessionAt);
    connect(m_sessionModel, &SessionListModel::renameRequested, this, &MainWindow::renameSessionRequested);

    // Search hits can appear in groups the view has not shown yet (or that were collapsed):
    // every change of the filtered rows expands them.
    const auto expand = [this] { m_sessionTree->expandAll(); };
    connect(m_sessionProxy, &QAbstractItemModel::rowsInserted, this, expand);
    connect(m_sessionProxy, &QAbstractItemModel::layoutChanged, this, expand);
    connect(m_sessionProxy, &QAbstractItemModel::modelReset, this, expand);

    auto* remove = new QAction(tr("Delete Session"), m_sessionTree);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    m_sessionTree->addAction(remove);
    connect(remove, &QAction::triggered, this, [this] {
        const QModelIndex i = m_sessionTree->currentIndex();
        if (i.isValid() && !i.data(SessionListModel::IsGroupRole).toBool())
            deleteSession(i.data(SessionListModel::SessionIdRole).toLongLong());
    });
    connect(m_sessionTree, &QTreeView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex i = m_sessionTree->indexAt(pos);
        if (!i.isValid() || i.data(SessionListModel::IsGroupRole).toBool()) return;
        const qint64 id = i.data(SessionListModel::SessionIdRole).toLongLong();
        const bool fav = i.data(SessionListModel::FavouriteRole).toBool();
        QMenu menu;
        menu.addAction(tr("Open"), this, [this, i] { openSessionAt(i); });
        menu.addAction(tr("Rename…"), this, [this, i] { m_sessionTree->edit(i); });
        menu.addAction(fav ? tr("Remove from favourites") : tr("Add to favourites"), this,
                       [this, id, fav] { emit favouriteRequested(id, !fav); });
        menu.addSeparator();
        menu.addAction(tr("Delete"), this, [this, id] { deleteSession(id); });
        menu.exec(m_sessionTree->viewport()->mapToGlobal(pos));
    });

    // Undo for a delete, in the status bar while it is pending.
    m_undoBox = new QWidget(this);
    m_undoBox->setObjectName(QStringLiteral("undoDeleteBox"));
    auto* row = new QHBoxLayout(m_undoBox);
    row->setContentsMargins(0, 0, 0, 0);
    m_undoLabel = new QLabel(m_undoBox);
    auto* undo = new QPushButton(tr("Undo"), m_undoBox);
    undo->setObjectName(QStringLiteral("undoDeleteButton"));
    row->addWidget(m_undoLabel);
    row->addWidget(undo);
    statusBar()->insertPermanentWidget(0, m_undoBox);  // not hidden by messages
    m_undoBox->hide();
    connect(undo, &QPushButton::clicked, this, &MainWindow::undoDeleteSession);
    m_deleteTimer = new QTimer(this);
    m_deleteTimer->setSingleShot(true);
    m_deleteTimer->setInterval(kUndoMs);
    connect(m_deleteTimer, &QTimer::timeout, this, &MainWindow::commitDeleteSession);

    // Live list: team runs write through their own connection, and so does the CLI.
    auto* poll = new QTimer(this);
    poll->setInterval(kStorePollMs);
    connect(poll, &QTimer::timeout, this, &MainWindow::refreshSessionsRequested);
    poll->start();
    connect(m_teamController, &TeamController::teamStarted, this, &MainWindow::refreshSessionsRequested);
    connect(m_teamController, &TeamController::finished, this, &MainWindow::refreshSessionsRequested);
    connect(m_teamController, &TeamController::failed, this, &MainWindow::refreshSessionsRequested);
}

void MainWindow::openSessionAt(const QModelIndex& index) {
    if (!index.isValid() || index.data(SessionListModel::IsGroupRole).toBool()) return;
    const qint64 id = index.data(SessionListModel::SessionIdRole).toLongLong();
    if (id == m_chat->sessionId()) return;  // already shown (a double click is two clicks)
    emit loadSessionRequested(id);
}

void MainWindow::renameSession(qint64 sessionId, const QString& title) {
    if (title.trimmed().isEmpty()) return;
    emit renameSessionRequested(sessionId, title.trimmed());
}

void MainWindow::deleteSession(qint64 sessionId) {
    if (sessionId <= 0) return;
    if (m_pendingDelete != 0 && m_pendingDelete != sessionId) commitDeleteSession();
    QString title;
    for (int g = 0; g < m_sessionModel->rowCount(); ++g) {
        const QModelIndex group = m_sessionModel->index(g, 0);
        for (int r = 0; r < m_sessionModel->rowCount(group); ++r) {
            const QModelIndex i = m_sessionModel->index(r, 0, group);
            if (i.data(SessionListModel::SessionIdRole).toLongLong() == sessionId) title = i.data().toString();
        }
    }
    m_pendingDelete = sessionId;
    m_sessionProxy->setHidden(sessionId, true);
    if (m_chat->sessionId() == sessionId) m_chat->newSession();  // not shown while it goes
    m_undoLabel->setText(tr("Deleted “%1”").arg(title));
    m_undoBox->show();
    m_deleteTimer->start();
}

void MainWindow::undoDeleteSession() {
    if (m_pendingDelete == 0) return;
    m_deleteTimer->stop();
    m_sessionProxy->setHidden(m_pendingDelete, false);
    m_pendingDelete = 0;
    m_undoBox->hide();
}

void MainWindow::commitDeleteSession() {
    if (m_pendingDelete == 0) return;
    m_deleteTimer->stop();
    const qint64 id = m_pendingDelete;
    m_pendingDelete = 0;
    m_undoBox->hide();
    emit deleteSessionRequested(id);  // the row stays hidden; the reload that follows drops it
}

void MainWindow::buildAttachmentActions() {
    auto* list = m_context->findChild<QListView*>(QStringLiteral("contextDocuments"));
    if (!list) return;
    list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(list, &QListView::activated, this, [this](const QModelIndex& i) {
        openAttachment(i.data(AttachmentModel::PathRole).toString());
    });
    connect(list, &QListView::customContextMenuRequested, this, [this, list](const QPoint& pos) {
        const QModelIndex i = list->indexAt(pos);
        if (!i.isValid()) return;
        const QString path = i.data(AttachmentModel::PathRole).toString();
        const SourceLink link = attachmentSource(path);
        QMenu menu;
        menu.addAction(tr("Open in Viewer"), this, [this, path] { openAttachment(path); });
        if (link.kind != QLatin1String("git")) {
            const bool pdf = link.kind == QLatin1String("pdf");
            menu.addAction(pdf ? tr("Open at Page…") : tr("Open at Line…"), this, [this, path, pdf] {
                bool ok = false;
                const int at = QInputDialog::getInt(this, tr("Open in Viewer"), pdf ? tr("Page:") : tr("Line:"),
                                                    1, 1, 1000000, 1, &ok);
                if (ok) openAttachment(path, at);
            });
        }
        menu.exec(list->viewport()->mapToGlobal(pos));
    });
}

void MainWindow::openAttachment(const QString& path, int at) {
    if (path.isEmpty()) return;
    openSource(attachmentSource(path, at));
}

}  // namespace atelier::ui
