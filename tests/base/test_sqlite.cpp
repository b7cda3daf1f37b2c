// ctest-labels: unit
// The SQLite layer: statements bind and read every type, transactions roll back unless
// committed, migrations run one transaction each from every earlier version with a backup,
// newer schemas and foreign, truncated or garbage files are refused with a clear error, and a
// full disk fails the write without losing what was committed.

#include <fstream>
#include <atomic>
#include <random>
#include <thread>

#include <QTemporaryDir>
#include <QtTest>

#include "atelier/base/schema_migrations.h"
#include "atelier/base/sqlite.h"

using namespace atelier;
using namespace atelier::base;

namespace {

const Migration kMigrations[] = {
    {1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"},
    {2, "tags", "CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,"
                " tag TEXT NOT NULL)"},
    {3, "note title", "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT 'untitled'"},
};
constexpr std::uint32_t kTestAppId = 0x41544C54;  // "ATLT": test-only, never used by a product
const Schema kSchema{"test", kTestAppId, kMigrations};

std::string bytesOf(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

#define REQUIRE_OK(expr)                                                              \
    do {                                                                              \
        auto&& r_ = (expr);                                                           \
        QVERIFY2(r_.has_value(), r_.has_value() ? "" : r_.error().message.c_str());   \
    } while (0)

std::int64_t count(Database& db, const char* sql) {
    auto n = db.queryInt(sql);
    return n ? *n : -1;
}

}  // namespace

class TestSqlite : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::filesystem::path file(const char* name) const {
        return std::filesystem::path(m_dir.path().toStdString()) / name;
    }

private slots:
    void openAppliesWalForeignKeysAndBusyTimeout() {
        auto db = Database::open(file("pragmas.db"));
        REQUIRE_OK(db);
        QCOMPARE(db->queryText("PRAGMA journal_mode").value_or(std::string()), std::string("wal"));
        QCOMPARE(count(*db, "PRAGMA foreign_keys"), 1);
        QCOMPARE(count(*db, "PRAGMA synchronous"), 1);  // NORMAL
        QCOMPARE(count(*db, "PRAGMA busy_timeout"), 5000);
    }

    void missingFileIsAnErrorUnlessCreating() {
        for (auto mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
            auto db = Database::open(file("absent/none.db"), {mode});
            QVERIFY(!db);
            QCOMPARE(db.error().code, ErrorCode::Io);
            QVERIFY(db.error().message.find("none.db") != std::string::npos);
        }
        QVERIFY(!std::filesystem::exists(file("absent")));
    }

    void statementBindsAndReadsEveryType() {
        auto db = Database::open(":memory:");
        REQUIRE_OK(db);
        REQUIRE_OK(db->exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)"));
        auto ins = db->prepare("INSERT INTO t VALUES (:i, :r, :s, :b, :n)");
        REQUIRE_OK(ins);
        const std::string text("Grüße, 世界\0tail", 19);  // non-ASCII and an embedded NUL
        const std::byte blob[] = {std::byte{0}, std::byte{0xff}, std::byte{7}};
        REQUIRE_OK(ins->bind(":i", std::int64_t{-(1LL << 40)}));
        REQUIRE_OK(ins->bind(":r", 2.5));
        REQUIRE_OK(ins->bind(":s", std::string_view(text)));
        REQUIRE_OK(ins->bind(":b", std::span<const std::byte>(blob)));
        REQUIRE_OK(ins->bind(":n", nullptr));
        REQUIRE_OK(ins->run());
        QVERIFY(!ins->bind(":missing", 1).has_value());
        auto sel = db->prepare("SELECT i, r, s, b, n FROM t");
        REQUIRE_OK(sel);
        auto row = sel->step();
        REQUIRE_OK(row);
        QVERIFY(*row);
        QCOMPARE(sel->columnInt(0), -(1LL << 40));
        QCOMPARE(sel->columnDouble(1), 2.5);
        QCOMPARE(sel->columnText(2), text);
        QCOMPARE(sel->columnBlob(3).size(), std::size_t{3});
        QVERIFY(std::equal(blob, blob + 3, sel->columnBlob(3).begin()));
        QVERIFY(sel->columnIsNull(4));
        QVERIFY(!sel->step().value_or(true));
        // reset() makes the statement run again.
        sel->reset();
        QVERIFY(sel->step().value_or(false));
    }

    void errorsNameTheSqlAndSqlitesMessage() {
        auto db = Database::open(":memory:");
        REQUIRE_OK(db);
        auto bad = db->prepare("SELEKT 1");
        QVERIFY(!bad);
        QVERIFY(bad.error().message.find("SELEKT 1") != std::string::npos);
        QVERIFY(bad.error().message.find("syntax error") != std::string::npos);
        REQUIRE_OK(db->exec("CREATE TABLE u (x INTEGER UNIQUE)"));
        REQUIRE_OK(db->exec("INSERT INTO u VALUES (1)"));
        auto dup = db->exec("INSERT INTO u VALUES (1)");
        QVERIFY(!dup);
        QCOMPARE(dup.error().code, ErrorCode::BadInput);
        QVERIFY(dup.error().message.find("UNIQUE") != std::string::npos);
    }

    void transactionRollsBackUnlessCommitted() {
        auto db = Database::open(file("tx.db"));
        REQUIRE_OK(db);
        REQUIRE_OK(db->exec("CREATE TABLE t (x INTEGER)"));
        {
            auto tx = Transaction::begin(*db);
            REQUIRE_OK(tx);
            REQUIRE_OK(db->exec("INSERT INTO t VALUES (1)"));
            QVERIFY(db->inTransaction());
        }  // destroyed without commit
        QVERIFY(!db->inTransaction());
        QCOMPARE(count(*db, "SELECT count(*) FROM t"), 0);
        {
            auto tx = Transaction::begin(*db);
            REQUIRE_OK(tx);
            REQUIRE_OK(db->exec("INSERT INTO t VALUES (2)"));
            auto moved = std::move(*tx);  // ownership moves; only one rollback or commit
            REQUIRE_OK(moved.commit());
        }
        QCOMPARE(count(*db, "SELECT count(*) FROM t"), 1);
        // Another connection sees only committed rows.
        auto other = Database::open(file("tx.db"));
        REQUIRE_OK(other);
        QCOMPARE(count(*other, "SELECT count(*) FROM t"), 1);
    }

    void busyWriterGivesUpAfterItsBudget() {
        auto a = Database::open(file("busy.db"));
        REQUIRE_OK(a);
        REQUIRE_OK(a->exec("CREATE TABLE t (x INTEGER)"));
        auto b = Database::open(file("busy.db"), {OpenMode::ReadWrite, std::chrono::milliseconds(20)});
        REQUIRE_OK(b);
        auto holder = Transaction::begin(*a);
        REQUIRE_OK(holder);
        const auto start = std::chrono::steady_clock::now();
        auto blocked = Transaction::begin(*b, std::chrono::milliseconds(100));
        QVERIFY(!blocked);
        QCOMPARE(blocked.error().code, ErrorCode::Io);
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
        holder->rollback();
        REQUIRE_OK(Transaction::begin(*b));
    }

    void migrationsBringEveryEarlierVersionToTheLatest() {
        for (int k = 0; k <= kSchema.latestVersion(); ++k) {
            const auto path = file(("mig" + std::to_string(k) + ".db").c_str());
            {
                auto db = Database::open(path);
                REQUIRE_OK(db);
                auto v = migrate(*db, kSchema, {.targetVersion = k});
                REQUIRE_OK(v);
                QCOMPARE(*v, k);
                if (k >= 1) REQUIRE_OK(db->exec("INSERT INTO notes (id, body) VALUES (7, 'kept')"));
            }
            auto db = Database::open(path);
            REQUIRE_OK(db);
            auto v = migrate(*db, kSchema);
            REQUIRE_OK(v);
            QCOMPARE(*v, 3);
            QCOMPARE(count(*db, "SELECT count(*) FROM schema_migrations"), 3);
            QCOMPARE(count(*db, "SELECT min(version) = 1 AND max(version) = 3 FROM schema_migrations"), 1);
            QCOMPARE(count(*db, "PRAGMA user_version"), 3);
            QCOMPARE(static_cast<std::uint32_t>(count(*db, "PRAGMA application_id")), kTestAppId);
            QCOMPARE(count(*db, "SELECT count(*) FROM pragma_table_info('notes') WHERE name='title'"), 1);
            if (k >= 1)
                QCOMPARE(db->queryText("SELECT body || '/' || title FROM notes WHERE id = 7")
                             .value_or(std::string()),
                         std::string("kept/untitled"));
            const auto backup = migrationBackupPath(path, k);
            if (k == 0 || k == 3) {
                QVERIFY(!std::filesystem::exists(backup));  // nothing to back up or to migrate
            } else {
                QVERIFY(std::filesystem::exists(backup));
                auto old = Database::open(backup, {OpenMode::ReadOnly});
                REQUIRE_OK(old);
                QCOMPARE(schemaVersion(*old, kSchema).value_or(-1), k);
                QCOMPARE(count(*old, "SELECT count(*) FROM notes WHERE id = 7"), 1);
            }
            auto again = migrate(*db, kSchema);  // idempotent
            QCOMPARE(again.value_or(-1), 3);
        }
    }

    void failedMigrationLeavesThePreviousVersion() {
        const Migration broken[] = {kMigrations[0], kMigrations[1],
                                    {3, "broken", "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1)"}};
        auto db = Database::open(file("broken.db"));
        REQUIRE_OK(db);
        auto v = migrate(*db, Schema{"test", kTestAppId, broken});
        QVERIFY(!v);
        QVERIFY(v.error().message.find("migration 3") != std::string::npos);
        QCOMPARE(schemaVersion(*db, kSchema).value_or(-1), 2);
        QCOMPARE(count(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'half'"), 0);
        QVERIFY(!db->inTransaction());
    }

    void newerSchemaIsRefusedUntouched() {
        const auto path = file("newer.db");
        {
            auto db = Database::open(path);
            REQUIRE_OK(db);
            REQUIRE_OK(migrate(*db, kSchema));
        }
        const auto before = bytesOf(path);
        auto db = Database::open(path);
        REQUIRE_OK(db);
        const Schema older{"test", kTestAppId, std::span(kMigrations).first(2)};
        auto v = migrate(*db, older);
        QVERIFY(!v);
        QCOMPARE(v.error().code, ErrorCode::BadInput);
        QVERIFY2(v.error().message.find("newer than this Atelier knows") != std::string::npos,
                 v.error().message.c_str());
        QVERIFY(!std::filesystem::exists(migrationBackupPath(path, 3)));
        db = Database();
        QCOMPARE(bytesOf(path), before);
    }

    // Issue 21: a user_version past the newest migration (a newer Atelier, a sqlite3 shell) is
    // refused like a newer migration row, and openMigrated writes nothing to the file: not
    // even the switch to WAL.
    void newerUserVersionIsRefusedUnwritten() {
        const auto path = file("newer-user-version.db");
        {
            auto db = Database::open(path, {.wal = false});
            REQUIRE_OK(db);
            REQUIRE_OK(migrate(*db, kSchema));
            REQUIRE_OK(db->exec("PRAGMA user_version = 99"));
        }
        const auto before = bytesOf(path);
        auto opened = openMigrated(path, kSchema);
        QVERIFY(!opened);
        QCOMPARE(opened.error().code, ErrorCode::BadInput);
        QVERIFY2(opened.error().message.find("version 99, newer than this Atelier knows") !=
                     std::string::npos,
                 opened.error().message.c_str());
        QCOMPARE(bytesOf(path), before);
        // An otherwise empty file that only carries a newer user_version is refused too.
        const auto empty = file("empty-newer.db");
        {
            auto db = Database::open(empty, {.wal = false});
            REQUIRE_OK(db);
            REQUIRE_OK(db->exec("PRAGMA user_version = 7"));
        }
        const auto emptyBefore = bytesOf(empty);
        QVERIFY(!openMigrated(empty, kSchema));
        QCOMPARE(bytesOf(empty), emptyBefore);
        auto db = Database::open(empty);
        REQUIRE_OK(db);
        QVERIFY(!migrate(*db, kSchema));
    }

    // Issue 21: two connections (two threads, as two processes would) migrating one fresh
    // file at once both succeed, round after round; before, the loser failed with "table
    // schema_migrations already exists".
    void concurrentFirstOpensBothMigrate() {
        for (int round = 0; round < 40; ++round) {
            const auto path = file(("race" + std::to_string(round) + ".db").c_str());
            std::string errors[2];
            std::atomic<int> ready{0};
            auto open = [&](int i) {
                ++ready;
                while (ready.load() < 2) std::this_thread::yield();
                auto db = openMigrated(path, kSchema, {}, {.targetVersion = std::nullopt, .backup = false});
                if (!db) errors[i] = db.error().message;
            };
            std::thread a(open, 0), b(open, 1);
            a.join();
            b.join();
            QVERIFY2(errors[0].empty(), errors[0].c_str());
            QVERIFY2(errors[1].empty(), errors[1].c_str());
            auto db = Database::open(path);
            REQUIRE_OK(db);
            QCOMPARE(count(*db, "SELECT count(*) FROM schema_migrations"), 3);
            QCOMPARE(count(*db, "PRAGMA user_version"), 3);
        }
    }

    // A process killed in the middle of a write in rollback-journal mode (the first open of a
    // new file writes its schema before the switch to WAL) leaves a hot journal beside the
    // file. The next open rolls it back and sees the last commit. Before, openMigrated's first
    // look (a read-only connection) failed on every open with "attempt to write a readonly
    // database" (SQLITE_READONLY_ROLLBACK): found by agents_test_session_crash in CI.
    void hotJournalOfAKilledWriterIsRolledBackOnOpen() {
        const auto live = file("hot-live.db");
        auto liveJournal = live;
        liveJournal += "-journal";
        auto db = Database::open(live, {.wal = false});
        REQUIRE_OK(db);
        REQUIRE_OK(migrate(*db, kSchema));
        REQUIRE_OK(db->exec("INSERT INTO notes (body) VALUES ('committed')"));
        const auto committed = bytesOf(live);
        REQUIRE_OK(db->exec("PRAGMA cache_size = 2"));
        REQUIRE_OK(db->exec("BEGIN"));
        REQUIRE_OK(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 200) INSERT INTO notes (body) SELECT hex(randomblob(1000)) FROM n"));
        // The small cache spilled: the file holds uncommitted pages, the journal their
        // originals. Copy both as a SIGKILL leaves them (a dead process holds no lock).
        const auto crashed = file("hot.db");
        auto journal = crashed;
        journal += "-journal";
        writeBytes(crashed, bytesOf(live));
        writeBytes(journal, bytesOf(liveJournal));
        QVERIFY(bytesOf(crashed) != committed);
        QVERIFY(std::filesystem::file_size(journal) > 0);
        REQUIRE_OK(db->exec("ROLLBACK"));
        *db = Database();

        auto opened = openMigrated(crashed, kSchema);
        REQUIRE_OK(opened);
        QCOMPARE(count(*opened, "SELECT count(*) FROM notes"), 1);
        QCOMPARE(opened->queryText("SELECT body FROM notes").value_or(std::string()),
                 std::string("committed"));
        QCOMPARE(opened->queryText("PRAGMA integrity_check").value_or(std::string()), std::string("ok"));
        QCOMPARE(count(*opened, "SELECT count(*) FROM schema_migrations"), 3);
    }

    void foreignSqliteFileIsNotAnAtelierDatabase() {
        auto db = Database::open(file("foreign.db"));
        REQUIRE_OK(db);
        REQUIRE_OK(db->exec("CREATE TABLE photos (id INTEGER)"));
        auto v = migrate(*db, kSchema);
        QVERIFY(!v);
        QCOMPARE(v.error().code, ErrorCode::BadInput);
        QVERIFY(v.error().message.find("not an Atelier database") != std::string::npos);
        REQUIRE_OK(db->exec("PRAGMA application_id = 1096043595"));  // "ATLK", another kind
        auto other = migrate(*db, kSchema);
        QVERIFY(!other);
        QVERIFY(other.error().message.find("another kind of Atelier database") != std::string::npos);
    }

    void garbageAndTextFilesAreNotDatabases() {
        std::mt19937 rng(42);
        std::string garbage(8192, '\0');
        for (auto& c : garbage) c = static_cast<char>(rng());
        std::string fakeHeader = std::string("SQLite format 3") + '\0' + garbage.substr(16);
        const std::pair<const char*, std::string> cases[] = {
            {"garbage.db", garbage}, {"text.db", "hello, this is a text file\n"},
            {"fake-header.db", fakeHeader}};
        for (const auto& [name, bytes] : cases) {
            writeBytes(file(name), bytes);
            auto db = Database::open(file(name));
            QVERIFY2(!db, name);
            QCOMPARE(db.error().code, ErrorCode::BadInput);
            QVERIFY2(db.error().message.find("not a database") != std::string::npos,
                     db.error().message.c_str());
            QVERIFY(db.error().message.find(name) != std::string::npos);
        }
    }

    void truncatedDatabaseIsRefused() {
        const auto path = file("truncated.db");
        {
            auto db = Database::open(path);
            REQUIRE_OK(db);
            REQUIRE_OK(db->exec("CREATE TABLE t (x BLOB)"));
            REQUIRE_OK(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
                                "INSERT INTO t SELECT randomblob(1000) FROM n"));
        }  // the last close checkpoints the WAL into the file and removes it
        QVERIFY(!std::filesystem::exists(file("truncated.db-wal")));
        const auto full = bytesOf(path);
        QVERIFY(full.size() > 16384);
        for (std::size_t keep : {full.size() / 2, std::size_t{4096}, std::size_t{60}}) {
            writeBytes(path, full.substr(0, keep));
            auto db = Database::open(path);
            QVERIFY2(!db, std::to_string(keep).c_str());
            QCOMPARE(db.error().code, ErrorCode::BadInput);
            QVERIFY2(db.error().message.find("truncated") != std::string::npos,
                     db.error().message.c_str());
        }
    }

    void diskFullFailsTheWriteAndKeepsWhatWasCommitted() {
        auto db = Database::open(file("full.db"));
        REQUIRE_OK(db);
        REQUIRE_OK(db->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB)"));
        REQUIRE_OK(db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) "
                            "INSERT INTO t (x) SELECT randomblob(500) FROM n"));
        const auto pages = count(*db, "PRAGMA page_count");
        REQUIRE_OK(db->exec("PRAGMA max_page_count = " + std::to_string(pages + 4)));
        auto tx = Transaction::begin(*db);
        REQUIRE_OK(tx);
        auto ins = db->prepare("INSERT INTO t (x) VALUES (randomblob(3000))");
        REQUIRE_OK(ins);
        Result<void> r;
        for (int i = 0; i < 100 && r; ++i) r = ins->run();
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Io);
        QVERIFY2(r.error().message.find("full") != std::string::npos, r.error().message.c_str());
        tx->rollback();
        QCOMPARE(count(*db, "SELECT count(*) FROM t"), 20);
        QCOMPARE(db->queryText("PRAGMA integrity_check").value_or(std::string()), std::string("ok"));
        REQUIRE_OK(db->exec("INSERT INTO t (x) VALUES (x'01')"));  // still writable for small rows
        QCOMPARE(count(*db, "SELECT count(*) FROM t"), 21);
    }

    void blobStreamWritesAndReadsInPieces() {
        auto db = Database::open(file("blob.db"));
        REQUIRE_OK(db);
        REQUIRE_OK(db->exec("CREATE TABLE chunks (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"));
        auto ins = db->prepare("INSERT INTO chunks (data) VALUES (?1)");
        REQUIRE_OK(ins);
        constexpr int kBytes = 100000;
        REQUIRE_OK(ins->bindZeroBlob(1, kBytes));
        REQUIRE_OK(ins->run());
        const auto rowid = db->lastInsertRowId();
        std::vector<std::byte> data(kBytes);
        for (int i = 0; i < kBytes; ++i) data[i] = std::byte(static_cast<unsigned char>(i * 31 + 7));
        {
            auto blob = db->openBlob("chunks", "data", rowid, true);
            REQUIRE_OK(blob);
            QCOMPARE(blob->size(), kBytes);
            for (int off = 0; off < kBytes; off += 4096) {
                const int n = std::min(4096, kBytes - off);
                REQUIRE_OK(blob->write(off, std::span(data).subspan(off, n)));
            }
            QVERIFY(!blob->write(kBytes - 1, std::span(data).first(2)));  // past the end
        }
        auto blob = db->openBlob("chunks", "data", rowid, false);
        REQUIRE_OK(blob);
        std::vector<std::byte> back(kBytes);
        REQUIRE_OK(blob->read(0, back));
        QVERIFY(back == data);
        auto sel = db->prepare("SELECT data FROM chunks WHERE id = ?1");
        REQUIRE_OK(sel);
        REQUIRE_OK(sel->bind(1, rowid));
        QVERIFY(sel->step().value_or(false));
        QVERIFY(std::equal(data.begin(), data.end(), sel->columnBlob(0).begin()));
        QVERIFY(!db->openBlob("chunks", "data", rowid + 1, false));
    }
};

QTEST_APPLESS_MAIN(TestSqlite)
#include "test_sqlite.moc"
