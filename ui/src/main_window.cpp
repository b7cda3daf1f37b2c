#include "atelier/ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QThread>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include "atelier/agents/data_paths.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model_config.h"
#include "atelier/ui/about_dialog.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/document_viewer.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/record_models.h"
#include "atelier/ui/record_views.h"
#include "atelier/ui/settings_dialog.h"
#include "atelier/ui/team_controller.h"
#include "atelier/ui/team_panel.h"
#include "panel_scroll.h"
#include "records_worker.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/session_filter_proxy.h"
#include "store_worker.h"
#include "welcome_panel.h"

namespace atelier::ui {
namespace {

QDockWidget* makeDock(QMainWindow* window, const QString& title, const QString& objectName,
                      QWidget* content) {
    auto* dock = new QDockWidget(title, window);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                      QDockWidget::DockWidgetFloatable);
    return dock;
}

// A panel that scrolls when its dock is smaller than the panel's minimum, so that the panel's
// controls never set the window's minimum size (1024×700 must fit).
QWidget* scrollable(QWidget* panel) { return new PanelScroll(panel); }

}  // namespace

MainWindow::MainWindow(const QString& dataDir, QWidget* parent) : QMainWindow(parent), m_dataDir(dataDir) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("Atelier"));
    setWindowIcon(QIcon(QStringLiteral(":/atelier/icons/atelier.svg")));
    qRegisterMetaType<ChatTurn>();
    qRegisterMetaType<QList<ChatTurn>>();
    qRegisterMetaType<QSet<qint64>>();
    m_bridge = new EngineBridge(this);
    m_chat = new ChatController(m_bridge, this);
    buildCentralArea();
    buildDocks();
    buildLayoutKeeper();
    buildMenus();
    buildStatusBar();
    buildServer();
    wireEngine();
    buildChatPanels();
    // 1280×800, or the screen's free area where that is smaller (a 1024×700 laptop screen).
    const QScreen* where = screen();
    resize(where ? QSize(1280, 800).boundedTo(where->availableGeometry().size()) : QSize(1280, 800));
    if (QSettings().value(QStringLiteral("ui/dark"), false).toBool()) setDarkTheme(true);
    if (!dataDir.isEmpty()) startStore(dataDir);
    updateButtons();
}

MainWindow::~MainWindow() {
    if (m_pendingDelete != 0 && m_storeWorker) {
        commitDeleteSession();
        // The queued delete runs before the store thread stops (same sender: in order).
        QMetaObject::invokeMethod(m_storeWorker, [] {}, Qt::BlockingQueuedConnection);
    }
    if (m_storeThread) {
        m_storeThread->quit();
        m_storeThread->wait();
    }
}

void MainWindow::startStore(const QString& dataDir) {
    // The store lives on its own thread; the GUI only exchanges queued signals with it.
    m_storeThread = new QThread(this);
    m_storeThread->setObjectName(QStringLiteral("store"));
    auto* worker = new StoreWorker;
    m_storeWorker = worker;
    worker->moveToThread(m_storeThread);
    connect(m_storeThread, &QThread::finished, worker, &QObject::deleteLater);
    connect(this, &MainWindow::openStoreRequested, worker, &StoreWorker::open);
    connect(this, &MainWindow::reloadSessionsRequested, worker, &StoreWorker::reload);
    connect(this, &MainWindow::loadSessionRequested, worker, &StoreWorker::loadSession);
    connect(this, &MainWindow::searchRequested, worker, &StoreWorker::search);
    connect(this, &MainWindow::favouriteRequested, worker, &StoreWorker::setFavourite);
    connect(this, &MainWindow::exportRequested, worker, &StoreWorker::exportSession);
    connect(this, &MainWindow::renameSessionRequested, worker, &StoreWorker::renameSession);
    connect(this, &MainWindow::deleteSessionRequested, worker, &StoreWorker::deleteSession);
    connect(this, &MainWindow::refreshSessionsRequested, worker, &StoreWorker::reloadIfChanged);
    connect(m_chat, &ChatController::createSessionRequested, worker, &StoreWorker::createSession);
    connect(m_chat, &ChatController::addMessageRequested, worker, &StoreWorker::addMessage);
    connect(m_chat, &ChatController::deleteMessageRequested, worker, &StoreWorker::deleteMessage);
    connect(m_chat, &ChatController::sessionSamplingRequested, worker, &StoreWorker::setSessionSampling);
    connect(worker, &StoreWorker::sessionSamplingLoaded, m_chat, &ChatController::onSessionSamplingLoaded);
    connect(worker, &StoreWorker::sessionCreated, m_chat, &ChatController::onSessionCreated);
    connect(worker, &StoreWorker::messageAdded, m_chat, &ChatController::onMessageAdded);
    connect(worker, &StoreWorker::sessionLoaded, m_chat, &ChatController::showSession);
    connect(worker, &StoreWorker::sessionLoaded, this, [this] { m_pages->setCurrentIndex(1); });
    connect(worker, &StoreWorker::runLoaded, this, [this](qint64, const QString& team, const QStringList& events) {
        m_team->showRun(team, events);
        m_teamDock->raise();
    });
    connect(worker, &StoreWorker::searchFinished, m_sessionProxy, &SessionFilterProxy::setMatches);
    connect(worker, &StoreWorker::sessionsLoaded, m_sessionModel, &SessionListModel::setSessions);
    connect(worker, &StoreWorker::sessionsLoaded, this, [this] { m_sessionTree->expandAll(); });
    connect(worker, &StoreWorker::exported, this, [this](const QString& path) {
        statusBar()->showMessage(tr("Session exported to %1").arg(path), 5000);
    });
    connect(worker, &StoreWorker::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Sessions unavailable: %1").arg(message));
    });
    m_storeThread->start();
    emit openStoreRequested(dataDir + QStringLiteral("/atelier.db"));
    startRecords();
}

