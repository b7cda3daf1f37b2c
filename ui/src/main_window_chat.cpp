// MainWindow's chat panels: the message area (the conversation's errors and warnings, above
// the message box), the Generation dock (the session's sampling settings), the context check
// before a send, and the per-session state that showing another conversation starts over.

#include <algorithm>

#include <QAbstractButton>
#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/message_area.h"
#include "atelier/ui/sampling_panel.h"

namespace atelier::ui {
namespace {

const QString kGenerationNote = QStringLiteral("generation");  // a failed answer or send
const QString kReplyNote = QStringLiteral("reply");            // an answer cut short

QString lastUserMessage(const QList<ChatTurn>& turns) {
    for (auto it = turns.rbegin(); it != turns.rend(); ++it)
        if (it->role == engine::ChatRole::User) return it->content;
    return {};
}

}  // namespace

void MainWindow::buildChatPanels() {
    QWidget* area = m_conversation->parentWidget();
    m_messages = new MessageArea(area);
    if (auto* layout = qobject_cast<QVBoxLayout*>(area->layout()))
        layout->insertWidget(layout->indexOf(m_conversation) + 1, m_messages);

    m_samplingPanel = new SamplingPanel(this);
    m_samplingPanel->setSettings(m_chat->sampling());
    m_samplingDock = new QDockWidget(tr("Generation"), this);
    m_samplingDock->setObjectName(QStringLiteral("samplingDock"));
    // Scrolls when the dock is small, so that the panel never sets the window's minimum size.
    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("samplingPanelScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(m_samplingPanel);
    m_samplingDock->setWidget(scroll);
    m_samplingDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                                QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, m_samplingDock);
    tabifyDockWidget(m_contextDock, m_samplingDock);
    m_contextDock->raise();
    for (QAction* a : menuBar()->actions())
        if (a->menu() && a->menu()->title() == tr("&View")) {
            a->menu()->insertAction(a->menu()->actions().value(5), m_samplingDock->toggleViewAction());
            break;
        }

    connect(m_samplingPanel, &SamplingPanel::settingsEdited, m_chat, &ChatController::setSampling);
    connect(m_chat, &ChatController::samplingChanged, m_samplingPanel, &SamplingPanel::setSettings);
    connect(m_chat, &ChatController::turnsChanged, this, &MainWindow::updateButtons);
    connect(m_chat, &ChatController::sessionChanged, this, &MainWindow::onSessionChanged);
    connect(m_chat, &ChatController::failed, this, [this](const QString& why) {
        m_messages->post(MessageArea::Severity::Error, kGenerationNote,
                         tr("The answer failed: %1").arg(why), lastUserMessage(m_chat->turns()));
    });
    // A send that failed before any answer: its question is not kept, it goes back to the box.
    connect(m_chat, &ChatController::sendFailed, this, [this](const QString& text, const QString& why) {
        if (m_input->toPlainText().trimmed().isEmpty()) m_input->setPlainText(text);
        m_messages->post(MessageArea::Severity::Error, kGenerationNote,
                         tr("Not sent: %1 — your message is back in the box.").arg(why), text);
    });
    connect(m_chat, &ChatController::finished, this, [this](const GenerationStats& s) {
        m_messages->clearKind(kGenerationNote);  // superseded by an answer that came
        m_messages->clearKind(kReplyNote);
        const QString about = lastUserMessage(m_chat->turns());
        if (s.finish == agents::TurnFinish::Length)
            m_messages->post(MessageArea::Severity::Warning, kReplyNote,
                             tr("The reply stopped at its limit of %1 tokens; raise Max tokens in the "
                                "Generation dock and Regenerate to let it finish.")
                                 .arg(m_chat->sampling().maxTokens), about);
        else if (s.finish == agents::TurnFinish::ContextFull)
            m_messages->post(MessageArea::Severity::Warning, kReplyNote,
                             tr("The reply stopped because the context of %1 tokens is full; start a "
                                "new session or remove attached documents.")
                                 .arg(m_bridge->contextLimit()), about);
    });
}

// Another conversation is shown: nothing of the one before stays — its notes, its token count
// and "Runs from" line, the edit in progress — and the buttons follow the new turns.
void MainWindow::onSessionChanged() {
    m_messages->clear();
    m_editing = false;
    QString text;
    for (const ChatTurn& t : m_chat->turns()) text += t.reasoning + t.content + QLatin1Char('\n');
    m_context->resetConversation(text.trimmed().isEmpty() ? QString() : text);
    updateButtons();
}

// Whether `text` fits in the context with what it already holds. When it does not, the user
// is asked first, with the choices that make it fit — send it without the attached documents,
// or in a new session — or to keep editing; the chosen send happens from the dialog.
bool MainWindow::sendFits(const QString& text, bool editing) {
    const qint64 limit = m_context->contextLimit();  // the gauge's: the loaded model's usable context
    if (limit <= 0) return true;
    const qint64 used = m_context->usedTokens();
    const qint64 message = m_context->estimateTokens(text);
    if (used + message <= limit) return true;
    const qint64 attached = m_context->attachments()->totalTokens();
    const qint64 conversation = std::max<qint64>(0, used - attached);
    auto* box = new QMessageBox(QMessageBox::Warning, tr("The message does not fit"),
                                tr("This message needs about %1 tokens, and %2 of the %3 tokens of the "
                                   "context are in use (%4 by attached documents, %5 by the "
                                   "conversation). Sent as it is, it would be refused.")
                                    .arg(message).arg(used).arg(limit).arg(attached).arg(conversation),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("contextOverflowBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton* drop = nullptr;
    QPushButton* fresh = nullptr;
    if (attached > 0) {
        drop = box->addButton(tr("Send without attachments"), QMessageBox::AcceptRole);
        drop->setObjectName(QStringLiteral("overflowDropAttachments"));
    }
    if (conversation > 0 || m_chat->sessionId() != 0) {
        fresh = box->addButton(tr("Send in a new session"), QMessageBox::AcceptRole);
        fresh->setObjectName(QStringLiteral("overflowNewSession"));
    }
    box->addButton(tr("Keep editing"), QMessageBox::RejectRole)->setObjectName(QStringLiteral("overflowCancel"));
    if (message > limit)
        box->setInformativeText(tr("The message alone is longer than the context: shorten it."));
    connect(box, &QMessageBox::buttonClicked, this, [this, drop, fresh, text, editing](QAbstractButton* b) {
        if ((b != drop && b != fresh) || !b || m_chat->isBusy() || !m_bridge->isLoaded()) return;
        if (b == drop) m_context->removeAllAttachments();
        if (b == fresh) m_chat->newSession();
        m_input->clear();
        if (editing && b == drop) m_chat->editLastUserMessage(text);
        else m_chat->send(text);
        m_editing = false;
    });
    box->open();
    return false;
}

}  // namespace atelier::ui
