#include "records_worker.h"

#include <filesystem>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/session_store.h"
#include "atelier/engine/checkpoint_store.h"

namespace atelier::ui {
namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

RecordsWorker::RecordsWorker() {
    qRegisterMetaType<CheckpointRow>();
    qRegisterMetaType<QList<CheckpointRow>>();
    qRegisterMetaType<AuditRow>();
    qRegisterMetaType<QList<AuditRow>>();
}

RecordsWorker::~RecordsWorker() = default;

void RecordsWorker::open(const QString& dataDir, const QString& strategy, qint64 budgetBytes) {
    const agents::DataPaths paths{dataDir.toStdString()};
    m_dataDir = dataDir.toStdString();
    std::error_code ec;
    std::filesystem::create_directories(paths.kvCacheDir(), ec);
    engine::CheckpointPolicy policy;
    if (auto s = engine::parseWindowStrategy(strategy.toStdString())) policy.strategy = *s;
    if (budgetBytes > 0) policy.budgetBytes = budgetBytes;
    auto checkpoints = engine::CheckpointStore::open(paths.kvCacheDb(), policy);
    if (checkpoints) m_checkpoints = std::make_unique<engine::CheckpointStore>(std::move(*checkpoints));
    else emit failed(qs(checkpoints.error().message));
    auto audit = agents::AuditLog::open(paths.auditDb());
    if (audit) m_audit = std::make_unique<agents::AuditLog>(std::move(*audit));
    else emit failed(qs(audit.error().message));
}

void RecordsWorker::listCheckpoints() {
    if (!m_checkpoints) return;
    auto list = m_checkpoints->list();
    if (!list) return emit failed(qs(list.error().message));
    QList<CheckpointRow> rows;
    for (const auto& c : *list)
        rows.append({c.id, qs(c.name), qs(c.modelDescription), qs(std::string(engine::windowStrategyName(c.strategy))),
                     c.tokens, c.bytes, c.lastUsedMs, c.damaged});
    emit checkpointsLoaded(rows);
}

void RecordsWorker::deleteCheckpoint(qint64 id) {
    if (!m_checkpoints) return;
    if (auto r = m_checkpoints->remove(id); !r) emit failed(qs(r.error().message));
    listCheckpoints();
}

void RecordsWorker::renameCheckpoint(qint64 id, const QString& name) {
    if (!m_checkpoints) return;
    auto r = m_checkpoints->rename(id, name.trimmed().toStdString());
    if (!r) emit failed(tr("Cannot rename the checkpoint: %1").arg(qs(r.error().message)));
    listCheckpoints();
}

void RecordsWorker::loadAudit() {
    if (!m_audit) return;
    QList<AuditRow> rows;
    auto r = m_audit->forEach([&rows](const agents::AuditRecord& a) {
        rows.append({a.seq, qs(a.time), qs(a.kind), qs(a.actor), qs(a.payload.dump())});
    });
    if (!r) return emit failed(qs(r.error().message));
    emit auditLoaded(rows);
}

void RecordsWorker::verifyAudit() {
    if (!m_audit) return;
    // The heads that finished team runs recorded: a log cut back behind one fails too.
    std::vector<agents::AuditHeadClaim> claims;
    std::error_code ec;
    if (const auto db = agents::DataPaths{m_dataDir}.sessionsDb(); std::filesystem::exists(db, ec)) {
        auto store = agents::SessionStore::open(db);
        if (!store) return emit failed(qs(store.error().message));
        auto runs = store->auditedRuns();
        if (!runs) return emit failed(qs(runs.error().message));
        claims = agents::SessionStore::auditClaims(*runs);
    }
    auto v = m_audit->verify(claims);
    if (!v) return emit failed(qs(v.error().message));
    QString reason = qs(v->reason);
    if (v->brokenSeq) reason = tr("record %1: %2").arg(*v->brokenSeq).arg(reason);
    for (const auto& f : v->claimFailures) reason += (reason.isEmpty() ? "" : "\n") + qs(f.reason);
    emit auditVerified(v->ok() && v->claimFailures.empty(), v->records, reason);
}

}  // namespace atelier::ui
