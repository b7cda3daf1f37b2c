// WindowWalkthrough (window_walkthrough.h): the app's --walkthrough scenes, a user's journey
// through the real window.

#include "atelier/ui/window_walkthrough.h"

#include <cstdio>
#include <cstdlib>

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLineEdit>
#include <QListView>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>

#include "atelier/base/log.h"
#include "atelier/ui/approval_broker.h"
#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/document_viewer.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/record_models.h"
#include "atelier/ui/record_views.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/settings_dialog.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"

namespace atelier::ui {

namespace {

constexpr int kPollMs = 50;
// The pause between a step's result and its screenshot, so its last paint has landed.
constexpr int kSettleMs = 400;
// The number the second phase's first step gets (after the first phase's eleven, Quit the last).
constexpr int kResumeFirst = 12;
const QString kCheckpointName = QStringLiteral("walkthrough checkpoint");
const QString kSessionFile = QStringLiteral("walkthrough-session.txt");
// The window's size and the Sessions dock's width when the first phase quit ("W H DOCK"): the
// second phase starts with them (MainWindow::restoreLayout).
const QString kLayoutFile = QStringLiteral("walkthrough-layout.txt");
// The size the first phase leaves the window at, other than its default 1280×800.
constexpr QSize kLeftSize{1180, 760};

// A key press and release on `w`, as the keyboard sends them.
void pressKey(QWidget* w, int key, const QString& text = {}) {
    QKeyEvent press(QEvent::KeyPress, key, Qt::NoModifier, text);
    QApplication::sendEvent(w, &press);
    QKeyEvent release(QEvent::KeyRelease, key, Qt::NoModifier, text);
    QApplication::sendEvent(w, &release);
}

// Types `text` into `w` one key at a time.
void typeText(QWidget* w, const QString& text) {
    w->setFocus();
    for (const QChar c : text) pressKey(w, c.isLetterOrNumber() ? int(c.toUpper().unicode()) : 0, QString(c));
}

template <typename T>
T* child(QObject* parent, const char* name) {
    return parent ? parent->findChild<T*>(QString::fromLatin1(name)) : nullptr;
}

QAction* actionNamed(MainWindow& window, const char* name) { return child<QAction>(&window, name); }

QAction* quitAction(MainWindow& window) {
    for (QAction* a : window.findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(QKeySequence::Quit)) return a;
    return nullptr;
}

// The index of session `id` in the sidebar's (filtered, grouped) model; invalid when not listed.
QModelIndex findSession(const QAbstractItemModel* model, qint64 id, const QModelIndex& parent = {}) {
    for (int row = 0; model && row < model->rowCount(parent); ++row) {
        const QModelIndex i = model->index(row, 0, parent);
        if (!i.data(SessionListModel::IsGroupRole).toBool() &&
            i.data(SessionListModel::SessionIdRole).toLongLong() == id)
            return i;
        if (const QModelIndex hit = findSession(model, id, i); hit.isValid()) return hit;
    }
    return {};
}

bool tableHas(const QAbstractItemModel* model, const QString& text) {
    for (int r = 0; model && r < model->rowCount(); ++r)
        for (int c = 0; c < model->columnCount(); ++c)
            if (model->index(r, c).data().toString().contains(text)) return true;
    return false;
}

}  // namespace

QString WindowWalkthrough::message() { return QStringLiteral("Hello from the walkthrough, a short reply please"); }

WindowWalkthrough::WindowWalkthrough(MainWindow& window, WalkthroughOptions options, QObject* parent)
    : QObject(parent), m_window(window), m_options(std::move(options)) {
    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, &WindowWalkthrough::poll);
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(kStepTimeoutMs);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] {
                QString why = QStringLiteral("no result within %1 s").arg(kStepTimeoutMs / 1000);
                if (const QWidget* modal = QApplication::activeModalWidget())
                    why += QStringLiteral(" (a dialog the script does not answer is open: “%1”, %2)")
                               .arg(modal->windowTitle(), modal->objectName());
                fail(why);
            });
    connect(m_window.chat(), &ChatController::failed, this,
            [this](const QString& why) { fail(QStringLiteral("the chat failed: ") + why); });
    connect(m_window.chat(), &ChatController::finished, this, [this] { m_chatFinished = true; });
    connect(m_window.chat(), &ChatController::sendFailed, this,
            [this](const QString&, const QString& why) { fail(QStringLiteral("the reply failed: ") + why); });
    connect(m_window.documentViewer(), &DocumentViewer::shown, this, [this] { m_viewerShown = true; });
    connect(m_window.teamController(), &TeamController::finished, this, [this](const QString& status) {
        m_teamFinished = true;
        m_teamStatus = status;
    });
    connect(m_window.teamController(), &TeamController::failed, this,
            [this](const QString& why) { m_teamStatus = QStringLiteral("failed: ") + why; });
    connect(m_window.teamController()->broker(), &ApprovalBroker::questionShown, this, [this] { ++m_approvals; });
}