void MainWindow::startRecords() {
    m_records = new RecordsWorker;
    m_records->moveToThread(m_storeThread);
    connect(m_storeThread, &QThread::finished, m_records, &QObject::deleteLater);
    connect(m_checkpoints, &CheckpointsDialog::refreshRequested, m_records, &RecordsWorker::listCheckpoints);
    connect(m_checkpoints, &CheckpointsDialog::deleteRequested, m_records, &RecordsWorker::deleteCheckpoint);
    connect(m_checkpoints, &CheckpointsDialog::renameRequested, m_records, &RecordsWorker::renameCheckpoint);
    connect(m_records, &RecordsWorker::checkpointsLoaded, m_checkpoints->model(), &CheckpointListModel::setRows);
    connect(m_audit, &AuditPanel::refreshRequested, m_records, &RecordsWorker::loadAudit);
    connect(m_audit, &AuditPanel::verifyRequested, m_records, &RecordsWorker::verifyAudit);
    connect(m_records, &RecordsWorker::auditLoaded, m_audit->model(), &AuditRecordModel::setRows);
    connect(m_records, &RecordsWorker::auditVerified, m_audit, &AuditPanel::showVerification);
    connect(m_records, &RecordsWorker::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Records unavailable: %1").arg(message));
    });
    openRecords();
    QMetaObject::invokeMethod(m_records, &RecordsWorker::loadAudit, Qt::QueuedConnection);
    buildRecordActions();
}

// (Re)opens the checkpoint store with the settings' strategy and budget.
void MainWindow::openRecords() {
    if (!m_records) return;
    const AppSettings a = AppSettings::load();
    QMetaObject::invokeMethod(m_records, "open", Qt::QueuedConnection, Q_ARG(QString, m_dataDir),
                              Q_ARG(QString, a.kvStrategy),
                              Q_ARG(qint64, qint64(a.kvBudgetGiB * double(qint64(1) << 30))));
    // The same store is the next local load's disk prefix cache (a budget of 0 turns it off).
    engine::CheckpointPolicy policy;
    if (auto strategy = engine::parseWindowStrategy(a.kvStrategy.toStdString())) policy.strategy = *strategy;
    const qint64 budget = qint64(a.kvBudgetGiB * double(qint64(1) << 30));
    if (budget > 0) policy.budgetBytes = budget;
    m_bridge->setCheckpointCache(
        budget > 0 ? QString::fromStdString(agents::DataPaths{m_dataDir.toStdString()}.kvCacheDb().string()) : QString(),
        policy);
}

void MainWindow::showCheckpoints() {
    if (m_records) QMetaObject::invokeMethod(m_records, &RecordsWorker::listCheckpoints, Qt::QueuedConnection);
    m_checkpoints->show();
    m_checkpoints->raise();
}

