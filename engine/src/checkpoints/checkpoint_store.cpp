#include "atelier/engine/checkpoint_store.h"

#include <chrono>
#include <cstring>

#include "atelier/engine/blob_chunks.h"
#include "atelier/base/log.h"
#include "checkpoints/checkpoint_schema.h"
#include "checkpoints/kv_parts.h"

namespace atelier::engine {
namespace {

using ckpt::kChunkTable;

std::int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::span<const std::byte> tokenBytes(std::span<const std::int32_t> tokens) {
    return std::as_bytes(tokens);
}

// The window states `strategy` keeps, from `sequence` itself and the caller's forks.
std::vector<const KvCache*> statesToKeep(const CheckpointPolicy& policy, const KvCache& sequence,
                                         std::span<const KvCache> forks) {
    std::vector<const KvCache*> keep;
    if (policy.strategy == WindowStrategy::Full) keep.push_back(&sequence);
    if (policy.strategy != WindowStrategy::Periodic) return keep;
    const std::int64_t p = std::max<std::int64_t>(1, policy.period);
    for (const KvCache& f : forks)
        if (f.length() > 0 && f.length() % p == 0 && f.length() < sequence.length() &&
            (keep.empty() || keep.back()->length() < f.length()))
            keep.push_back(&f);
    if (sequence.length() % p == 0) keep.push_back(&sequence);
    return keep;
}

}  // namespace

std::string_view windowStrategyName(WindowStrategy s) {
    switch (s) {
    case WindowStrategy::Full: return "full";
    case WindowStrategy::Periodic: return "periodic";
    case WindowStrategy::None: return "none";
    }
    return "unknown";
}

std::optional<WindowStrategy> parseWindowStrategy(std::string_view name) {
    for (auto s : {WindowStrategy::Full, WindowStrategy::Periodic, WindowStrategy::None})
        if (windowStrategyName(s) == name) return s;
    return std::nullopt;
}

const base::Schema& CheckpointStore::schema() { return ckpt::checkpointSchema(); }

Result<CheckpointStore> CheckpointStore::open(const std::filesystem::path& path, CheckpointPolicy policy) {
    auto db = base::openMigrated(path, ckpt::checkpointSchema());
    if (!db) return unexpected(std::move(db.error()));
    return CheckpointStore(std::move(*db), policy);
}

Result<std::int64_t> CheckpointStore::save(const ModelFingerprint& model, const KvCache& sequence,
                                           std::span<const KvCache> windowStates, const std::string& name) {
    if (sequence.length() == 0) return unexpected(Error::badInput("an empty sequence makes no KV checkpoint"));
    const auto keep = statesToKeep(m_policy, sequence, windowStates);
    const auto blob = ckpt::encodeParts(sequence, keep);
    const auto tokens = tokenBytes(sequence.tokens());
    {
        auto tx = base::Transaction::begin(m_db);
        if (!tx) return unexpected(std::move(tx.error()));
        if (!name.empty()) {
            auto old = m_db.prepare("SELECT id FROM checkpoints WHERE name = ?");
            if (!old) return unexpected(std::move(old.error()));
            ATELIER_TRY_VOID(old->bindAll(name));
            auto row = old->step();
            if (!row) return unexpected(std::move(row.error()));
            if (*row) {
                const std::int64_t oldId = old->columnInt(0);
                old->reset();
                ATELIER_TRY_VOID(remove(oldId));
            }
        }
        auto ins = m_db.prepare(
            "INSERT INTO checkpoints (name, fingerprint, model_description, strategy, window_states,"
            " token_count, tokens, tokens_crc, bytes, created_at_ms, last_used_ms, use_seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " (SELECT COALESCE(MAX(use_seq), 0) + 1 FROM checkpoints))");
        if (!ins) return unexpected(std::move(ins.error()));
        const std::int64_t now = nowMs();
        ATELIER_TRY_VOID(ins->bindAll(name.empty() ? std::optional<std::string>() : std::optional(name),
                                      model.id, model.description, int(m_policy.strategy),
                                      std::int64_t(keep.size()), sequence.length(), tokens,
                                      std::int64_t(crc32(tokens)),
                                      std::int64_t(blob.size() + tokens.size()), now, now));
        ATELIER_TRY_VOID(ins->run());
        const std::int64_t id = m_db.lastInsertRowId();
        BlobChunkWriter writer(m_db, kChunkTable, id);
        ATELIER_TRY_VOID(writer.append(blob));
        auto written = writer.finish();
        if (!written) return unexpected(std::move(written.error()));
        ATELIER_TRY_VOID(tx->commit());
        logger("engine")->debug("saved KV checkpoint {} ({} tokens, {} bytes, {})", id,
                                sequence.length(), blob.size(), windowStrategyName(m_policy.strategy));
        auto evicted = evict();
        if (!evicted) logger("engine")->warn("checkpoint eviction failed: {}", evicted.error().message);
        return id;
    }
}

Result<void> CheckpointStore::evict() {
    auto tx = base::Transaction::begin(m_db);
    if (!tx) return unexpected(std::move(tx.error()));
    auto total = totalBytes();
    if (!total) return unexpected(std::move(total.error()));
    std::int64_t bytes = *total;
    while (bytes > m_policy.budgetBytes) {
        auto stmt = m_db.prepare("SELECT id, bytes FROM checkpoints WHERE name IS NULL"
                                 " ORDER BY damaged DESC, use_seq ASC LIMIT 1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) break;  // only named checkpoints left: they are never evicted
        const std::int64_t id = stmt->columnInt(0);
        bytes -= stmt->columnInt(1);
        stmt = base::Statement();
        ATELIER_TRY_VOID(remove(id));
        logger("engine")->debug("evicted KV checkpoint {} (budget {} bytes)", id, m_policy.budgetBytes);
    }
    return tx->commit();
}

Result<std::int64_t> CheckpointStore::totalBytes() {
    return m_db.queryInt("SELECT COALESCE(SUM(bytes), 0) FROM checkpoints");
}

Result<void> CheckpointStore::remove(std::int64_t id) {
    // The row and its chunks go together: inside the caller's transaction, or our own.
    if (!m_db.inTransaction()) {
        auto tx = base::Transaction::begin(m_db);
        if (!tx) return unexpected(std::move(tx.error()));
        ATELIER_TRY_VOID(remove(id));
        return tx->commit();
    }
    auto del = m_db.prepare("DELETE FROM checkpoints WHERE id = ?");
    if (!del) return unexpected(std::move(del.error()));
    ATELIER_TRY_VOID(del->bindAll(id));
    ATELIER_TRY_VOID(del->run());
    if (m_db.changes() == 0)
        return unexpected(Error::notFound("no KV checkpoint with id " + std::to_string(id)));
    auto chunks = deleteBlobChunks(m_db, kChunkTable, id);
    if (!chunks) return unexpected(std::move(chunks.error()));
    return {};
}

Result<void> CheckpointStore::rename(std::int64_t id, const std::string& name) {
    if (!name.empty()) {
        auto other = m_db.prepare("SELECT id FROM checkpoints WHERE name = ? AND id != ?");
        if (!other) return unexpected(std::move(other.error()));
        ATELIER_TRY_VOID(other->bindAll(name, id));
        auto row = other->step();
        if (!row) return unexpected(std::move(row.error()));
        if (*row)
            return unexpected(Error::badInput("the name '" + name + "' is already KV checkpoint " +
                                              std::to_string(other->columnInt(0)) + "'s"));
    }
    auto upd = m_db.prepare("UPDATE checkpoints SET name = ? WHERE id = ?");
    if (!upd) return unexpected(std::move(upd.error()));
    ATELIER_TRY_VOID(upd->bindAll(name.empty() ? std::optional<std::string>() : std::optional(name), id));
    ATELIER_TRY_VOID(upd->run());
    if (m_db.changes() == 0)
        return unexpected(Error::notFound("no KV checkpoint with id " + std::to_string(id)));
    return {};
}

Result<std::vector<std::byte>> CheckpointStore::readBlob(std::int64_t id) {
    std::vector<std::byte> out;
    auto n = readBlobChunks(m_db, kChunkTable, id, [&](std::span<const std::byte> chunk) -> Result<void> {
        out.insert(out.end(), chunk.begin(), chunk.end());
        return {};
    });
    if (!n) return unexpected(std::move(n.error()));
    return out;
}

Result<void> CheckpointStore::markDamaged(std::int64_t id, const Error& why) {
    auto stmt = m_db.prepare("UPDATE checkpoints SET damaged = 1 WHERE id = ? AND damaged = 0");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(id));
    ATELIER_TRY_VOID(stmt->run());
    // Reported once: later reads see the flag and skip the row silently.
    if (m_db.changes() > 0)
        logger("engine")->warn("KV checkpoint {} in {} is damaged and will be recomputed: {}", id,
                               m_db.path().string(), why.message);
    return {};
}

Result<void> CheckpointStore::touch(std::int64_t id) {
    auto stmt = m_db.prepare("UPDATE checkpoints SET last_used_ms = ?,"
                             " use_seq = (SELECT MAX(use_seq) + 1 FROM checkpoints) WHERE id = ?");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(nowMs(), id));
    return stmt->run();
}

Result<std::vector<std::int32_t>> CheckpointStore::tokensOf(std::int64_t id) {
    auto stmt = m_db.prepare("SELECT tokens, tokens_crc, token_count FROM checkpoints WHERE id = ?");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(id));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    if (!*row) return unexpected(Error::notFound("no KV checkpoint with id " + std::to_string(id)));
    const auto blob = stmt->columnBlob(0);
    if (std::int64_t(crc32(blob)) != stmt->columnInt(1) ||
        std::int64_t(blob.size()) != 4 * stmt->columnInt(2)) {
        stmt = base::Statement();
        const Error e = Error::badInput("KV checkpoint " + std::to_string(id) + " in " +
                                        m_db.path().string() + ": token prefix fails its checksum");
        ATELIER_TRY_VOID(markDamaged(id, e));
        return unexpected(e);
    }
    std::vector<std::int32_t> tokens(blob.size() / 4);
    if (!blob.empty()) std::memcpy(tokens.data(), blob.data(), blob.size());
    return tokens;
}

}  // namespace atelier::engine
