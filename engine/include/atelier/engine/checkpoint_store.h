#pragma once
// CheckpointStore: KV-cache checkpoints on disk (model spec §10.4), in their own SQLite file
// (<data-dir>/kvcache/checkpoints.db; the caller passes the path).
//
// A checkpoint is a token prefix, the model fingerprint it was made with, and one chunked,
// CRC-checked blob (blob_chunks.h) holding the compressed CSA/HCA entries up to its length
// (always) and window states by strategy (WindowStrategy). A lookup takes the longest stored
// prefix of the query tokens — compared token by token, never trusted by hash — and returns a
// sequence plus the tokens the caller must still run through Model::forward; after that the
// sequence equals a fresh prefill of the hit, logit for logit.
//
// Automatic prefix checkpoints are evicted least-recently-used past the byte budget; named
// ones (user-made) never are. A damaged blob is logged once, flagged on its row and skipped.
// Every save is one transaction: a crash or a full disk leaves nothing half-written.
//
// Threads: one thread at a time per CheckpointStore (it owns one SQLite connection). Several
// stores (processes) may share a file; SQLite's WAL and BEGIN IMMEDIATE serialise writers.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atelier/engine/kv_cache.h"
#include "atelier/engine/model_fingerprint.h"
#include "atelier/base/result.h"
#include "atelier/base/schema_migrations.h"
#include "atelier/base/sqlite.h"

namespace atelier::engine {

class Model;

// Persisted in the checkpoints table: never reuse a value.
enum class WindowStrategy : std::uint8_t {
    Full = 1,      // the window state at the checkpoint's length: nothing to recompute
    Periodic = 2,  // a window state every `period` tokens: recompute from the nearest ≤ hit
    None = 3,      // no window state: recompute the last blocks·W + 128 tokens
};
std::string_view windowStrategyName(WindowStrategy s);
std::optional<WindowStrategy> parseWindowStrategy(std::string_view name);

struct CheckpointPolicy {
    // Full by measurement (bench_checkpoints, tiny, release, 2026-11-28): one window state costs
    // 1.11x kv bytes per token at 4K and 1.04x at 32K, and an exact hit (the next turn of a
    // conversation, a repeated document) is ready in 0.01 s (4K) / 0.05 s (32K) against 48.6 s /
    // 494 s of re-prefill. None saves only 2% more bytes (1.02x) but recomputes blocks·W + 128
    // tokens on every hit (3.5-4.3 s on tiny; Flash: 5,760 tokens). Periodic (1024) costs 1.38x
    // and pays off only for hits far inside a prefix.
    WindowStrategy strategy = WindowStrategy::Full;
    std::int64_t period = 1024;                           // tokens between window states
    std::int64_t budgetBytes = std::int64_t(8) << 30;     // automatic checkpoints, in blob bytes
};

struct CheckpointInfo {
    std::int64_t id = 0;
    std::string name;  // empty for automatic prefix checkpoints
    std::string fingerprint, modelDescription;
    WindowStrategy strategy = WindowStrategy::Full;
    std::int64_t tokens = 0, bytes = 0, windowStates = 0;
    std::int64_t createdAtMs = 0, lastUsedMs = 0;
    bool damaged = false;
};

struct CheckpointHit {
    std::int64_t id = 0;
    std::int64_t matched = 0;  // query tokens [0, matched) are covered
    KvCache sequence;          // length() = matched − recompute
    // Run query tokens [sequence.length(), matched) through Model::forward to finish the hit.
    std::int64_t recompute() const { return matched - sequence.length(); }
};

// Runs `tokens` through `model` onto `sequence`, stopping at the lengths the strategy keeps a
// window state at (every `period` tokens for Periodic, the end for Full) and returning forks
// there, ready for CheckpointStore::save. `logits` ends as the last token's [V] f32.
Result<std::vector<KvCache>> prefillForCheckpoint(Model& model, KvCache& sequence,
                                                  std::span<const std::int32_t> tokens,
                                                  const CheckpointPolicy& policy,
                                                  std::vector<float>& logits);

class CheckpointStore {
public:
    // Opens or creates the database and applies its migrations. A foreign, truncated or newer
    // file is an error naming it.
    static Result<CheckpointStore> open(const std::filesystem::path& path, CheckpointPolicy policy = {});

    // The database's schema (application_id "ATLK" and numbered migrations).
    static const base::Schema& schema();

    const CheckpointPolicy& policy() const { return m_policy; }
    base::Database& database() { return m_db; }

    // Stores `sequence` (its tokens and compressed entries) with the window states the
    // strategy keeps, taken from `windowStates` (forks of it at shorter lengths, see
    // prefillForCheckpoint). A named checkpoint replaces one of the same name. Then evicts
    // automatic checkpoints past the budget. Returns the new id.
    Result<std::int64_t> save(const ModelFingerprint& model, const KvCache& sequence,
                              std::span<const KvCache> windowStates = {},
                              const std::string& name = {});

    // The longest verified prefix of `tokens` among this model's checkpoints, or nullopt.
    // Damaged checkpoints are flagged and skipped. `shape`: any sequence of the model
    // (Model::newSequence()), for its config and numerics.
    Result<std::optional<CheckpointHit>> lookup(const ModelFingerprint& model, const KvCache& shape,
                                                std::span<const std::int32_t> tokens);

    // The named checkpoint as a full hit of its own tokens (for `generate --checkpoint`). A
    // checkpoint of another model is a BadInput error; a damaged one is flagged and an error.
    Result<CheckpointHit> restoreNamed(const std::string& name, const ModelFingerprint& model,
                                       const KvCache& shape);
    Result<std::vector<std::int32_t>> tokensOf(std::int64_t id);
    // The token prefix of the checkpoint named `name` (to recompute a damaged one).
    Result<std::vector<std::int32_t>> tokensNamed(const std::string& name);
    // Whether an undamaged checkpoint of this model holds exactly `tokens`.
    Result<bool> contains(const ModelFingerprint& model, std::span<const std::int32_t> tokens);

    Result<std::vector<CheckpointInfo>> list();
    Result<CheckpointInfo> info(std::int64_t id);
    Result<void> remove(std::int64_t id);
    // Names checkpoint `id` (empty: unnamed, so eviction may take it). A name that another
    // checkpoint holds is refused (BadInput), never taken from it; an unknown id is NotFound.
    Result<void> rename(std::int64_t id, const std::string& name);
    // Reads every blob, checks its chunks' CRCs and decodes it: in full (decodeParts against
    // `shape`) for the checkpoints of `model` when both are given, else as far as the layout
    // can be checked without the model (magic, version, block count). Returns the ids found
    // damaged (and flags them), so matching CRCs over garbage count as damaged.
    Result<std::vector<std::int64_t>> verify(const ModelFingerprint* model = nullptr,
                                             const KvCache* shape = nullptr);
    Result<std::int64_t> totalBytes();

private:
    CheckpointStore(base::Database db, CheckpointPolicy policy) : m_db(std::move(db)), m_policy(policy) {}
    Result<std::vector<std::byte>> readBlob(std::int64_t id);
    Result<void> markDamaged(std::int64_t id, const Error& why);
    Result<void> touch(std::int64_t id);
    Result<void> evict();
    Result<CheckpointHit> restoreRow(std::int64_t id, const KvCache& shape,
                                     std::span<const std::int32_t> tokens, std::int64_t hit);

    base::Database m_db;
    CheckpointPolicy m_policy;
};

}  // namespace atelier::engine