void MainWindow::showSettings() {
    auto* dialog = new SettingsDialog(AppSettings::load(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        dialog->settings().save();
        openRecords();
        statusBar()->showMessage(tr("Settings saved; threads and backend apply to the next model load"), 5000);
    });
    dialog->open();
}

void MainWindow::buildCentralArea() {
    m_pages = new QStackedWidget(this);
    m_welcome = new WelcomePanel(m_pages);
    m_pages->addWidget(m_welcome);

    auto* central = new QWidget(m_pages);
    central->setObjectName(QStringLiteral("conversationArea"));
    auto* layout = new QVBoxLayout(central);
    m_conversation = new ConversationView(central);
    m_conversation->setObjectName(QStringLiteral("conversationView"));
    m_conversation->setPlaceholderHtml(tr("<h3>New session</h3><p>Ask about your documents. "
                                          "Attach files in the Context dock.</p>"));
    layout->addWidget(m_conversation, 1);

    auto* inputRow = new QHBoxLayout;
    m_input = new QPlainTextEdit(central);
    m_input->setObjectName(QStringLiteral("messageInput"));
    m_input->setPlaceholderText(tr("Ask about your documents… (Ctrl+Enter sends)"));
    m_input->setMaximumHeight(96);
    inputRow->addWidget(m_input, 1);
    auto* buttons = new QVBoxLayout;
    m_modeBox = new QComboBox(central);
    m_modeBox->setObjectName(QStringLiteral("modeBox"));
    m_modeBox->addItem(tr("Chat"), int(engine::ChatMode::Chat));
    m_modeBox->addItem(tr("Thinking"), int(engine::ChatMode::Thinking));
    m_send = new QPushButton(tr("Send"), central);
    m_send->setObjectName(QStringLiteral("sendButton"));
    m_stop = new QPushButton(tr("Stop"), central);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_regenerate = new QPushButton(tr("Regenerate"), central);
    m_regenerate->setObjectName(QStringLiteral("regenerateButton"));
    m_edit = new QPushButton(tr("Edit last"), central);
    m_edit->setObjectName(QStringLiteral("editButton"));
    m_edit->setToolTip(tr("Put your last message back in the box; sending replaces it"));
    for (QWidget* w : {static_cast<QWidget*>(m_modeBox), static_cast<QWidget*>(m_send),
                       static_cast<QWidget*>(m_stop), static_cast<QWidget*>(m_regenerate),
                       static_cast<QWidget*>(m_edit)})
        buttons->addWidget(w);
    inputRow->addLayout(buttons);
    layout->addLayout(inputRow);
    m_pages->addWidget(central);
    setCentralWidget(m_pages);

    connect(m_send, &QPushButton::clicked, this, &MainWindow::sendInput);
    connect(m_stop, &QPushButton::clicked, m_chat, &ChatController::stop);
    connect(m_regenerate, &QPushButton::clicked, m_chat, &ChatController::regenerate);
    connect(m_edit, &QPushButton::clicked, this, &MainWindow::editLastMessage);
    connect(m_modeBox, &QComboBox::currentIndexChanged, this, [this] {
        m_chat->setMode(engine::ChatMode(m_modeBox->currentData().toInt()));
    });
    connect(m_welcome, &WelcomePanel::openModelClicked, this, &MainWindow::showOpenModel);
    connect(m_welcome, &WelcomePanel::createDemoClicked, this, &MainWindow::createDemoModel);
    // The keyboard starts on the page shown (#19: it landed in the session search box): the
    // welcome page's Create button, then the message box whenever the conversation shows.
    m_welcome->setFocus();
    connect(m_pages, &QStackedWidget::currentChanged, this, [this](int page) {
        if (page == 1) focusMessageBox();
    });
}

void MainWindow::focusMessageBox() {
    // Not away from what the user is typing in or working with: only from the page that went,
    // the conversation's text, or an empty search box.
    const QWidget* f = QApplication::focusWidget();
    if (!f) f = focusWidget();
    if (!f || f == m_conversation || m_conversation->isAncestorOf(f) || m_welcome->isAncestorOf(f) || f == m_welcome ||
        (f == m_sessionSearch && m_sessionSearch->text().isEmpty()))
        m_input->setFocus(Qt::OtherFocusReason);
}

