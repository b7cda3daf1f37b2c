#pragma once
// RecordsWorker: owns the data folder's checkpoint store (kvcache/checkpoints.db) and audit log
// (audit.db) on the store thread, so the Checkpoints view and the audit view never wait on
// SQLite. Slots run on the worker thread; results come back as queued signals with values.

#include <QList>
#include <QObject>
#include <QString>
#include <memory>
#include <string>

#include "atelier/engine/checkpoint_store.h"
#include "atelier/ui/chat_turn.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/record_models.h"

namespace atelier::agents {
class AuditLog;
}

namespace atelier::ui {

class RecordsWorker : public QObject {
    Q_OBJECT
public:
    RecordsWorker();
    ~RecordsWorker() override;

    // "Save as checkpoint": prefills `messages` (the chat's own prompt: the session's system
    // prompt and attachments, then the turns) with the loaded model itself (runWithModel: no
    // second copy of the weights) and stores it under `name`, as `atelier-cli kv save` does.
    // Runs on a pool thread with its own store connection (the sessions on this thread never
    // wait for it); checkpointSaved or failed follow.
    // Not a slot: the window calls it through a queued functor.
    void saveCheckpoint(const atelier::ui::LoadedModel& model, const QString& name,
                        const std::vector<engine::ChatMessage>& messages);

public slots:
    // `strategy`: "full", "periodic" or "none"; `budgetBytes`: automatic checkpoints' disk budget.
    void open(const QString& dataDir, const QString& strategy, qint64 budgetBytes);
    void listCheckpoints();
    void deleteCheckpoint(qint64 id);
    void renameCheckpoint(qint64 id, const QString& name);
    // Appends a GUI event to the audit trail (kind: auditKindName, payload: a JSON object's
    // text), then reloads the rows.
    void record(const QString& kind, const QString& actor, const QString& payloadJson);
    void loadAudit();
    void verifyAudit();

signals:
    void checkpointsLoaded(const QList<atelier::ui::CheckpointRow>& rows);
    void auditLoaded(const QList<atelier::ui::AuditRow>& rows);
    void auditVerified(bool ok, qint64 records, const QString& reason);
    void failed(const QString& message);
    void checkpointSaved(const QString& name, qint64 tokens);

private:
    std::unique_ptr<engine::CheckpointStore> m_checkpoints;  // worker thread only
    std::unique_ptr<agents::AuditLog> m_audit;               // worker thread only
    std::string m_dataDir;                                   // worker thread only
    engine::CheckpointPolicy m_policy;                       // worker thread only
};

}  // namespace atelier::ui
