#include "checkpoints/checkpoint_schema.h"

#include "atelier/engine/blob_chunks.h"

namespace atelier::engine::ckpt {
namespace {

// One row per checkpoint. `tokens` is the prefix as little-endian int32 with its CRC-32 so a
// damaged prefix is never matched; `strategy` holds WindowStrategy values; `use_seq` orders
// LRU eviction (a counter, so that two uses in one millisecond still have an order).
constexpr const char* kV1 = R"sql(
CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE,
    fingerprint TEXT NOT NULL,
    model_description TEXT NOT NULL,
    strategy INTEGER NOT NULL,
    window_states INTEGER NOT NULL,
    token_count INTEGER NOT NULL,
    tokens BLOB NOT NULL,
    tokens_crc INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL,
    use_seq INTEGER NOT NULL,
    damaged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checkpoints_by_fingerprint ON checkpoints (fingerprint, token_count);
CREATE INDEX checkpoints_by_use ON checkpoints (use_seq);
)sql";

const std::string& v2Sql() {
    static const std::string sql = chunkTableSql(kChunkTable);
    return sql;
}

}  // namespace

const base::Schema& checkpointSchema() {
    static const base::Migration kMigrations[] = {
        {1, "checkpoints table", kV1},
        {2, "checkpoint chunks", v2Sql()},
    };
    // "ATLK": the KV checkpoints database. Never reuse an application_id for another kind.
    static const base::Schema kSchema{"kv checkpoints", 0x41544C4B, kMigrations};
    return kSchema;
}

}  // namespace atelier::engine::ckpt