void MainWindow::buildDocks() {
    // Sessions sidebar: search (titles and the store's full-text index), favourites, folders.
    auto* sessions = new QWidget(this);
    auto* sessionsLayout = new QVBoxLayout(sessions);
    m_sessionSearch = new QLineEdit(sessions);
    m_sessionSearch->setObjectName(QStringLiteral("sessionSearch"));
    m_sessionSearch->setPlaceholderText(tr("Search sessions (Ctrl+F)"));
    m_sessionSearch->setClearButtonEnabled(true);
    sessionsLayout->addWidget(m_sessionSearch);
    m_sessionModel = new SessionListModel(this);
    m_sessionModel->setSessions({});
    m_sessionProxy = new SessionFilterProxy(this);
    m_sessionProxy->setObjectName(QStringLiteral("sessionProxy"));
    m_sessionProxy->setSourceModel(m_sessionModel);
    m_sessionProxy->setRecursiveFilteringEnabled(true);
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(200);
    connect(m_sessionSearch, &QLineEdit::textChanged, this, [this, debounce](const QString& q) {
        m_sessionProxy->setQuery(q);
        m_sessionTree->expandAll();
        debounce->start();
    });
    connect(debounce, &QTimer::timeout, this, [this] { emit searchRequested(m_sessionSearch->text()); });
    m_sessionTree = new QTreeView(sessions);
    m_sessionTree->setObjectName(QStringLiteral("sessionTree"));
    m_sessionTree->setModel(m_sessionProxy);
    m_sessionTree->header()->hide();
    m_sessionTree->setContextMenuPolicy(Qt::CustomContextMenu);
    sessionsLayout->addWidget(m_sessionTree, 1);
    auto* newSession = new QPushButton(tr("New session"), sessions);
    newSession->setObjectName(QStringLiteral("newSessionButton"));
    connect(newSession, &QPushButton::clicked, m_chat, &ChatController::newSession);
    sessionsLayout->addWidget(newSession);
    m_sessionsDock = makeDock(this, tr("Sessions"), QStringLiteral("sessionsDock"), sessions);
    addDockWidget(Qt::LeftDockWidgetArea, m_sessionsDock);

    m_context = new ContextPanel(m_bridge, this);
    m_contextDock = makeDock(this, tr("Context"), QStringLiteral("contextDock"), scrollable(m_context));
    addDockWidget(Qt::RightDockWidgetArea, m_contextDock);

    // Team: template picker, the live agent tree, the selected agent's transcript.
    m_team = new TeamPanel(this);
    // Team runs use the loaded model; their events and approvals come back to this thread.
    m_teamController = new TeamController(m_team->model(), this, this);
    m_teamController->setDataDir(m_dataDir);
    m_teamController->setModelProvider([this] { return engineTeamModel(*m_bridge); });
    m_team->setController(m_teamController);
    m_teamDock = makeDock(this, tr("Team"), QStringLiteral("teamDock"), scrollable(m_team));
    addDockWidget(Qt::RightDockWidgetArea, m_teamDock);

    // Activity: tool calls, policy decisions, the audit trail.
    m_audit = new AuditPanel(this);
    m_checkpoints = new CheckpointsDialog(this);
    m_activityDock = makeDock(this, tr("Activity"), QStringLiteral("activityDock"), m_audit);
    addDockWidget(Qt::BottomDockWidgetArea, m_activityDock);
    // The side columns run the window's whole height and Activity sits below the conversation
    // only: at 1280×800 a full-width Activity row left the right column too short for Context
    // and Team without scrolling.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    resizeDocks({m_activityDock}, {140}, Qt::Vertical);
    resizeDocks({m_sessionsDock, m_contextDock}, {260, 320}, Qt::Horizontal);

    // Viewer: the page, lines or commit a citation in the conversation points at.
    m_viewer = new DocumentViewer(this);
    m_viewerDock = makeDock(this, tr("Viewer"), QStringLiteral("viewerDock"), m_viewer);
    addDockWidget(Qt::RightDockWidgetArea, m_viewerDock);
    tabifyDockWidget(m_teamDock, m_viewerDock);  // a tab beside Team once opened
    m_viewerDock->hide();
    connect(m_conversation, &ConversationView::sourceActivated, this, &MainWindow::openSource);
    buildSessionActions();
    buildAttachmentActions();
}

