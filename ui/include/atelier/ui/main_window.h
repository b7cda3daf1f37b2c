#pragma once
// MainWindow: the Atelier workstation window (ARCHITECTURE.md "ui/"): sessions sidebar,
// conversation area, and docks for context, team and activity. GUI thread only.

#include <QMainWindow>

class QDockWidget;
class QLineEdit;
class QTreeView;
class QTextBrowser;
class QPlainTextEdit;
class QPushButton;
class QLabel;
class QThread;

namespace atelier::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // `dataDir` holds atelier.db; empty: no store (the sidebar stays empty).
    explicit MainWindow(const QString& dataDir = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    QDockWidget* sessionsDock() const { return m_sessionsDock; }
    QDockWidget* contextDock() const { return m_contextDock; }
    QDockWidget* teamDock() const { return m_teamDock; }
    QDockWidget* activityDock() const { return m_activityDock; }
    class SessionListModel* sessionModel() const { return m_sessionModel; }

signals:
    // Asks the store worker (on its thread) to open the database / reload the sessions.
    void openStoreRequested(const QString& databasePath);
    void reloadSessionsRequested();

public slots:
    void showAbout();

private:
    void buildCentralArea();
    void buildDocks();
    void buildMenus();

    QDockWidget* m_sessionsDock = nullptr;
    QDockWidget* m_contextDock = nullptr;
    QDockWidget* m_teamDock = nullptr;
    QDockWidget* m_activityDock = nullptr;
    QLineEdit* m_sessionSearch = nullptr;
    QTreeView* m_sessionTree = nullptr;
    class SessionListModel* m_sessionModel = nullptr;
    QThread* m_storeThread = nullptr;
    QTextBrowser* m_conversation = nullptr;
    QPlainTextEdit* m_input = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_modelStatus = nullptr;
};

}  // namespace atelier::ui
