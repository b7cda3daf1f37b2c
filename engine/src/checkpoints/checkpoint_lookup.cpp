// CheckpointStore's read side: lookup by verified prefix, named restore, listing, verify.

#include <algorithm>

#include "atelier/engine/blob_chunks.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/base/log.h"
#include "checkpoints/checkpoint_schema.h"
#include "checkpoints/kv_parts.h"

namespace atelier::engine {
namespace {

constexpr const char* kInfoColumns =
    "SELECT id, COALESCE(name, ''), fingerprint, model_description, strategy, token_count, bytes,"
    " window_states, created_at_ms, last_used_ms, damaged FROM checkpoints";

CheckpointInfo infoFromRow(const base::Statement& s) {
    CheckpointInfo i;
    i.id = s.columnInt(0);
    i.name = s.columnText(1);
    i.fingerprint = s.columnText(2);
    i.modelDescription = s.columnText(3);
    i.strategy = WindowStrategy(s.columnInt(4));
    i.tokens = s.columnInt(5);
    i.bytes = s.columnInt(6);
    i.windowStates = s.columnInt(7);
    i.createdAtMs = s.columnInt(8);
    i.lastUsedMs = s.columnInt(9);
    i.damaged = s.columnInt(10) != 0;
    return i;
}

std::int64_t commonPrefix(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
    const auto n = std::min(a.size(), b.size());
    return std::int64_t(std::mismatch(a.begin(), a.begin() + std::ptrdiff_t(n), b.begin()).first - a.begin());
}

// The first column of every row of `sql` (ids), read to the end before the caller touches
// other rows.
template <typename... Args>
Result<std::vector<std::int64_t>> selectIds(base::Database& db, std::string_view sql, const Args&... args) {
    auto stmt = db.prepare(sql);
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(args...));
    std::vector<std::int64_t> ids;
    for (;;) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) return ids;
        ids.push_back(stmt->columnInt(0));
    }
}

}  // namespace

Result<CheckpointHit> CheckpointStore::restoreRow(std::int64_t id, const KvCache& shape,
                                                  std::span<const std::int32_t> tokens, std::int64_t hit) {
    auto blob = readBlob(id);
    Result<ckpt::DecodedParts> parts = blob ? ckpt::decodeParts(*blob, shape)
                                            : Result<ckpt::DecodedParts>(unexpected(std::move(blob.error())));
    if (!parts) {
        ATELIER_TRY_VOID(markDamaged(id, parts.error()));
        return unexpected(std::move(parts.error()));
    }
    CheckpointHit out{id, hit, ckpt::restoreParts(*parts, shape, tokens, hit)};
    ATELIER_TRY_VOID(touch(id));
    return out;
}

Result<std::optional<CheckpointHit>> CheckpointStore::lookup(const ModelFingerprint& model, const KvCache& shape,
                                                             std::span<const std::int32_t> tokens) {
    struct Candidate { std::int64_t id, match; };
    std::vector<Candidate> candidates;
    auto ids = selectIds(m_db, "SELECT id FROM checkpoints WHERE fingerprint = ? AND damaged = 0", model.id);
    if (!ids) return unexpected(std::move(ids.error()));
    for (std::int64_t id : *ids) {
        auto stored = tokensOf(id);  // a damaged prefix is flagged there and skipped here
        if (!stored) continue;
        const std::int64_t match = commonPrefix(*stored, tokens);
        if (match > 0) candidates.push_back({id, match});
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.match > b.match; });
    for (const Candidate& c : candidates) {
        auto hit = restoreRow(c.id, shape, tokens, c.match);
        if (!hit) continue;  // damaged: flagged and reported once; try the next best
        if (hit->sequence.length() == 0) continue;  // nothing reused: a plain prefill is as fast
        return std::optional<CheckpointHit>(std::move(*hit));
    }
    return std::optional<CheckpointHit>();
}

Result<CheckpointHit> CheckpointStore::restoreNamed(const std::string& name, const ModelFingerprint& model,
                                                    const KvCache& shape) {
    auto stmt = m_db.prepare("SELECT id, fingerprint, model_description FROM checkpoints WHERE name = ?");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(name));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    if (!*row) return unexpected(Error::notFound("no KV checkpoint named '" + name + "'"));
    const std::int64_t id = stmt->columnInt(0);
    if (stmt->columnText(1) != model.id)
        return unexpected(Error::badInput("KV checkpoint '" + name + "' was made by another model (" +
                                          stmt->columnText(2) + "), not this one (" +
                                          model.description + ")"));
    stmt = base::Statement();
    auto tokens = tokensOf(id);
    if (!tokens) return unexpected(std::move(tokens.error()));
    return restoreRow(id, shape, *tokens, std::int64_t(tokens->size()));
}

Result<std::vector<std::int32_t>> CheckpointStore::tokensNamed(const std::string& name) {
    auto stmt = m_db.prepare("SELECT id FROM checkpoints WHERE name = ?");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(name));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    if (!*row) return unexpected(Error::notFound("no KV checkpoint named '" + name + "'"));
    const std::int64_t id = stmt->columnInt(0);
    stmt = base::Statement();
    return tokensOf(id);
}

Result<bool> CheckpointStore::contains(const ModelFingerprint& model, std::span<const std::int32_t> tokens) {
    auto ids = selectIds(m_db, "SELECT id FROM checkpoints WHERE fingerprint = ? AND token_count = ? AND damaged = 0",
                         model.id, std::int64_t(tokens.size()));
    if (!ids) return unexpected(std::move(ids.error()));
    for (std::int64_t id : *ids) {
        auto stored = tokensOf(id);
        if (stored && std::equal(stored->begin(), stored->end(), tokens.begin(), tokens.end())) return true;
    }
    return false;
}

Result<std::vector<CheckpointInfo>> CheckpointStore::list() {
    auto stmt = m_db.prepare(std::string(kInfoColumns) + " ORDER BY id");
    if (!stmt) return unexpected(std::move(stmt.error()));
    std::vector<CheckpointInfo> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) return out;
        out.push_back(infoFromRow(*stmt));
    }
}

Result<CheckpointInfo> CheckpointStore::info(std::int64_t id) {
    auto stmt = m_db.prepare(std::string(kInfoColumns) + " WHERE id = ?");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(id));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    if (!*row) return unexpected(Error::notFound("no KV checkpoint with id " + std::to_string(id)));
    return infoFromRow(*stmt);
}

Result<std::vector<std::int64_t>> CheckpointStore::verify(const ModelFingerprint* model, const KvCache* shape) {
    auto all = list();
    if (!all) return unexpected(std::move(all.error()));
    std::vector<std::int64_t> damaged;
    for (const auto& c : *all) {
        bool bad = c.damaged || !tokensOf(c.id);
        if (!bad) {
            auto blob = readBlob(c.id);
            // CRCs only say the bytes are the ones written; decoding says they are a checkpoint.
            Result<void> decoded;
            if (!blob) decoded = unexpected(std::move(blob.error()));
            else if (model && shape && c.fingerprint == model->id) {
                if (auto parts = ckpt::decodeParts(*blob, *shape); !parts) decoded = unexpected(std::move(parts.error()));
            } else {
                decoded = ckpt::checkFraming(*blob);
            }
            if (!decoded) {
                ATELIER_TRY_VOID(markDamaged(c.id, decoded.error()));
                bad = true;
            }
        }
        if (bad) damaged.push_back(c.id);
    }
    return damaged;
}

}  // namespace atelier::engine
