// ctest-labels: unit
// The checkpoint store's bookkeeping: fingerprints separate models and a checkpoint of another
// model is refused; a flipped byte is detected, flagged once and skipped (the caller
// recomputes); LRU eviction keeps automatic checkpoints within the byte budget and never
// evicts named ones; migrations (with backup) and refusal of foreign, other-kind and truncated
// files; a full disk fails the save cleanly and loses nothing stored. Issue 21: verify decodes
// what it checks, so garbage under matching CRCs is damaged.

#include <cstring>
#include <fstream>

#include <QTemporaryDir>
#include <QtTest>

#include "atelier/engine/blob_chunks.h"
#include "atelier/base/schema_migrations.h"
#include "checkpoint_test_support.h"

using namespace atelier;
using namespace atelier::engine;
using namespace checkpoint_test;

namespace {

std::filesystem::path pathIn(const QTemporaryDir& dir, const char* name) {
    return std::filesystem::path(dir.path().toStdString()) / name;
}

CheckpointStore openStore(const std::filesystem::path& file, CheckpointPolicy policy = {}) {
    policy.strategy = WindowStrategy::Full;
    auto s = CheckpointStore::open(file, policy);
    if (!s) qFatal("%s", s.error().message.c_str());
    return std::move(*s);
}

// Flips one bit in the middle of checkpoint `id`'s first chunk.
void flipByte(base::Database& db, std::int64_t id) {
    auto sel = db.prepare("SELECT rowid, data FROM checkpoint_chunks WHERE owner = ? AND seq = 0");
    QVERIFY(sel && sel->bindAll(id) && sel->step().value_or(false));
    const std::int64_t rowid = sel->columnInt(0);
    auto blob = sel->columnBlob(1);
    std::vector<std::byte> data(blob.begin(), blob.end());
    sel = base::Statement();
    data[data.size() / 2] ^= std::byte{0x04};
    auto up = db.prepare("UPDATE checkpoint_chunks SET data = ? WHERE rowid = ?");
    QVERIFY(up && up->bindAll(std::span<const std::byte>(data), rowid) && up->run());
}

// Replaces chunk `seq` of checkpoint `id` by `edit(data)` and stores a CRC that matches it, as
// someone who knows the format would: the chunk checksums alone then pass.
template <typename Edit>
void rewriteChunkWithCrc(base::Database& db, std::int64_t id, Edit edit, std::int64_t seq = 0) {
    auto sel = db.prepare("SELECT rowid, data FROM checkpoint_chunks WHERE owner = ? AND seq = ?");
    QVERIFY(sel && sel->bindAll(id, seq) && sel->step().value_or(false));
    const std::int64_t rowid = sel->columnInt(0);
    auto blob = sel->columnBlob(1);
    std::vector<std::byte> data(blob.begin(), blob.end());
    sel = base::Statement();
    edit(data);
    auto up = db.prepare("UPDATE checkpoint_chunks SET data = ?, crc32 = ? WHERE rowid = ?");
    QVERIFY(up && up->bindAll(std::span<const std::byte>(data), std::int64_t(crc32(data)), rowid) && up->run());
}

}  // namespace

class TestCheckpointStore : public QObject {
    Q_OBJECT
    std::unique_ptr<Model> m_model = tinyModel();
    ModelFingerprint m_fp = fingerprintOf(*m_model);