void WindowWalkthrough::start() {
    // From the event loop, so that even a failure at once ends the app's exec().
    QTimer::singleShot(0, this, &WindowWalkthrough::begin);
}

void WindowWalkthrough::begin() {
    if (!QDir().mkpath(m_options.dir)) return fail(QStringLiteral("cannot create %1").arg(m_options.dir));
    // Qt's own dialogs, which the script can answer (a platform's native ones it cannot).
    QApplication::setAttribute(Qt::AA_DontUseNativeDialogs);
    if (m_options.resume) buildResumePhase();
    else buildFirstPhase();
    if (m_options.resume && m_sessionId <= 0)
        return fail(QStringLiteral("no session id in %1: run --walkthrough without --walkthrough-resume first")
                        .arg(QDir(m_options.dir).filePath(kSessionFile)));
    if (!m_options.resume && !QFileInfo(m_options.document).isFile())
        return fail(QStringLiteral("no document to attach: --walkthrough-document %1 is not a file")
                        .arg(m_options.document));
    m_first = m_options.resume ? kResumeFirst : 1;
    m_poll.start();
    m_current = 0;
    runStep();
}

void WindowWalkthrough::buildFirstPhase() {
    MainWindow& w = m_window;
    add({QStringLiteral("first-start"), {}, {},
         [&w] {
             const QWidget* welcome = child<QWidget>(&w, "welcomePanel");
             return w.isVisible() && welcome && welcome->isVisible();
         }});
    // The first-start panel's demo button with the tiny preset.
    add({QStringLiteral("demo-model"),
         [&w] {
             auto* preset = child<QComboBox>(&w, "demoPreset");
             if (preset) preset->setCurrentIndex(qMax(0, preset->findData(QStringLiteral("tiny"))));
             if (auto* b = child<QPushButton>(&w, "createDemoButton")) b->click();
         },
         {}, [&w] { return w.engineBridge()->isLoaded() && w.conversationView()->isVisible(); }});
    // A short reply: the Generation dock's max tokens, the message typed, Send clicked.
    add({QStringLiteral("chat"),
         [this, &w] {
             if (auto* box = child<QSpinBox>(&w, "maxTokensBox")) box->setValue(12);
             auto* input = child<QPlainTextEdit>(&w, "messageInput");
             if (input) typeText(input, message());
             if (auto* send = child<QPushButton>(&w, "sendButton")) send->click();
         },
         {},
         [this, &w] {
             if (!m_chatFinished || w.chat()->isBusy() || w.chat()->sessionId() == 0) return false;
             if (!w.conversationView()->toPlainText().contains(message())) return false;
             // Remembered for the second phase.
             m_sessionId = w.chat()->sessionId();
             QFile f(QDir(m_options.dir).filePath(kSessionFile));
             if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray::number(m_sessionId)) < 0)
                 fail(QStringLiteral("cannot write %1").arg(f.fileName()));
             return true;
         }});
    // Attach: the context dock's button, its file dialog answered with the PDF.
    add({QStringLiteral("attach-pdf"),
         [&w] {
             w.contextDock()->show();
             w.contextDock()->raise();
             if (auto* b = child<QAbstractButton>(&w, "attachFilesButton")) b->click();
         },
         [this](QWidget* modal) {
             auto* dialog = qobject_cast<QFileDialog*>(modal);
             if (!dialog) return false;
             // Typed into the file name box, as a user does (selectFile() leaves a focused box
             // as it is, and Open then takes the folder).
             const QFileInfo doc(m_options.document);
             auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
             if (!name) return false;
             dialog->setDirectory(doc.absolutePath());
             name->setText(doc.absoluteFilePath());
             auto* buttons = dialog->findChild<QDialogButtonBox*>();
             QPushButton* open = buttons ? buttons->button(QDialogButtonBox::Open) : nullptr;
             if (open && open->isEnabled()) open->click();
             else static_cast<QDialog*>(dialog)->accept();
             return true;
         },
         [this, &w] {
             for (const Attachment& a : w.contextPanel()->attachments()->attachments()) {
                 if (QFileInfo(a.path) != QFileInfo(m_options.document) || a.tokens < 0) continue;
                 if (!a.error.isEmpty()) fail(QStringLiteral("cannot attach %1: %2").arg(a.path, a.error));
                 return a.error.isEmpty();
             }
             return false;
         }});
    // The attachment opened in the Viewer (Return on its row), then the next page.
    add({QStringLiteral("viewer"),
         [this, &w] {
             m_viewerShown = false;
             auto* list = child<QListView>(&w, "contextDocuments");
             if (!list) return;
             for (int row = 0; row < list->model()->rowCount(); ++row) {
                 const QModelIndex i = list->model()->index(row, 0);
                 if (QFileInfo(i.data(AttachmentModel::PathRole).toString()) != QFileInfo(m_options.document)) continue;
                 list->setFocus();
                 list->setCurrentIndex(i);
                 pressKey(list, Qt::Key_Return);
             }
         },
         {},
         [this, &w] {
             const DocumentViewer* v = w.documentViewer();
             return m_viewerShown && v->mode() == DocumentViewer::Mode::Pdf && v->pageCount() >= 2 && v->page() == 1 &&
                    w.viewerDock()->isVisible();
         }});
    add({QStringLiteral("viewer-next-page"),
         [this, &w] {
             m_viewerShown = false;
             for (QToolButton* b : w.documentViewer()->findChildren<QToolButton*>())
                 if (b->toolTip() == DocumentViewer::tr("Next page")) b->click();
         },
         {},
         [this, &w] {
             const DocumentViewer* v = w.documentViewer();
             return m_viewerShown && v->page() == 2 && v->title().contains(QStringLiteral("2"));
         }});
    // Settings: ask before every tool call, so the team's read asks for approval.
    add({QStringLiteral("settings-ask-all"),
         [&w] {
             if (QAction* a = actionNamed(w, "settingsAction")) a->trigger();
         },
         [](QWidget* modal) {
             if (modal->objectName() != QLatin1String("settingsDialog")) return false;
             if (auto* box = child<QComboBox>(modal, "settingsApproval"))
                 box->setCurrentIndex(box->findData(QStringLiteral("ask-all")));
             if (auto* buttons = modal->findChild<QDialogButtonBox*>())
                 if (QPushButton* ok = buttons->button(QDialogButtonBox::Ok)) ok->click();
             return true;
         },
         [] { return AppSettings::load().approvalMode == QLatin1String("ask-all"); }});
    // A team run in the Team dock: document-analyst on the PDF's folder; its first turn must call
    // a tool (the untrained demo model would rarely write one), which asks for approval.
    add({QStringLiteral("team-approval"),
         [this, &w] {
             w.teamDock()->show();
             w.teamDock()->raise();
             w.teamController()->setLimits(600, 8000);
             w.teamController()->setFirstTurnToolCall(true, 16);
             TeamPanel* panel = w.teamPanel();
             connect(
                 panel, &TeamPanel::teamLoaded, this,
                 [this, panel] {
                     if (auto* ws = child<QLineEdit>(panel, "teamWorkspace"))
                         ws->setText(QFileInfo(m_options.document).absolutePath());
                     if (auto* task = child<QLineEdit>(panel, "teamTask"))
                         typeText(task, QStringLiteral("Summarise the PDF"));
                     if (auto* run = child<QPushButton>(panel, "teamRunButton")) run->click();
                 },
                 Qt::SingleShotConnection);
             auto* templates = child<QComboBox>(panel, "teamTemplates");
             const int i = templates ? templates->findData(QStringLiteral("document-analyst")) : -1;
             if (i < 0) return fail(QStringLiteral("the Team dock offers no document-analyst template"));
             templates->setCurrentIndex(i);
             emit templates->activated(i);
         },
         {},
         [this, &w] {
             if (m_teamFinished || m_teamStatus.startsWith(QLatin1String("failed")))
                 fail(QStringLiteral("the run ended without asking (%1)").arg(m_teamStatus));
             ApprovalDialog* d = w.teamController()->broker()->pendingDialog();
             return d && d->isVisible();
         },
         true, true});
    // Allow once; later questions of the run get the same answer. The Activity panel lists it.
    add({QStringLiteral("team-run"),
         [&w] {
             if (ApprovalDialog* d = w.teamController()->broker()->pendingDialog())
                 if (auto* b = child<QPushButton>(d, "allowOnceButton")) b->click();
         },
         [](QWidget* modal) {
             if (modal->objectName() != QLatin1String("approvalDialog")) return false;
             if (auto* b = child<QPushButton>(modal, "allowOnceButton")) b->click();
             return true;
         },
         [this, &w] {
             // The Activity panel shows the answer, reloaded live from the audit trail.
             return m_teamFinished && !w.teamController()->isRunning() &&
                    tableHas(w.auditPanel()->model(), QStringLiteral("(by desktop)"));
         }});
    // Tools ▸ Save Context as Checkpoint…, named in its dialog; the Checkpoints dialog lists it.
    add({QStringLiteral("checkpoint"),
         [&w] {
             if (QAction* a = actionNamed(w, "saveCheckpointAction")) a->trigger();
             for (QAction* a : w.findChildren<QAction*>())
                 if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_K)) a->trigger();  // Tools ▸ Checkpoints…
         },
         [](QWidget* modal) {
             auto* dialog = qobject_cast<QInputDialog*>(modal);
             if (!dialog) return false;
             dialog->setTextValue(kCheckpointName);
             dialog->accept();
             return true;
         },
         [&w] {
             CheckpointsDialog* d = w.checkpointsDialog();
             return d->isVisible() && tableHas(d->table()->model(), kCheckpointName);
         }});
    // The user resizes the window and widens the Sessions dock, then quits: the restart shows
    // them as left.
    add({QStringLiteral("quit"),
         [this, &w] {
             w.checkpointsDialog()->close();
             w.resize(kLeftSize);
             QTimer::singleShot(kSettleMs, &w, [this, &w] {
                 w.resizeDocks({w.sessionsDock()}, {w.sessionsDock()->width() + 40}, Qt::Horizontal);
                 QTimer::singleShot(kSettleMs, &w, [this, &w] {
                     QFile f(QDir(m_options.dir).filePath(kLayoutFile));
                     const QByteArray line = QStringLiteral("%1 %2 %3")
                                                 .arg(w.width())
                                                 .arg(w.height())
                                                 .arg(w.sessionsDock()->width())
                                                 .toUtf8();
                     if (!f.open(QIODevice::WriteOnly) || f.write(line) < 0)
                         return fail(QStringLiteral("cannot write %1").arg(f.fileName()));
                     if (QAction* quit = quitAction(w)) quit->trigger();
                 });
             });
         },
         {}, [&w] { return !w.isVisible(); }, false});
}

