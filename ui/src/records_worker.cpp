#include "records_worker.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <filesystem>
#include <optional>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/agents/session_store.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/model.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::ui {
namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }

struct SavedCheckpoint {
    QString name;
    qint64 tokens = 0;
    QString error;
};

// Pool thread: what `atelier-cli kv save` does, with the chat's own prompt and the loaded
// model (its prefill runs on the model's scheduler thread, between the chat's steps).
SavedCheckpoint prefillAndSave(const std::string& kvDb, engine::CheckpointPolicy policy, const LoadedModel& model,
                               const QString& name, const std::vector<engine::ChatMessage>& messages) {
    const auto fail = [&name](const std::string& why) { return SavedCheckpoint{name, 0, qs(why)}; };
    if (!model.service || !model.tokenizer || !model.fingerprint)
        return fail("checkpoints need a local model (this one runs on a remote endpoint)");
    if (messages.empty()) return fail("the context is empty: attach a document or chat first");
    auto ids = engine::encodeChatTokens(*model.tokenizer, messages, engine::ChatEncodeOptions{});
    if (!ids) return fail(ids.error().message);
    if (std::int64_t(ids->size()) >= model.service->contextLimit())
        return fail("the context is " + std::to_string(ids->size()) + " tokens; the loaded model holds " +
                    std::to_string(model.service->contextLimit()));
    auto store = engine::CheckpointStore::open(kvDb, policy);
    if (!store) return fail(store.error().message);
    // The prefill needs the model (the chat waits between its steps); the write to disk does not,
    // and runs here, with the chat going on.
    std::optional<engine::KvCache> seq;
    Result<std::vector<engine::KvCache>> states = Error::internal("not prefilled");
    auto ran = model.service->runWithModel([&](engine::Model& m) {
        seq.emplace(m.newSequence());
        std::vector<float> logits;
        states = engine::prefillForCheckpoint(m, *seq, *ids, policy, logits);
    });
    if (!ran) return fail(ran.error().message);
    if (!states) return fail(states.error().message);
    if (auto id = store->save(*model.fingerprint, *seq, *states, name.toStdString()); !id)
        return fail(id.error().message);
    return {name, qint64(ids->size()), {}};
}
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
    m_policy = policy;
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

void RecordsWorker::saveCheckpoint(const LoadedModel& model, const QString& name,
                                   const std::vector<engine::ChatMessage>& messages) {
    if (m_dataDir.empty()) return emit failed(tr("No data folder for checkpoints"));
    if (name.trimmed().isEmpty()) return emit failed(tr("A checkpoint needs a name"));
    const std::string kvDb = agents::DataPaths{m_dataDir}.kvCacheDb().string();
    auto* watcher = new QFutureWatcher<SavedCheckpoint>(this);
    connect(watcher, &QFutureWatcher<SavedCheckpoint>::finished, this, [this, watcher] {
        const SavedCheckpoint r = watcher->result();
        watcher->deleteLater();
        if (!r.error.isEmpty()) return emit failed(tr("Cannot save checkpoint “%1”: %2").arg(r.name, r.error));
        emit checkpointSaved(r.name, r.tokens);
        listCheckpoints();
    });
    watcher->setFuture(QtConcurrent::run(prefillAndSave, kvDb, m_policy, model, name.trimmed(), messages));
}

void RecordsWorker::record(const QString& kind, const QString& actor, const QString& payloadJson) {
    if (!m_audit) return;
    const auto k = agents::auditKindFromName(kind.toStdString());
    if (!k) return emit failed(tr("Unknown activity kind %1").arg(kind));
    const auto payload = nlohmann::json::parse(payloadJson.toStdString(), nullptr, false);
    if (payload.is_discarded()) return emit failed(tr("Activity %1: the details are not JSON").arg(kind));
    if (auto r = m_audit->append(*k, actor.toStdString(), payload); !r) return emit failed(qs(r.error().message));
    loadAudit();
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
