// ctest-labels: unit
// Chunked blob streams: CRC-32 matches the standard check value, a stream written in odd
// pieces reads back byte for byte, an uncommitted stream leaves nothing, and a flipped byte
// or a missing chunk is reported, naming the chunk, instead of being returned.

#include <random>

#include <QtTest>

#include "atelier/engine/blob_chunks.h"

using namespace atelier;
using namespace atelier::engine;

#define REQUIRE_OK(expr)                                                            \
    do {                                                                            \
        auto&& r_ = (expr);                                                         \
        QVERIFY2(r_.has_value(), r_.has_value() ? "" : r_.error().message.c_str()); \
    } while (0)

namespace {

std::vector<std::byte> randomBytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = std::byte(static_cast<unsigned char>(rng()));
    return v;
}

// Writes `data` for `owner` in pieces of 1, 2, 3, ... bytes (and larger), crossing chunk ends.
Result<std::int64_t> writeInPieces(base::Database& db, std::int64_t owner, std::span<const std::byte> data,
                                   std::size_t chunk) {
    BlobChunkWriter w(db, "chunks", owner, chunk);
    std::size_t piece = 1;
    while (!data.empty()) {
        const auto n = std::min(piece, data.size());
        auto r = w.append(data.first(n));
        if (!r) return unexpected(std::move(r.error()));
        data = data.subspan(n);
        piece = piece * 3 + 1;
    }
    return w.finish();
}

std::vector<std::byte> readAllChunks(base::Database& db, std::int64_t owner, Error* error = nullptr) {
    std::vector<std::byte> out;
    auto r = readBlobChunks(db, "chunks", owner, [&](std::span<const std::byte> c) -> Result<void> {
        out.insert(out.end(), c.begin(), c.end());
        return {};
    });
    if (!r && error) *error = r.error();
    return out;
}

}  // namespace

class TestBlobChunks : public QObject {
    Q_OBJECT
    base::Database m_db;

private slots:
    void init() {
        auto db = base::Database::open(":memory:");
        QVERIFY(db.has_value());
        m_db = std::move(*db);
        QVERIFY(m_db.exec(chunkTableSql("chunks")).has_value());
    }

    void crc32MatchesTheStandardCheckValue() {
        const std::string check = "123456789";
        QCOMPARE(crc32(std::as_bytes(std::span(check))), 0xCBF43926u);
        QCOMPARE(crc32({}), 0u);
        // Continuing a CRC over two halves equals the CRC of the whole.
        const auto data = randomBytes(1000, 1);
        QCOMPARE(crc32(std::span(data).subspan(400), crc32(std::span(data).first(400))), crc32(data));
    }

    void streamsReadBackByteForByte() {
        constexpr std::size_t kChunk = 4096;
        for (std::size_t size : {std::size_t{0}, std::size_t{1}, kChunk, 3 * kChunk + kChunk / 2}) {
            const auto owner = static_cast<std::int64_t>(size) + 1;
            const auto data = randomBytes(size, static_cast<unsigned>(size));
            auto tx = base::Transaction::begin(m_db);
            REQUIRE_OK(tx);
            auto written = writeInPieces(m_db, owner, data, kChunk);
            REQUIRE_OK(written);
            QCOMPARE(*written, static_cast<std::int64_t>(size));
            REQUIRE_OK(tx->commit());
            QVERIFY(readAllChunks(m_db, owner) == data);
            auto chunks = m_db.queryInt("SELECT count(*) FROM chunks WHERE owner = " + std::to_string(owner));
            QCOMPARE(*chunks, static_cast<std::int64_t>((size + kChunk - 1) / kChunk));
        }
    }

    void uncommittedStreamLeavesNothing() {
        {
            auto tx = base::Transaction::begin(m_db);
            REQUIRE_OK(tx);
            REQUIRE_OK(writeInPieces(m_db, 9, randomBytes(10000, 9), 1000));
        }
        QCOMPARE(m_db.queryInt("SELECT count(*) FROM chunks").value_or(-1), 0);
    }

    void damagedChunksAreReportedNotReturned() {
        REQUIRE_OK(writeInPieces(m_db, 5, randomBytes(5000, 5), 1000));
        REQUIRE_OK(m_db.exec("UPDATE chunks SET data = "
                             "substr(data, 1, 10) || x'5A' || substr(data, 12) "
                             "WHERE owner = 5 AND seq = 2"));
        Error e;
        readAllChunks(m_db, 5, &e);
        QCOMPARE(e.code, ErrorCode::BadInput);
        QVERIFY2(e.message.find("chunks owner 5 chunk 2: checksum mismatch") != std::string::npos,
                 e.message.c_str());

        REQUIRE_OK(writeInPieces(m_db, 6, randomBytes(5000, 6), 1000));
        REQUIRE_OK(m_db.exec("DELETE FROM chunks WHERE owner = 6 AND seq = 1"));
        readAllChunks(m_db, 6, &e);
        QVERIFY2(e.message.find("owner 6 chunk 1 is missing") != std::string::npos, e.message.c_str());

        QCOMPARE(deleteBlobChunks(m_db, "chunks", 6).value_or(-1), 4);
        QCOMPARE(m_db.queryInt("SELECT count(*) FROM chunks WHERE owner = 6").value_or(-1), 0);
    }

    void unsafeTableNamesAreRefused() {
        auto r = readBlobChunks(m_db, "chunks; DROP TABLE chunks", 1,
                                [](std::span<const std::byte>) -> Result<void> { return {}; });
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Usage);
        QCOMPARE(m_db.queryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'chunks'").value_or(0), 1);
    }
};

QTEST_APPLESS_MAIN(TestBlobChunks)
#include "test_blob_chunks.moc"