void WindowWalkthrough::buildResumePhase() {
    MainWindow& w = m_window;
    QFile f(QDir(m_options.dir).filePath(kSessionFile));
    if (f.open(QIODevice::ReadOnly)) m_sessionId = QString::fromUtf8(f.readAll()).trimmed().toLongLong();
    QFile layout(QDir(m_options.dir).filePath(kLayoutFile));
    if (layout.open(QIODevice::ReadOnly))
        for (const QByteArray& n : layout.readAll().trimmed().split(' ')) m_leftLayout << n.toInt();
    // The chat session of the first phase is listed in the sidebar; the window has the size and
    // the Sessions dock the width that the first phase left (the Viewer closed).
    add({QStringLiteral("restart"), {}, {}, [this, &w] {
             if (m_leftLayout.size() != 3 || w.size() != QSize(m_leftLayout[0], m_leftLayout[1]) ||
                 std::abs(w.sessionsDock()->width() - m_leftLayout[2]) > 2 || w.viewerDock()->isVisible())
                 return false;
             auto* tree = child<QTreeView>(&w, "sessionTree");
             // With Settings' "Load the last model again at start" (the default), the demo model too.
             if (AppSettings::load().reloadLastModel && !w.engineBridge()->isLoaded()) return false;
             return m_sessionId > 0 && tree && findSession(tree->model(), m_sessionId).isValid();
         }});
    // Selected and opened (Return), its messages shown.
    add({QStringLiteral("session-reopened"),
         [this, &w] {
             auto* tree = child<QTreeView>(&w, "sessionTree");
             const QModelIndex i = findSession(tree->model(), m_sessionId);
             tree->setFocus();
             tree->setCurrentIndex(i);
             pressKey(tree, Qt::Key_Return);
         },
         {},
         [this, &w] {
             return w.chat()->sessionId() == m_sessionId && w.conversationView()->toPlainText().contains(message());
         }});
    add({QStringLiteral("quit"),
         [&w] {
             if (QAction* quit = quitAction(w)) quit->trigger();
         },
         {}, [&w] { return !w.isVisible(); }, false});
}

