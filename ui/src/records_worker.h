#pragma once
// RecordsWorker: owns the data folder's checkpoint store (kvcache/checkpoints.db) and audit log
// (audit.db) on the store thread, so the Checkpoints view and the audit view never wait on
// SQLite. Slots run on the worker thread; results come back as queued signals with values.

#include <QList>
#include <QObject>
#include <QString>
#include <memory>
#include <string>

#include "atelier/ui/record_models.h"

namespace atelier::engine {
class CheckpointStore;
}
namespace atelier::agents {
class AuditLog;
}

namespace atelier::ui {

class RecordsWorker : public QObject {
    Q_OBJECT
public:
    RecordsWorker();
    ~RecordsWorker() override;

public slots:
    // `strategy`: "full", "periodic" or "none"; `budgetBytes`: automatic checkpoints' disk budget.
    void open(const QString& dataDir, const QString& strategy, qint64 budgetBytes);
    void listCheckpoints();
    void deleteCheckpoint(qint64 id);
    void renameCheckpoint(qint64 id, const QString& name);
    void loadAudit();
    void verifyAudit();

signals:
    void checkpointsLoaded(const QList<atelier::ui::CheckpointRow>& rows);
    void auditLoaded(const QList<atelier::ui::AuditRow>& rows);
    void auditVerified(bool ok, qint64 records, const QString& reason);
    void failed(const QString& message);

private:
    std::unique_ptr<engine::CheckpointStore> m_checkpoints;  // worker thread only
    std::unique_ptr<agents::AuditLog> m_audit;               // worker thread only
    std::string m_dataDir;                                   // worker thread only
};

}  // namespace atelier::ui
