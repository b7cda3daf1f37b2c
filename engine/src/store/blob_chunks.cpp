// Chunked, checksummed blob streams in an SQLite table (blob_chunks.h).

#include "atelier/engine/blob_chunks.h"

#include <cstdio>

#include "atelier/engine/kv_cache.h"

namespace atelier::engine {
namespace {

// Table names go into SQL text (they cannot be bound), so only plain identifiers pass.
Result<void> checkTableName(std::string_view table) {
    bool ok = !table.empty();
    for (char c : table)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return unexpected(Error::usage("not a plain table name: '" + std::string(table) + "'"));
    return {};
}

std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) {
    // The KV snapshots' CRC-32 (kv_cache.h), over std::byte.
    return crc32(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                 crc);
}

std::string chunkTableSql(std::string_view table) {
    const std::string t(table);
    return "CREATE TABLE " + t +
           " (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, seq INTEGER NOT NULL,"
           " crc32 INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (owner, seq))";
}

BlobChunkWriter::BlobChunkWriter(base::Database& db, std::string table, std::int64_t owner,
                                 std::size_t chunkBytes)
    : m_db(db), m_table(std::move(table)), m_owner(owner), m_chunkBytes(chunkBytes ? chunkBytes : 1) {
    m_buffer.reserve(m_chunkBytes);
}

Result<void> BlobChunkWriter::append(std::span<const std::byte> data) {
    while (!data.empty()) {
        const std::size_t take = std::min(data.size(), m_chunkBytes - m_buffer.size());
        m_buffer.insert(m_buffer.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
        data = data.subspan(take);
        if (m_buffer.size() == m_chunkBytes) ATELIER_TRY_VOID(flush());
    }
    return {};
}

Result<std::int64_t> BlobChunkWriter::finish() {
    if (!m_buffer.empty()) ATELIER_TRY_VOID(flush());
    return m_total;
}

Result<void> BlobChunkWriter::flush() {
    if (!m_insert.handle()) {
        ATELIER_TRY_VOID(checkTableName(m_table));
        auto stmt = m_db.prepare("INSERT INTO " + m_table +
                                 " (owner, seq, crc32, data) VALUES (?1, ?2, ?3, ?4)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        m_insert = std::move(*stmt);
    }
    const std::span<const std::byte> chunk(m_buffer);
    ATELIER_TRY_VOID(m_insert.bindAll(m_owner, m_seq, std::int64_t{crc32(chunk)}, chunk));
    ATELIER_TRY_VOID(m_insert.run());
    m_total += static_cast<std::int64_t>(m_buffer.size());
    ++m_seq;
    m_buffer.clear();
    return {};
}

Result<std::int64_t> readBlobChunks(base::Database& db, std::string_view table, std::int64_t owner,
                                    const std::function<Result<void>(std::span<const std::byte>)>& sink) {
    ATELIER_TRY_VOID(checkTableName(table));
    auto stmt = db.prepare("SELECT seq, crc32, data FROM " + std::string(table) +
                           " WHERE owner = ?1 ORDER BY seq");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bind(1, owner));
    const std::string where = db.path().string() + ": " + std::string(table) + " owner " +
                              std::to_string(owner) + " chunk ";
    std::int64_t expected = 0, total = 0;
    for (;; ++expected) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) break;
        const std::int64_t seq = stmt->columnInt(0);
        if (seq != expected)
            return unexpected(Error::badInput(where + std::to_string(expected) + " is missing"));
        const auto data = stmt->columnBlob(2);
        const auto stored = static_cast<std::uint32_t>(stmt->columnInt(1));
        const std::uint32_t computed = crc32(data);
        if (stored != computed)
            return unexpected(Error::badInput(where + std::to_string(seq) + ": checksum mismatch (stored " +
                                              hex(stored) + ", data has " + hex(computed) + ")"));
        ATELIER_TRY_VOID(sink(data));
        total += static_cast<std::int64_t>(data.size());
    }
    return total;
}

Result<std::int64_t> deleteBlobChunks(base::Database& db, std::string_view table, std::int64_t owner) {
    ATELIER_TRY_VOID(checkTableName(table));
    auto stmt = db.prepare("DELETE FROM " + std::string(table) + " WHERE owner = ?1");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bind(1, owner));
    ATELIER_TRY_VOID(stmt->run());
    return std::int64_t{db.changes()};
}

}  // namespace atelier::engine
