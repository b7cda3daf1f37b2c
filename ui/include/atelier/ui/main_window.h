#pragma once
// MainWindow: the Atelier workstation window (ARCHITECTURE.md "ui/"): sessions sidebar,
// conversation area (or the first-start panel while no model is loaded), and docks for context,
// team and activity; the model dialog, load progress and generation speed in the status bar.
// GUI thread only: the engine (EngineBridge) and the store (StoreWorker) run on their own
// threads and talk to the window through queued signals.

#include <QMainWindow>

class QDialog;
class QDockWidget;
class QLineEdit;
class QTreeView;
class QPlainTextEdit;
class QPushButton;
class QLabel;
class QThread;
class QStackedWidget;
class QProgressBar;
class QComboBox;
class QMenu;
class QSortFilterProxyModel;
class QModelIndex;
class QTimer;
class QCloseEvent;

namespace atelier::ui {

class AuditPanel;
class DockBalancer;
class ChatController;
class CheckpointsDialog;
class RecordsWorker;
class TeamPanel;
class ContextPanel;
class DocumentViewer;
class MessageArea;
class SamplingPanel;
struct SourceLink;
class ConversationView;
class EngineBridge;
class ModelDialog;
class SessionListModel;
class WelcomePanel;
struct ModelSummary;
struct GenerationStats;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // `dataDir` holds atelier.db and the demo models; empty: no store (the sidebar stays empty).
    explicit MainWindow(const QString& dataDir = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The size, position and docks the user left at the last close (saved from now on, at each
    // close), bounded to this screen; the Viewer starts hidden. The application calls it at
    // start; without it (tests, scripted screenshots) the window keeps its default layout and
    // saves nothing. False: nothing was saved (or it no longer applies), the default stands.
    bool restoreLayout();

    QDockWidget* sessionsDock() const { return m_sessionsDock; }
    QDockWidget* contextDock() const { return m_contextDock; }
    QDockWidget* teamDock() const { return m_teamDock; }
    QDockWidget* activityDock() const { return m_activityDock; }
    // Hidden until a citation is opened in it.
    QDockWidget* viewerDock() const { return m_viewerDock; }
    DocumentViewer* documentViewer() const { return m_viewer; }
    // Shows the Viewer dock with `source` opened at its page, lines or commit.
    void openSource(const SourceLink& source);
    SessionListModel* sessionModel() const { return m_sessionModel; }
    EngineBridge* engineBridge() const { return m_bridge; }
    ChatController* chat() const { return m_chat; }
    ContextPanel* contextPanel() const { return m_context; }
    ConversationView* conversationView() const { return m_conversation; }
    // The model dialog waiting for the user, if any.
    ModelDialog* pendingModelDialog() const { return m_modelDialog; }
    AuditPanel* auditPanel() const { return m_audit; }
    TeamPanel* teamPanel() const { return m_team; }
    class TeamController* teamController() const { return m_teamController; }
    CheckpointsDialog* checkpointsDialog() const { return m_checkpoints; }
    class ServerPanel* serverPanel() const { return m_serverPanel; }

    // Errors and warnings of the conversation, above the message box (main_window_chat.cpp).
    MessageArea* messageArea() const { return m_messages; }
    // The Generation dock: the session's sampling settings.
    SamplingPanel* samplingPanel() const { return m_samplingPanel; }
    QDockWidget* samplingDock() const { return m_samplingDock; }

    // Describes `path` on the engine worker, then opens the model dialog.
    void openModelPath(const QString& path);
    // Writes a demo model (a preset of engine::presetNames()) under the data folder and loads
    // it; the preset is remembered (QSettings "models/demoPreset") and offered first next time.
    void createDemoModel(const QString& preset);
    static QString lastDemoPreset();
    // At start: loads the model that loaded last (the top of Recent Models, at its context) on
    // the engine worker, unless Settings ▸ "Load the last model again at start" is off, a
    // model is loaded, the file is gone, or the model ran on a remote endpoint (its key is
    // not saved).
    void reloadLastModel();
    // Applies the light or dark palette (also remembered in QSettings).
    void setDarkTheme(bool dark);
    // The recently opened models, newest first (QSettings "models/recent").
    static QStringList recentModels();

    // Opens attached `path` in the Viewer at page or line `at` (attachmentSource; 0 = the top).
    void openAttachment(const QString& path, int at = 0);
    // Sessions dock (main_window_sessions.cpp). Rename asks the store at once; delete hides the
    // row and offers Undo in the status bar, and asks the store when the offer ends (after a
    // delay, when another session is deleted, or when the window closes).
    void renameSession(qint64 sessionId, const QString& title);
    void deleteSession(qint64 sessionId);
    void undoDeleteSession();
    void commitDeleteSession();
    qint64 pendingDeleteSession() const { return m_pendingDelete; }
    // Prefills the current context (attachments and conversation) with the loaded model and
    // stores it as the named KV checkpoint, shown in the Checkpoints dialog
    // (main_window_records.cpp).
    void saveCheckpointAs(const QString& name);
    void promptSaveCheckpoint();  // asks for the name, then saveCheckpointAs

signals:
    // Asks the store worker (on its thread) to open the database / reload the sessions.
    void openStoreRequested(const QString& databasePath);
    void reloadSessionsRequested();
    void loadSessionRequested(qint64 sessionId);
    void searchRequested(const QString& query);
    void favouriteRequested(qint64 sessionId, bool favourite);
    void exportRequested(qint64 sessionId, const QString& path);
    void renameSessionRequested(qint64 sessionId, const QString& title);
    void deleteSessionRequested(qint64 sessionId);
    // Reload the list if another connection (a team run, the CLI) changed the store.
    void refreshSessionsRequested();

public slots:
    void showAbout();
    void showOpenModel();
    void showSettings();
    void showCheckpoints();
    void showServer();  // Tools → Local Server (main_window_server.cpp)
    void exportSession();
    void sendInput();
    void editLastMessage();

protected:
    void closeEvent(QCloseEvent* event) override;  // saves the layout (restoreLayout)

private:
    void buildCentralArea();
    void buildLayoutKeeper();  // main_window_layout.cpp: dock shares as the window grows
    void buildDocks();
    void buildMenus();
    void buildStatusBar();
    void buildServer();
    void startStore(const QString& dataDir);
    void startRecords();
    void openRecords();
    void wireEngine();
    void onInspected(const ModelSummary& summary);
    void onLoaded(const ModelSummary& summary);
    void onFinished(const GenerationStats& stats);
    void rememberModel(const QString& path);
    void refreshRecentMenu();
    void showDemoPreset(const QString& preset);  // checked in the menu, chosen on the welcome page
    void focusMessageBox();  // unless the user is typing elsewhere
    void updateButtons();
    // main_window_chat.cpp: the message area, the Generation dock and their wiring; the
    // context check before a send (false: the user is asked first, or it was refused).
    void buildChatPanels();
    bool sendFits(const QString& text, bool editing);
    void onSessionChanged();
    void buildSessionActions();  // main_window_sessions.cpp: open, rename, delete, live list
    void buildAttachmentActions();
    void openSessionAt(const QModelIndex& index);
    void buildRecordActions();  // main_window_records.cpp: checkpoints, live activity
    void recordActivity(const QString& kind, const QString& payloadJson);

    QString m_dataDir;
    DockBalancer* m_dockBalancer = nullptr;
    bool m_saveLayout = false;  // restoreLayout was called: closing saves the layout
    QDockWidget* m_sessionsDock = nullptr;
    QDockWidget* m_contextDock = nullptr;
    QDockWidget* m_teamDock = nullptr;
    QDockWidget* m_activityDock = nullptr;
    QDockWidget* m_viewerDock = nullptr;
    DocumentViewer* m_viewer = nullptr;
    QLineEdit* m_sessionSearch = nullptr;
    QTreeView* m_sessionTree = nullptr;
    SessionListModel* m_sessionModel = nullptr;
    class SessionFilterProxy* m_sessionProxy = nullptr;
    QThread* m_storeThread = nullptr;
    EngineBridge* m_bridge = nullptr;
    ChatController* m_chat = nullptr;
    ContextPanel* m_context = nullptr;
    QStackedWidget* m_pages = nullptr;
    WelcomePanel* m_welcome = nullptr;
    ConversationView* m_conversation = nullptr;
    QPlainTextEdit* m_input = nullptr;
    QComboBox* m_modeBox = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_regenerate = nullptr;
    QPushButton* m_edit = nullptr;
    QLabel* m_modelStatus = nullptr;
    QLabel* m_speedStatus = nullptr;
    QProgressBar* m_loadProgress = nullptr;
    QMenu* m_recentMenu = nullptr;
    ModelDialog* m_modelDialog = nullptr;
    AuditPanel* m_audit = nullptr;
    TeamPanel* m_team = nullptr;
    class TeamController* m_teamController = nullptr;
    CheckpointsDialog* m_checkpoints = nullptr;
    RecordsWorker* m_records = nullptr;  // lives on m_storeThread: queued calls only
    bool m_editing = false;  // the next Send replaces the last user message
    class ServerPanel* m_serverPanel = nullptr;
    QDialog* m_serverDialog = nullptr;  // the window holding m_serverPanel
    QLabel* m_serverStatus = nullptr;
    MessageArea* m_messages = nullptr;
    SamplingPanel* m_samplingPanel = nullptr;
    QDockWidget* m_samplingDock = nullptr;
    class StoreWorker* m_storeWorker = nullptr;  // on m_storeThread: queued calls only
    qint64 m_pendingDelete = 0;                  // the session whose delete can still be undone
    QTimer* m_deleteTimer = nullptr;
    QWidget* m_undoBox = nullptr;                // status bar: "Deleted “…”" and Undo
    QLabel* m_undoLabel = nullptr;
    QTimer* m_auditRefresh = nullptr;  // coalesces team events into one audit reload
    QMenu* m_demoMenu = nullptr;       // File ▸ Create Demo Model: one checkable entry a preset
};

}  // namespace atelier::ui