QString WindowWalkthrough::stepName() const {
    if (m_current < 0 || m_current >= int(m_steps.size())) return {};
    return QStringLiteral("%1-%2")
        .arg(m_first + m_current, 2, 10, QLatin1Char('0'))
        .arg(m_steps[size_t(m_current)].name);
}

void WindowWalkthrough::runStep() {
    if (!m_failure.isEmpty()) return;
    if (m_current >= int(m_steps.size())) return succeed();
    atelier::logger("ui")->info("walkthrough step {}", stepName().toStdString());
    std::fprintf(stderr, "atelier: walkthrough step %s\n", qPrintable(stepName()));
    m_settling = false;
    m_timeout.start();
    const Step& step = m_steps[size_t(m_current)];
    if (step.act) {
        const int current = m_current;
        m_acting = true;
        step.act();  // may run a modal dialog's loop, answered by poll()
        if (m_current == current) m_acting = false;
    }
}

void WindowWalkthrough::poll() {
    if (m_current < 0 || m_current >= int(m_steps.size()) || m_settling || !m_failure.isEmpty()) return;
    const Step& step = m_steps[size_t(m_current)];
    QWidget* modal = QApplication::activeModalWidget();
    if (modal && step.answer && step.answer(modal)) return;
    if (m_acting || (modal && !step.allowModal) || !step.done() || !m_failure.isEmpty()) return;
    m_timeout.stop();
    if (!step.shot) {
        ++m_current;
        QTimer::singleShot(0, this, &WindowWalkthrough::runStep);
        return;
    }
    m_settling = true;
    QTimer::singleShot(kSettleMs, this, [this] {
        const QString file = QDir(m_options.dir).filePath(stepName() + QStringLiteral(".png"));
        if (!saveShot(file)) return fail(QStringLiteral("cannot save %1").arg(file));
        ++m_current;
        runStep();
    });
}

bool WindowWalkthrough::saveShot(const QString& file) {
    // The screen under the window, so that a dialog over it shows too.
    QScreen* screen = m_window.screen();
    const QRect r = m_window.frameGeometry();
    QPixmap shot = screen ? screen->grabWindow(0, r.x(), r.y(), r.width(), r.height()) : QPixmap();
    if (shot.isNull()) shot = m_window.grab();
    return shot.save(file, "PNG");
}

void WindowWalkthrough::fail(const QString& why) {
    if (!m_failure.isEmpty()) return;
    m_failure = QStringLiteral("%1: %2").arg(stepName().isEmpty() ? QStringLiteral("start") : stepName(), why);
    m_poll.stop();
    m_timeout.stop();
    atelier::logger("ui")->error("walkthrough failed at step {}", m_failure.toStdString());
    std::fprintf(stderr, "atelier: walkthrough failed at step %s\n", qPrintable(m_failure));
    emit finished(1);
}

void WindowWalkthrough::succeed() {
    m_poll.stop();
    m_timeout.stop();
    std::fprintf(stderr, "atelier: walkthrough done, screenshots in %s\n", qPrintable(m_options.dir));
    emit finished(0);
}

}  // namespace atelier::ui