void MainWindow::openSource(const SourceLink& source) {
    if (m_viewerDock->isHidden()) {
        // First opened: give it most of the right column, wide enough to read a page.
        m_viewerDock->show();
        QTimer::singleShot(0, this, [this] {  // once the shown dock is laid out
            resizeDocks({m_viewerDock}, {height() * 2 / 3}, Qt::Vertical);
            resizeDocks({m_viewerDock}, {qMax(m_viewerDock->width(), width() * 2 / 5)}, Qt::Horizontal);
        });
    }
    m_viewerDock->raise();
    m_viewer->open(source);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open Model…"), this, &MainWindow::showOpenModel);
    open->setObjectName(QStringLiteral("openModelAction"));
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Recent &Models"));
    m_recentMenu->setObjectName(QStringLiteral("recentModelsMenu"));
    refreshRecentMenu();
    // One entry per preset of `atelier-cli model create`; the last one made is checked.
    m_demoMenu = file->addMenu(tr("Create &Demo Model (random weights)"));
    m_demoMenu->setObjectName(QStringLiteral("demoModelMenu"));
    auto* presets = new QActionGroup(m_demoMenu);
    for (const auto& name : engine::presetNames()) {
        const QString preset = QString::fromStdString(name);
        QAction* a = m_demoMenu->addAction(demoPresetLabel(preset), this, [this, preset] { createDemoModel(preset); });
        a->setObjectName(QStringLiteral("demoPreset-") + preset);
        a->setData(preset);
        a->setCheckable(true);
        presets->addAction(a);
    }
    showDemoPreset(lastDemoPreset());
    file->addSeparator();
    auto* newSession = file->addAction(tr("&New Session"), m_chat, &ChatController::newSession);
    newSession->setShortcut(QKeySequence::New);
    auto* exportAction = file->addAction(tr("&Export Session…"), this, &MainWindow::exportSession);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* chat = menuBar()->addMenu(tr("&Chat"));
    auto* send = chat->addAction(tr("&Send"), this, &MainWindow::sendInput);
    send->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    auto* stop = chat->addAction(tr("S&top"), m_chat, &ChatController::stop);
    stop->setShortcut(QKeySequence(Qt::Key_Escape));
    auto* regen = chat->addAction(tr("&Regenerate"), m_chat, &ChatController::regenerate);
    regen->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    chat->addAction(tr("&Edit Last Message"), this, &MainWindow::editLastMessage);
    auto* search = chat->addAction(tr("Search Sessions"), this, [this] { m_sessionSearch->setFocus(); });
    search->setShortcut(QKeySequence::Find);

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    auto* checkpoints = tools->addAction(tr("&Checkpoints…"), this, &MainWindow::showCheckpoints);
    checkpoints->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    tools->addAction(tr("Save Context as Check&point…"), this, &MainWindow::promptSaveCheckpoint)
        ->setObjectName(QStringLiteral("saveCheckpointAction"));
    tools->addAction(tr("&Verify Audit Trail"), m_audit, &AuditPanel::verifyRequested);
    tools->addAction(tr("Local &Server…"), this, &MainWindow::showServer)->setObjectName(QStringLiteral("serverAction"));
    auto* settings = tools->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
    settings->setShortcut(QKeySequence::Preferences);
    settings->setObjectName(QStringLiteral("settingsAction"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* d : {m_sessionsDock, m_contextDock, m_teamDock, m_activityDock, m_viewerDock})
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    auto* dark = view->addAction(tr("&Dark Theme"));
    dark->setObjectName(QStringLiteral("darkThemeAction"));
    dark->setCheckable(true);
    dark->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    connect(dark, &QAction::toggled, this, &MainWindow::setDarkTheme);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    auto* about = help->addAction(tr("&About Atelier"), this, &MainWindow::showAbout);
    about->setObjectName(QStringLiteral("aboutAction"));
}

void MainWindow::buildStatusBar() {
    m_loadProgress = new QProgressBar(this);
    m_loadProgress->setObjectName(QStringLiteral("loadProgress"));
    m_loadProgress->setRange(0, 100);
    m_loadProgress->setMaximumWidth(220);
    m_loadProgress->hide();
    statusBar()->addPermanentWidget(m_loadProgress);
    m_speedStatus = new QLabel(this);
    m_speedStatus->setObjectName(QStringLiteral("speedStatus"));
    statusBar()->addPermanentWidget(m_speedStatus);
    m_modelStatus = new QLabel(tr("No model loaded"), this);
    m_modelStatus->setObjectName(QStringLiteral("modelStatus"));
    statusBar()->addPermanentWidget(m_modelStatus);
}

void MainWindow::showAbout() {
    AboutDialog dialog(this);
    dialog.exec();
}

}  // namespace atelier::ui
