#include "atelier/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QThread>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

#include "atelier/ui/about_dialog.h"
#include "atelier/ui/session_list_model.h"
#include "store_worker.h"
#include "atelier/version.h"

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

}  // namespace

MainWindow::MainWindow(const QString& dataDir, QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(QStringLiteral("Atelier"));
    setWindowIcon(QIcon(QStringLiteral(":/atelier/icons/atelier.svg")));
    buildCentralArea();
    buildDocks();
    buildMenus();
    m_modelStatus = new QLabel(tr("No model loaded"), this);
    m_modelStatus->setObjectName(QStringLiteral("modelStatus"));
    statusBar()->addPermanentWidget(m_modelStatus);
    resize(1280, 800);

    if (!dataDir.isEmpty()) {
        // The store lives on its own thread; the GUI only exchanges queued signals with it.
        m_storeThread = new QThread(this);
        m_storeThread->setObjectName(QStringLiteral("store"));
        auto* worker = new StoreWorker;
        worker->moveToThread(m_storeThread);
        connect(m_storeThread, &QThread::finished, worker, &QObject::deleteLater);
        connect(this, &MainWindow::openStoreRequested, worker, &StoreWorker::open);
        connect(this, &MainWindow::reloadSessionsRequested, worker, &StoreWorker::reload);
        connect(worker, &StoreWorker::sessionsLoaded, m_sessionModel, &SessionListModel::setSessions);
        connect(worker, &StoreWorker::sessionsLoaded, this, [this] { m_sessionTree->expandAll(); });
        connect(worker, &StoreWorker::failed, this, [this](const QString& message) {
            statusBar()->showMessage(tr("Sessions unavailable: %1").arg(message));
        });
        m_storeThread->start();
        emit openStoreRequested(dataDir + QStringLiteral("/atelier.db"));
    }
}

MainWindow::~MainWindow() {
    if (m_storeThread) {
        m_storeThread->quit();
        m_storeThread->wait();
    }
}

void MainWindow::buildCentralArea() {
    auto* central = new QWidget(this);
    central->setObjectName(QStringLiteral("conversationArea"));
    auto* layout = new QVBoxLayout(central);

    m_conversation = new QTextBrowser(central);
    m_conversation->setObjectName(QStringLiteral("conversationView"));
    m_conversation->setOpenExternalLinks(false);
    m_conversation->setHtml(tr(
        "<h2>Welcome to Atelier</h2>"
        "<p>Atelier runs DeepSeek V4 models on this machine and lets a team of agents read your "
        "files, PDFs and git repositories. Nothing leaves the computer.</p>"
        "<p><b>To start</b>, open a model with <i>File → Open Model…</i>: a Hugging Face folder "
        "as DeepSeek releases it (config.json and *.safetensors) or a GGUF file in llama.cpp's "
        "<code>deepseek4</code> layout.</p>"
        "<p>Drag documents, folders and repositories into the <b>Context</b> dock to give the "
        "model something to read.</p>"));
    layout->addWidget(m_conversation, 1);

    auto* inputRow = new QHBoxLayout;
    m_input = new QPlainTextEdit(central);
    m_input->setObjectName(QStringLiteral("messageInput"));
    m_input->setPlaceholderText(tr("Ask about your documents…"));
    m_input->setMaximumHeight(96);
    inputRow->addWidget(m_input, 1);
    auto* buttons = new QVBoxLayout;
    m_send = new QPushButton(tr("Send"), central);
    m_send->setObjectName(QStringLiteral("sendButton"));
    m_send->setEnabled(false);
    m_send->setToolTip(tr("Open a model first"));
    m_stop = new QPushButton(tr("Stop"), central);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setEnabled(false);
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    inputRow->addLayout(buttons);
    layout->addLayout(inputRow);
    setCentralWidget(central);
}

