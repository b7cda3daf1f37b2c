#pragma once
// One long byte stream stored as numbered, checksummed chunk rows of an SQLite table: the
// layout the KV checkpoint store keeps its cache snapshots in. A chunk table has the columns
//   owner INTEGER, seq INTEGER, crc32 INTEGER, data BLOB, UNIQUE (owner, seq)
// (and a rowid, so BlobStream can reach one chunk).
// (chunkTableSql() writes one). `owner` is the id of whatever the stream belongs to (a
// checkpoint); `seq` counts chunks from 0; `crc32` is the CRC-32 (IEEE) of `data`.
//
// Chunks keep every row well below SQLite's blob limit and let a reader stream gigabytes
// without holding them in memory; the checksums catch a damaged file, so damaged data is
// reported and never trusted. Writes go into the caller's Transaction: a crash leaves all of a
// stream or none of it.
//
// Threads: whichever thread owns the Database.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/base/sqlite.h"

namespace atelier::engine {

// CREATE TABLE for a chunk table named `table` (letters, digits and '_' only).
std::string chunkTableSql(std::string_view table);

// CRC-32 (IEEE 802.3, as zlib computes it) of `data`, continuing from `crc`.
std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0);

// Appends a stream chunk by chunk. Call inside a Transaction; finish() writes the last,
// shorter chunk. The owner's previous chunks, if any, must have been deleted first.
class BlobChunkWriter {
public:
    BlobChunkWriter(base::Database& db, std::string table, std::int64_t owner,
                    std::size_t chunkBytes = std::size_t{1} << 20);

    Result<void> append(std::span<const std::byte> data);
    // Writes what is buffered; returns the stream's total length in bytes.
    Result<std::int64_t> finish();

private:
    Result<void> flush();

    base::Database& m_db;
    std::string m_table;
    std::int64_t m_owner;
    std::size_t m_chunkBytes;
    std::vector<std::byte> m_buffer;  // [< m_chunkBytes] the chunk being filled
    std::int64_t m_seq = 0;
    std::int64_t m_total = 0;
    base::Statement m_insert;  // prepared on first flush
};

// Streams `owner`'s chunks to `sink` in order, checking that they are numbered 0, 1, 2, ...
// and that each matches its checksum. A gap or a mismatch is a BadInput error naming the
// table, owner and chunk; `sink` may have seen the chunks before it. Returns the total length.
Result<std::int64_t> readBlobChunks(base::Database& db, std::string_view table, std::int64_t owner,
                                    const std::function<Result<void>(std::span<const std::byte>)>& sink);

// Deletes `owner`'s chunks. Returns how many there were.
Result<std::int64_t> deleteBlobChunks(base::Database& db, std::string_view table, std::int64_t owner);

}  // namespace atelier::engine
