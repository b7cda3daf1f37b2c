// MainWindow's local server: Tools → Local Server opens the ServerPanel in a window of its own
// (not modal: the server keeps running while it is closed), and the status bar shows the
// server's address or its last error.
#include <QDialog>
#include <QLabel>
#include <QStatusBar>
#include <QVBoxLayout>

#include "atelier/ui/main_window.h"
#include "atelier/ui/server_panel.h"

namespace atelier::ui {

void MainWindow::buildServer() {
    m_serverDialog = new QDialog(this);
    m_serverDialog->setObjectName(QStringLiteral("serverDialog"));
    m_serverDialog->setWindowTitle(tr("Local server"));
    auto* layout = new QVBoxLayout(m_serverDialog);
    m_serverPanel = new ServerPanel(m_bridge, m_serverDialog);
    layout->addWidget(m_serverPanel);
    m_serverStatus = new QLabel(this);
    m_serverStatus->setObjectName(QStringLiteral("serverStatusBar"));
    m_serverStatus->hide();
    statusBar()->addPermanentWidget(m_serverStatus);
    connect(m_serverPanel, &ServerPanel::statusChanged, this, [this](const QString& text) {
        m_serverStatus->setText(text);
        m_serverStatus->setVisible(!text.isEmpty());
    });
}

void MainWindow::showServer() {
    m_serverDialog->show();
    m_serverDialog->raise();
    m_serverDialog->activateWindow();
}

}  // namespace atelier::ui