void MainWindow::buildDocks() {
    // Sessions sidebar: search, favourites and folders.
    auto* sessions = new QWidget(this);
    auto* sessionsLayout = new QVBoxLayout(sessions);
    m_sessionSearch = new QLineEdit(sessions);
    m_sessionSearch->setObjectName(QStringLiteral("sessionSearch"));
    m_sessionSearch->setPlaceholderText(tr("Search sessions"));
    m_sessionSearch->setClearButtonEnabled(true);
    sessionsLayout->addWidget(m_sessionSearch);
    m_sessionModel = new SessionListModel(this);
    m_sessionModel->setSessions({});
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_sessionModel);
    proxy->setRecursiveFilteringEnabled(true);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    connect(m_sessionSearch, &QLineEdit::textChanged, proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    m_sessionTree = new QTreeView(sessions);
    m_sessionTree->setObjectName(QStringLiteral("sessionTree"));
    m_sessionTree->setModel(proxy);
    m_sessionTree->header()->hide();
    sessionsLayout->addWidget(m_sessionTree, 1);
    auto* newSession = new QPushButton(tr("New session"), sessions);
    newSession->setObjectName(QStringLiteral("newSessionButton"));
    sessionsLayout->addWidget(newSession);
    m_sessionsDock = makeDock(this, tr("Sessions"), QStringLiteral("sessionsDock"), sessions);
    addDockWidget(Qt::LeftDockWidgetArea, m_sessionsDock);

    // Context: attached documents, the context gauge, checkpoint state, prefill progress.
    auto* context = new QWidget(this);
    auto* contextLayout = new QVBoxLayout(context);
    auto* documents = new QListWidget(context);
    documents->setObjectName(QStringLiteral("contextDocuments"));
    documents->setToolTip(tr("Drag files, folders, PDFs and repositories here"));
    contextLayout->addWidget(new QLabel(tr("Attached documents"), context));
    contextLayout->addWidget(documents, 1);
    auto* gauge = new QProgressBar(context);
    gauge->setObjectName(QStringLiteral("contextGauge"));
    gauge->setRange(0, 1000);
    gauge->setValue(0);
    gauge->setFormat(tr("Context: 0 of — tokens"));
    contextLayout->addWidget(gauge);
    auto* checkpoint = new QLabel(tr("Checkpoint: none"), context);
    checkpoint->setObjectName(QStringLiteral("checkpointLabel"));
    contextLayout->addWidget(checkpoint);
    m_contextDock = makeDock(this, tr("Context"), QStringLiteral("contextDock"), context);
    addDockWidget(Qt::RightDockWidgetArea, m_contextDock);

    // Team: template picker and the live agent tree.
    auto* team = new QWidget(this);
    auto* teamLayout = new QVBoxLayout(team);
    auto* agentTree = new QTreeView(team);
    agentTree->setObjectName(QStringLiteral("agentTree"));
    teamLayout->addWidget(new QLabel(tr("No team running"), team));
    teamLayout->addWidget(agentTree, 1);
    m_teamDock = makeDock(this, tr("Team"), QStringLiteral("teamDock"), team);
    addDockWidget(Qt::RightDockWidgetArea, m_teamDock);

    // Activity: tool calls, policy decisions, the audit trail.
    auto* activity = new QTreeView(this);
    activity->setObjectName(QStringLiteral("activityView"));
    m_activityDock = makeDock(this, tr("Activity"), QStringLiteral("activityDock"), activity);
    addDockWidget(Qt::BottomDockWidgetArea, m_activityDock);
    resizeDocks({m_activityDock}, {140}, Qt::Vertical);
    resizeDocks({m_sessionsDock, m_contextDock}, {260, 300}, Qt::Horizontal);
}

void MainWindow::buildMenus() {
    auto* file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    auto* openModel = file->addAction(tr("&Open Model…"));
    openModel->setShortcut(QKeySequence::Open);
    openModel->setEnabled(false);  // model loading lands with the engine
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    for (QDockWidget* dock : {m_sessionsDock, m_contextDock, m_teamDock, m_activityDock})
        view->addAction(dock->toggleViewAction());

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    auto* about = help->addAction(tr("&About Atelier"));
    about->setObjectName(QStringLiteral("aboutAction"));
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::showAbout() {
    AboutDialog dialog(this);
    dialog.exec();
}

}  // namespace atelier::ui
