// MainWindow's actions: opening and loading models, the demo model, sending, export, themes.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QPalette>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QLabel>
#include <QStyle>

#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/settings_dialog.h"
#include "welcome_panel.h"

namespace atelier::ui {

namespace {
const QString kRecentKey = QStringLiteral("models/recent");
const QString kLastContextKey = QStringLiteral("models/lastContext");  // of the last model that loaded
constexpr int kMaxRecent = 8;
}  // namespace

void MainWindow::wireEngine() {
    connect(m_bridge, &EngineBridge::inspected, this, &MainWindow::onInspected);
    connect(m_bridge, &EngineBridge::inspectFailed, this, [this](const QString& path, const QString& why) {
        m_welcome->setStatus(tr("Cannot open %1: %2").arg(path, why));
        statusBar()->showMessage(tr("Cannot open the model: %1").arg(why));
    });
    connect(m_bridge, &EngineBridge::loadProgress, this, [this](int percent, const QString& stage) {
        m_loadProgress->show();
        m_loadProgress->setValue(percent);
        m_loadProgress->setFormat(QStringLiteral("%1 %p%").arg(stage));
        m_welcome->setStatus(stage);
    });
    connect(m_bridge, &EngineBridge::loaded, this, &MainWindow::onLoaded);
    connect(m_bridge, &EngineBridge::loadFailed, this, [this](const QString& why) {
        m_loadProgress->hide();
        m_welcome->setBusy(false);
        m_welcome->setStatus(tr("Loading failed: %1").arg(why));
        // A failed load keeps the model that was loaded (EngineBridge::load).
        if (!m_bridge->isLoaded()) m_modelStatus->setText(tr("No model loaded"));
        statusBar()->showMessage(m_bridge->isLoaded()
                                     ? tr("Loading failed: %1 — still using %2").arg(why, m_bridge->model().displayName())
                                     : tr("Loading failed: %1").arg(why));
        updateButtons();
    });
    connect(m_bridge, &EngineBridge::demoCreated, this, [this](const QString& path) {
        m_welcome->setStatus(tr("Demo model written to %1; loading…").arg(path));
        LoadSettings settings;
        settings.contextTokens = 8192;
        settings.threads = AppSettings::load().threads;
        settings.backend = AppSettings::load().backend;
        m_bridge->load(path, settings);
    });
    connect(m_bridge, &EngineBridge::demoFailed, this, [this](const QString& why) {
        m_welcome->setBusy(false);
        m_welcome->setStatus(tr("Cannot create the demo model: %1").arg(why));
    });
    connect(m_chat, &ChatController::turnsChanged, this, [this] { m_conversation->setTurns(m_chat->turns()); });
    connect(m_chat, &ChatController::busyChanged, this, [this](bool) { updateButtons(); });
    connect(m_chat, &ChatController::busyChanged, m_context, &ContextPanel::onBusy);
    connect(m_chat, &ChatController::prefillProgress, m_context, &ContextPanel::onPrefill);
    connect(m_chat, &ChatController::finished, this, &MainWindow::onFinished);
    connect(m_chat, &ChatController::finished, m_context, &ContextPanel::onFinished);
    // Failures go to the message area (buildChatPanels), not the status bar.
    connect(m_context, &ContextPanel::cancelRequested, m_chat, &ChatController::stop);
    connect(m_context, &ContextPanel::contextTextChanged, m_chat, &ChatController::setContextText);
    connect(m_conversation, &ConversationView::codeCopied, this,
            [this] { statusBar()->showMessage(tr("Code copied"), 2000); });
}

void MainWindow::showOpenModel() {
    const QString start = recentModels().value(0, QDir::homePath());
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a model: a Hugging Face folder's config.json or a GGUF file"),
        QFileInfo(start).absolutePath(), tr("DeepSeek V4 models (config.json *.gguf)"));
    if (!path.isEmpty()) openModelPath(path);
}

void MainWindow::openModelPath(const QString& path) {
    statusBar()->showMessage(tr("Reading %1…").arg(path));
    m_bridge->inspect(path);
}

void MainWindow::onInspected(const ModelSummary& summary) {
    statusBar()->clearMessage();
    if (m_modelDialog) m_modelDialog->deleteLater();
    m_modelDialog = new ModelDialog(summary, availableMemoryBytes(), this);
    if (const int threads = AppSettings::load().threads; threads > 0) m_modelDialog->setThreads(threads);
    m_modelDialog->requestPlan(m_bridge, m_dataDir);  // model plan's numbers, off the GUI thread
    connect(m_modelDialog, &QDialog::accepted, this, [this, d = m_modelDialog] {
        m_welcome->setBusy(true);
        m_bridge->load(d->summary().path, d->settings());
        updateButtons();
    });
    connect(m_modelDialog, &QDialog::finished, this, [this, d = m_modelDialog] {
        if (m_modelDialog == d) m_modelDialog = nullptr;
        d->deleteLater();
    });
    m_modelDialog->open();
}

QString MainWindow::lastDemoPreset() {
    return QSettings().value(QStringLiteral("models/demoPreset"), QStringLiteral("tiny")).toString();
}

void MainWindow::showDemoPreset(const QString& preset) {
    m_welcome->setPreset(preset);
    for (QAction* a : m_demoMenu->actions()) a->setChecked(a->data().toString() == preset);
}