    KvCache prefill(std::span<const std::int32_t> ids) {
        KvCache seq = m_model->newSequence();
        std::vector<float> logits;
        if (!m_model->forward(seq, ids, LogitsRequest::Last, logits)) qFatal("prefill");
        return seq;
    }

private slots:
    void fingerprintsSeparateModelsNumericsAndFiles() {
        const auto& c = m_model->config();
        QVERIFY(modelFingerprint(c, Numerics::Release, 5, 1) == modelFingerprint(c, Numerics::Release, 5, 1));
        QVERIFY(!(modelFingerprint(c, Numerics::Release, 5, 1) == modelFingerprint(c, Numerics::Plain, 5, 1)));
        QVERIFY(!(modelFingerprint(c, Numerics::Release, 5, 1) == modelFingerprint(c, Numerics::Release, 6, 1)));
        QVERIFY(!(modelFingerprint(c, Numerics::Release, 5, 1) == modelFingerprint(c, Numerics::Release, 5, 2)));
        ModelConfig other = c;
        other.windowSize *= 2;
        QVERIFY(!(modelFingerprint(c, Numerics::Release, 5, 1) == modelFingerprint(other, Numerics::Release, 5, 1)));

        QTemporaryDir dir;
        const auto file = pathIn(dir, "model.safetensors");
        std::vector<char> bytes(1 << 20, 'x');
        auto write = [&] { std::ofstream(file, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size())); };
        write();
        const auto h1 = hashModelFiles(dir.path().toStdString());
        QVERIFY(h1.has_value());
        bytes[3] = 'y';  // a changed header
        write();
        const auto h2 = hashModelFiles(dir.path().toStdString());
        QVERIFY(h2.has_value() && *h2 != *h1);
        QCOMPARE(hashModelFiles(pathIn(dir, "missing")).error().code, ErrorCode::Io);
    }

    void aCheckpointOfAnotherModelIsRefused() {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "c.db"));
        const auto ids = tokens(300, 3);
        QVERIFY(store.save(m_fp, prefill(ids), {}, "mine").has_value());
        auto otherModel = tinyModel(6);
        const auto otherFp = fingerprintOf(*otherModel, 6);
        auto refused = store.restoreNamed("mine", otherFp, otherModel->newSequence());
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::BadInput);
        QVERIFY(!store.lookup(otherFp, otherModel->newSequence(), ids)->has_value());
        auto mine = store.restoreNamed("mine", m_fp, m_model->newSequence());
        QVERIFY(mine.has_value());
        QCOMPARE(mine->sequence.length(), std::int64_t(300));
        QCOMPARE(store.restoreNamed("absent", m_fp, m_model->newSequence()).error().code, ErrorCode::NotFound);
    }

    void garbageUnderMatchingCrcsIsDamaged() {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "g.db"));
        const auto ids = tokens(300, 6);
        const auto ok = store.save(m_fp, prefill(std::span(ids).first(200)));
        const auto garbage = store.save(m_fp, prefill(ids));
        const auto framed = store.save(m_fp, prefill(std::span(ids).first(260)));
        QVERIFY(ok && garbage && framed);
        QVERIFY(store.verify()->empty());
        // Every byte garbage, CRC recomputed: caught without the model (bad magic).
        rewriteChunkWithCrc(store.database(), *garbage, [](std::vector<std::byte>& d) {
            for (std::size_t i = 0; i < d.size(); ++i) d[i] = std::byte((i * 131 + 7) & 0xff);
        });
        // The header kept, block 0's entry count one off (CRC recomputed): the
        // layout alone looks fine, decoding against the model does not.
        rewriteChunkWithCrc(store.database(), *framed, [](std::vector<std::byte>& d) {
            std::uint64_t e = 0;
            std::memcpy(&e, d.data() + 16, 8);
            e += 1;
            std::memcpy(d.data() + 16, &e, 8);
        });
        QCOMPARE(store.verify().value(), std::vector<std::int64_t>{*garbage});
        auto shape = m_model->newSequence();
        QCOMPARE(store.verify(&m_fp, &shape).value(), (std::vector<std::int64_t>{*garbage, *framed}));
        QVERIFY(store.info(*framed)->damaged);
        QVERIFY(!store.info(*ok)->damaged);
    }

    void aFlippedByteIsDetectedFlaggedAndSkipped() {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "c.db"));
        const auto ids = tokens(300, 4);
        const auto good = store.save(m_fp, prefill(std::span(ids).first(250)));
        const auto bad = store.save(m_fp, prefill(ids));
        QVERIFY(good && bad);
        flipByte(store.database(), *bad);
        for (int round = 0; round < 2; ++round) {  // the second lookup sees the flag
            auto hit = store.lookup(m_fp, m_model->newSequence(), ids);
            QVERIFY(hit.has_value() && hit->has_value());
            QCOMPARE((*hit)->id, *good);  // the damaged longer one is skipped
            QVERIFY(store.info(*bad)->damaged);
            QVERIFY(!store.info(*good)->damaged);
        }
        QCOMPARE(store.verify().value(), std::vector<std::int64_t>{*bad});
        // A damaged token prefix is caught too.
        QVERIFY(store.database().exec("UPDATE checkpoints SET tokens = zeroblob(length(tokens)) WHERE id = " +
                                      std::to_string(*good)).has_value());
        QVERIFY(!store.lookup(m_fp, m_model->newSequence(), ids)->has_value());
        QVERIFY(store.info(*good)->damaged);
    }

    void renameNamesUnnamesAndNeverTakesAName() {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "r.db"));
        const auto a = store.save(m_fp, prefill(tokens(140, 20)), {}, "first");
        const auto b = store.save(m_fp, prefill(tokens(140, 21)));
        QVERIFY(a && b);
        QVERIFY(store.rename(*b, "second").has_value());
        QCOMPARE(store.info(*b)->name, std::string("second"));
        QCOMPARE(store.restoreNamed("second", m_fp, m_model->newSequence())->sequence.length(),
                 std::int64_t(140));
        // A name in use stays where it is: both checkpoints keep theirs.
        auto taken = store.rename(*b, "first");
        QVERIFY(!taken);
        QCOMPARE(taken.error().code, ErrorCode::BadInput);
        QVERIFY(taken.error().message.find("first") != std::string::npos);
        QCOMPARE(store.info(*a)->name, std::string("first"));
        QCOMPARE(store.info(*b)->name, std::string("second"));
        QVERIFY(store.rename(*a, "first").has_value());  // its own name again
        QVERIFY(store.rename(*b, "").has_value());
        QCOMPARE(store.info(*b)->name, std::string());
        QCOMPARE(store.restoreNamed("second", m_fp, m_model->newSequence()).error().code, ErrorCode::NotFound);
        QCOMPARE(store.rename(*b + 100, "x").error().code, ErrorCode::NotFound);
    }

    void lruEvictionKeepsTheBudgetAndNamedCheckpoints() {
        QTemporaryDir dir;
        const auto file = pathIn(dir, "c.db");
        const KvCache a = prefill(tokens(200, 10)), b = prefill(tokens(200, 11)), c = prefill(tokens(200, 12));
        std::int64_t one = 0;
        {
            auto probe = openStore(pathIn(dir, "probe.db"));
            one = probe.info(*probe.save(m_fp, a))->bytes;
        }
        CheckpointPolicy policy;
        policy.budgetBytes = one * 5 / 2;  // room for two
        auto store = openStore(file, policy);
        const auto ia = store.save(m_fp, a), ib = store.save(m_fp, b);
        QVERIFY(ia && ib);
        QVERIFY(store.lookup(m_fp, m_model->newSequence(), a.tokens())->has_value());  // a is now recent
        const auto ic = store.save(m_fp, c);
        QVERIFY(ic.has_value());
        QVERIFY(store.info(*ia).has_value());
        QCOMPARE(store.info(*ib).error().code, ErrorCode::NotFound);  // least recently used
        QVERIFY(store.totalBytes().value() <= policy.budgetBytes);
        // Named checkpoints stay, even past the budget; automatic ones make room.
        const auto n1 = store.save(m_fp, b, {}, "keep-1"), n2 = store.save(m_fp, c, {}, "keep-2"),
                   n3 = store.save(m_fp, a, {}, "keep-3");
        QVERIFY(n1 && n2 && n3);
        auto all = store.list().value();
        QCOMPARE(all.size(), std::size_t(3));
        for (const auto& info : all) QVERIFY(!info.name.empty());
        QCOMPARE(store.database().queryInt("SELECT count(DISTINCT owner) FROM checkpoint_chunks").value(),
                 std::int64_t(3));
        // Saving a name again replaces it.
        QVERIFY(store.save(m_fp, a, {}, "keep-1").has_value());
        QCOMPARE(store.list()->size(), std::size_t(3));
    }

    void migrationsUpgradeAndForeignFilesAreRefused() {
        QTemporaryDir dir;
        const auto file = pathIn(dir, "c.db");
        {
            auto db = base::Database::open(file).value();
            QCOMPARE(base::migrate(db, CheckpointStore::schema(), {1, true}).value(), 1);
        }
        {
            auto store = openStore(file);
            QVERIFY(std::filesystem::exists(base::migrationBackupPath(file, 1)));
            QCOMPARE(store.database().queryInt("PRAGMA user_version").value(), std::int64_t(2));
            QCOMPARE(store.database().queryInt("SELECT count(*) FROM schema_migrations").value(), std::int64_t(2));
        }
        const auto foreign = pathIn(dir, "foreign.db");
        QVERIFY(base::Database::open(foreign).value().exec("CREATE TABLE t (x)").has_value());
        auto refused = CheckpointStore::open(foreign);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::BadInput);
        const auto sessions = pathIn(dir, "sessions.db");
        QVERIFY(base::Database::open(sessions).value().exec("PRAGMA application_id = 1096043603; CREATE TABLE s (x)").has_value());
        QVERIFY(!CheckpointStore::open(sessions));

        // A truncated database: a clear error, never a crash.
        {
            auto store = openStore(pathIn(dir, "t.db"));
            QVERIFY(store.save(m_fp, prefill(tokens(300, 5))).has_value());
            QVERIFY(store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)").has_value());
        }
        std::filesystem::resize_file(pathIn(dir, "t.db"), 3000);
        std::filesystem::remove(pathIn(dir, "t.db-wal"));
        auto truncated = CheckpointStore::open(pathIn(dir, "t.db"));
        QVERIFY(!truncated);
        QVERIFY(!truncated.error().message.empty());
    }

    void aFullDiskFailsTheSaveAndKeepsWhatWasStored() {
        QTemporaryDir dir;
        auto store = openStore(pathIn(dir, "c.db"));
        const KvCache small = prefill(tokens(130, 7));
        const auto kept = store.save(m_fp, small);
        QVERIFY(kept.has_value());
        auto& db = store.database();
        const auto pages = db.queryInt("PRAGMA page_count").value();
        QVERIFY(db.exec("PRAGMA max_page_count = " + std::to_string(pages + 4)).has_value());
        auto full = store.save(m_fp, prefill(tokens(400, 8)));
        QVERIFY(!full);
        QCOMPARE(full.error().code, ErrorCode::Io);
        QCOMPARE(store.list()->size(), std::size_t(1));
        QCOMPARE(db.queryInt("SELECT count(*) FROM checkpoint_chunks WHERE owner <> " + std::to_string(*kept)).value(),
                 std::int64_t(0));
        QCOMPARE(db.queryText("PRAGMA integrity_check").value(), std::string("ok"));
        QVERIFY(store.verify()->empty());
        QVERIFY(store.lookup(m_fp, m_model->newSequence(), small.tokens())->has_value());
    }
};

QTEST_APPLESS_MAIN(TestCheckpointStore)
#include "test_checkpoint_store.moc"
