// MainWindow's records: "Save as checkpoint" for the current context, and the Activity panel
// kept live — the window's own events (model loads, attachments, chats and their tool calls)
// go to the audit trail, and team runs' records are reloaded as their events arrive.
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QStatusBar>
#include <QThread>
#include <QTimer>

#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/record_views.h"
#include "atelier/ui/settings_dialog.h"
#include "atelier/ui/team_controller.h"
#include "records_worker.h"

namespace atelier::ui {
namespace {
QString json(const QJsonObject& o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }
}  // namespace

void MainWindow::buildRecordActions() {
    connect(m_checkpoints, &CheckpointsDialog::saveCurrentRequested, this, &MainWindow::promptSaveCheckpoint);
    connect(m_records, &RecordsWorker::checkpointSaved, this, [this](const QString& name, qint64 tokens) {
        statusBar()->showMessage(tr("Checkpoint “%1” saved (%2 tokens)").arg(name).arg(tokens), 5000);
    });

    // Team runs write the audit trail through their own connection: reload it as they go.
    m_auditRefresh = new QTimer(this);
    m_auditRefresh->setSingleShot(true);
    m_auditRefresh->setInterval(250);
    connect(m_auditRefresh, &QTimer::timeout, m_records, &RecordsWorker::loadAudit);
    const auto soon = [this] {
        if (!m_auditRefresh->isActive()) m_auditRefresh->start();
    };
    connect(m_teamController, &TeamController::eventApplied, this, soon);
    connect(m_teamController, &TeamController::teamStarted, this, soon);
    connect(m_teamController, &TeamController::finished, this, soon);
    connect(m_teamController, &TeamController::failed, this, soon);

    // The window's own events.
    connect(m_bridge, &EngineBridge::loaded, this, [this](const ModelSummary& s) {
        recordActivity(QStringLiteral("model_load"),
                       json({{QStringLiteral("model"), s.displayName()}, {QStringLiteral("path"), s.path}}));
    });
    connect(m_context->attachments(), &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& first, const QModelIndex& last) {
                for (int row = first.row(); row <= last.row(); ++row) {
                    const Attachment& a = m_context->attachments()->attachments().value(row);
                    if (a.tokens < 0) continue;  // still reading
                    QJsonObject o{{QStringLiteral("path"), a.path}, {QStringLiteral("attached"), true}};
                    if (a.error.isEmpty()) o.insert(QStringLiteral("tokens"), a.tokens);
                    else o.insert(QStringLiteral("error"), a.error);
                    recordActivity(QStringLiteral("file_read"), json(o));
                }
            });
    connect(m_chat, &ChatController::finished, this, [this](const GenerationStats& stats) {
        const auto& turns = m_chat->turns();
        QString asked;
        for (auto it = turns.rbegin(); it != turns.rend() && asked.isEmpty(); ++it)
            if (it->role == engine::ChatRole::User) asked = it->content;
        recordActivity(QStringLiteral("prompt"),
                       json({{QStringLiteral("text"), asked},
                             {QStringLiteral("prompt_tokens"), qint64(stats.promptTokens)},
                             {QStringLiteral("completion_tokens"), qint64(stats.completionTokens)},
                             {QStringLiteral("finish"), stats.finishName()}}));
        if (turns.isEmpty() || turns.last().role != engine::ChatRole::Assistant) return;
        for (const ToolCallView& call : turns.last().toolCalls) {
            const QJsonDocument args = QJsonDocument::fromJson(call.arguments.toUtf8());
            recordActivity(QStringLiteral("tool_call"),
                           json({{QStringLiteral("tool"), call.name},
                                 {QStringLiteral("args"), args.isObject() ? QJsonValue(args.object())
                                                                          : QJsonValue(call.arguments)}}));
        }
    });
}

void MainWindow::recordActivity(const QString& kind, const QString& payloadJson) {
    if (!m_records) return;
    QMetaObject::invokeMethod(m_records, "record", Qt::QueuedConnection, Q_ARG(QString, kind),
                              Q_ARG(QString, QStringLiteral("user")), Q_ARG(QString, payloadJson));
}

void MainWindow::promptSaveCheckpoint() {
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Save as checkpoint"),
                                               tr("Name for the current context's checkpoint:"), QLineEdit::Normal,
                                               m_chat->turns().isEmpty() ? QString() : m_chat->turns().first().content.left(40),
                                               &ok);
    if (ok) saveCheckpointAs(name);
}

void MainWindow::saveCheckpointAs(const QString& name) {
    if (!m_records) return statusBar()->showMessage(tr("Checkpoints need a data folder"), 5000);
    if (!m_bridge->isLoaded()) return statusBar()->showMessage(tr("Load a model before saving a checkpoint"), 5000);
    if (!m_bridge->loadedModel().service)
        return statusBar()->showMessage(tr("Checkpoints need a local model; this one runs on a remote endpoint"), 5000);
    if (name.trimmed().isEmpty()) return statusBar()->showMessage(tr("A checkpoint needs a name"), 5000);
    statusBar()->showMessage(tr("Saving checkpoint “%1”: prefilling the context…").arg(name.trimmed()));
    // The prompt the chat sends (system prompt, attachments, turns), prefilled by the loaded
    // model itself.
    QMetaObject::invokeMethod(
        m_records,
        [records = m_records, model = m_bridge->loadedModel(), name = name.trimmed(), messages = m_chat->chatMessages()] {
            records->saveCheckpoint(model, name, messages);
        },
        Qt::QueuedConnection);
}

}  // namespace atelier::ui