void MainWindow::createDemoModel(const QString& preset) {
    QSettings().setValue(QStringLiteral("models/demoPreset"), preset);  // offered first next time
    showDemoPreset(preset);
    QString base = m_dataDir;
    if (base.isEmpty()) base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    const QString dir = QDir(base).filePath(QStringLiteral("models/demo-%1").arg(preset));
    m_welcome->setBusy(true);
    if (QFileInfo::exists(QDir(dir).filePath(QString::fromLatin1(kDemoMarkerFile)))) {
        emit m_bridge->demoCreated(dir);  // written before: load it again
        return;
    }
    QDir().mkpath(QFileInfo(dir).absolutePath());
    m_welcome->setStatus(tr("Writing a %1 demo model with random weights…").arg(preset));
    m_bridge->createDemo(preset, dir);
}

void MainWindow::reloadLastModel() {
    const AppSettings app = AppSettings::load();
    if (!app.reloadLastModel || m_bridge->isLoaded()) return;
    const QString path = recentModels().value(0);
    if (path.isEmpty() || !QFileInfo::exists(path) || RemoteSettings::loadFor(path).enabled) return;
    LoadSettings settings;
    settings.contextTokens = QSettings().value(kLastContextKey, 8192).toLongLong();
    settings.threads = app.threads;
    settings.backend = app.backend;
    m_welcome->setBusy(true);
    m_welcome->setStatus(tr("Loading the last model, %1…").arg(path));
    m_bridge->load(path, settings);
}

void MainWindow::onLoaded(const ModelSummary& summary) {
    rememberModel(summary.path);  // only a load that succeeded enters Recent Models
    QSettings().setValue(kLastContextKey, m_bridge->contextLimit());
    m_loadProgress->hide();
    m_welcome->setBusy(false);
    m_modelStatus->setText(summary.displayName());
    m_modelStatus->setToolTip(summary.path);
    m_conversation->setModelLabel(summary.displayName());
    m_context->setContextLimit(m_bridge->contextLimit());
    m_pages->setCurrentIndex(1);
    statusBar()->showMessage(tr("Model loaded: %1").arg(summary.displayName()), 5000);
    updateButtons();
}

void MainWindow::onFinished(const GenerationStats& s) {
    QString text = tr("%1 tok/s").arg(s.decodeTokPerS, 0, 'f', 1);
    if (s.firstTokenMs >= 0) text += tr(" · first token %1 ms").arg(s.firstTokenMs, 0, 'f', 0);
    text += tr(" · %1 tokens (%2)").arg(s.completionTokens).arg(s.finishName());
    m_speedStatus->setText(text);
}

void MainWindow::sendInput() {
    const QString text = m_input->toPlainText();
    if (text.trimmed().isEmpty() || !m_bridge->isLoaded() || m_chat->isBusy()) return;
    if (!sendFits(text, m_editing)) return;  // asks first (main_window_chat.cpp)
    m_input->clear();
    if (m_editing) m_chat->editLastUserMessage(text);
    else m_chat->send(text);
    m_editing = false;
}

void MainWindow::editLastMessage() {
    const auto& turns = m_chat->turns();
    for (auto it = turns.rbegin(); it != turns.rend(); ++it) {
        if (it->role != engine::ChatRole::User) continue;
        m_input->setPlainText(it->content);
        m_input->setFocus();
        m_editing = true;
        statusBar()->showMessage(tr("Editing your last message: Send replaces it and regenerates"), 5000);
        return;
    }
}

void MainWindow::exportSession() {
    if (m_chat->sessionId() == 0) {
        statusBar()->showMessage(tr("Nothing to export yet"), 3000);
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export session"), QDir::homePath(),
                                                      tr("Markdown (*.md);;JSON (*.json)"));
    if (!path.isEmpty()) emit exportRequested(m_chat->sessionId(), path);
}

void MainWindow::updateButtons() {
    const bool ready = m_bridge->isLoaded();
    const bool busy = m_chat->isBusy();
    m_send->setEnabled(ready && !busy);
    m_send->setToolTip(ready ? tr("Send (Ctrl+Enter)") : tr("Open a model first"));
    m_stop->setEnabled(busy);
    // Both need a user message of this session (not just any turn, nor a stale one).
    m_regenerate->setEnabled(ready && m_chat->canRegenerate());
    m_edit->setEnabled(ready && m_chat->canRegenerate());
}

QStringList MainWindow::recentModels() { return QSettings().value(kRecentKey).toStringList(); }

void MainWindow::rememberModel(const QString& path) {
    QStringList recent = recentModels();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    QSettings().setValue(kRecentKey, recent);
    refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = recentModels();
    for (const QString& path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openModelPath(path); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::setDarkTheme(bool dark) {
    QSettings().setValue(QStringLiteral("ui/dark"), dark);
    QPalette p = QApplication::style()->standardPalette();
    if (dark) {
        p.setColor(QPalette::Window, QColor(37, 37, 40));
        p.setColor(QPalette::WindowText, QColor(220, 220, 220));
        p.setColor(QPalette::Base, QColor(28, 28, 30));
        p.setColor(QPalette::AlternateBase, QColor(48, 48, 52));
        p.setColor(QPalette::Text, QColor(220, 220, 220));
        p.setColor(QPalette::Button, QColor(45, 45, 48));
        p.setColor(QPalette::ButtonText, QColor(220, 220, 220));
        p.setColor(QPalette::Highlight, QColor(61, 122, 200));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::ToolTipBase, QColor(48, 48, 52));
        p.setColor(QPalette::ToolTipText, QColor(220, 220, 220));
        p.setColor(QPalette::Link, QColor(110, 170, 255));
        p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
        p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
    }
    QApplication::setPalette(p);
    if (auto* action = findChild<QAction*>(QStringLiteral("darkThemeAction")); action && action->isChecked() != dark)
        action->setChecked(dark);
    m_conversation->setTurns(m_chat->turns(), true);  // re-shade the code blocks
}

}  // namespace atelier::ui
