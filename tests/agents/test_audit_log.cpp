// ctest-labels: unit
// The audit log: records chain by SHA-256 (checked against the FIPS 180-2 test vectors); an
// intact log verifies; editing a payload, deleting a record, swapping two records or changing
// a hash is found and the first broken seq is named; the table refuses UPDATE and DELETE;
// AuditedToolContext records every policy decision and read, and refuses when it cannot.
// Issue 21: the anchor beside the database catches records cut off the end, an emptied log
// and a file truncated to 0 bytes; the hash covers the stored bytes (a duplicate-key edit
// breaks it); older logs are anchored with their legacy records on open; heads claimed by
// records outside the log (team runs) are checked as well.

#include <atomic>
#include <fstream>
#include <thread>

#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/audited_tool_context.h"
#include "atelier/agents/policy.h"
#include "atelier/base/schema_migrations.h"

using namespace atelier;
using namespace atelier::agents;

namespace {

#define REQUIRE_OK(expr)                                                            \
    do {                                                                            \
        auto&& r_ = (expr);                                                         \
        QVERIFY2(r_.has_value(), r_.has_value() ? "" : r_.error().message.c_str()); \
    } while (0)

std::filesystem::path dbPath(const QTemporaryDir& dir) {
    return std::filesystem::path(dir.path().toStdString()) / "audit.db";
}

// Five records of different kinds; returns the open log.
AuditLog makeLog(const QTemporaryDir& dir) {
    auto log = AuditLog::open(dbPath(dir));
    if (!log) qFatal("open: %s", log.error().message.c_str());
    (void)log->append(AuditKind::ModelLoad, "cli", {{"model", "/m/tiny"}});
    (void)log->append(AuditKind::Prompt, "analyst", {{"text", "summarise the report"}});
    (void)log->append(AuditKind::PolicyDecision, "analyst",
                      {{"path", "/w/a.txt"}, {"allowed", true}, {"reason", "grant /w"}});
    (void)log->append(AuditKind::FileRead, "analyst", {{"path", "/w/a.txt"}});
    (void)log->append(AuditKind::ToolCall, "analyst", {{"tool", "files_read"}, {"ok", true}});
    return std::move(*log);
}

void tamper(AuditLog& log, const char* sql) {
    auto& db = log.database();
    auto r = db.exec(std::string("DROP TRIGGER IF EXISTS audit_log_no_update;"
                                 "DROP TRIGGER IF EXISTS audit_log_no_delete;") + sql);
    if (!r) qFatal("tamper: %s", r.error().message.c_str());
}

}  // namespace

class TestAuditLog : public QObject {
    Q_OBJECT
private slots:
    void sha256MatchesTheStandardVectors() {
        // FIPS 180-2 appendix B.1 and the empty message.
        QCOMPARE(auditChainHash("", "abc"),
                 std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(auditChainHash("a", "bc"), auditChainHash("", "abc"));
        QCOMPARE(auditChainHash("", ""),
                 std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    void appendedRecordsChainAndVerify() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        std::vector<AuditRecord> records;
        REQUIRE_OK(log.forEach([&](const AuditRecord& r) { records.push_back(r); }));
        QCOMPARE(records.size(), std::size_t(5));
        std::string prev(64, '0');
        for (std::size_t i = 0; i < records.size(); ++i) {
            QCOMPARE(records[i].seq, std::int64_t(i + 1));
            QCOMPARE(records[i].prevHash, prev);
            QCOMPARE(records[i].hash, auditChainHash(prev, records[i].canonicalContent()));
            prev = records[i].hash;
        }
        QCOMPARE(records[3].kind, std::string("file_read"));
        QCOMPARE(records[3].payload["path"].get<std::string>(), std::string("/w/a.txt"));
        auto v = log.verify();
        REQUIRE_OK(v);
        QVERIFY(v->ok());
        QCOMPARE(v->records, std::int64_t(5));
        QCOMPARE(v->headHash, prev);
    }

    void reopenedLogContinuesTheChain() {
        QTemporaryDir dir;
        { auto log = makeLog(dir); }
        auto log = AuditLog::open(std::filesystem::path(dir.path().toStdString()) / "audit.db");
        REQUIRE_OK(log);
        auto r = log->append(AuditKind::Approval, "user", {{"approved", false}});
        REQUIRE_OK(r);
        QCOMPARE(r->seq, std::int64_t(6));
        auto v = log->verify();
        QVERIFY(v && v->ok() && v->records == 6);
    }

    void tableRefusesUpdateAndDelete() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        QVERIFY(!log.database().exec("UPDATE audit_log SET actor = 'x' WHERE seq = 2"));
        QVERIFY(!log.database().exec("DELETE FROM audit_log WHERE seq = 5"));
        QVERIFY(log.verify()->ok());
    }

    void tamperingIsFoundAtTheFirstBrokenSeq_data() {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<qint64>("brokenSeq");
        QTest::newRow("edit payload") << "UPDATE audit_log SET payload = '{\"text\":\"other\"}' WHERE seq = 2" << qint64(2);
        QTest::newRow("edit actor") << "UPDATE audit_log SET actor = 'root' WHERE seq = 4" << qint64(4);
        QTest::newRow("delete middle") << "DELETE FROM audit_log WHERE seq = 3" << qint64(4);
        QTest::newRow("delete first") << "DELETE FROM audit_log WHERE seq = 1" << qint64(2);
        QTest::newRow("swap 2 and 3")
            << "UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;"
               "UPDATE audit_log SET seq = 3 WHERE seq = -2"
            << qint64(2);
        QTest::newRow("change hash") << "UPDATE audit_log SET hash = CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END"
                                        " || substr(hash, 2) WHERE seq = 3" << qint64(3);
        QTest::newRow("empty payload")
            << "UPDATE audit_log SET payload = '{}' WHERE seq = 3" << qint64(3);
    }
    void tamperingIsFoundAtTheFirstBrokenSeq() {
        QFETCH(QString, sql);
        QFETCH(qint64, brokenSeq);
        QTemporaryDir dir;
        auto log = makeLog(dir);
        tamper(log, sql.toUtf8().constData());
        auto v = log.verify();
        REQUIRE_OK(v);
        QVERIFY(!v->ok());
        QCOMPARE(qint64(*v->brokenSeq), brokenSeq);
        QVERIFY(!v->reason.empty());
    }

    void recomputedHashStillBreaksTheNextLink() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        std::vector<AuditRecord> records;
        REQUIRE_OK(log.forEach([&](const AuditRecord& r) { records.push_back(r); }));
        AuditRecord forged = records[2];
        forged.payload = {{"path", "/w/other.txt"}, {"allowed", true}, {"reason", "grant /w"}};
        forged.storedPayload = forged.payload.dump();
        forged.hash = auditChainHash(forged.prevHash, forged.canonicalContent());
        tamper(log, ("UPDATE audit_log SET payload = '" + forged.payload.dump() + "', hash = '" +
                     forged.hash + "' WHERE seq = 3").c_str());
        auto v = log.verify();
        REQUIRE_OK(v);
        QCOMPARE(v->brokenSeq.value_or(-1), std::int64_t(4));
    }

    void auditedContextRecordsDecisionsReadsAndCalls() {
        QTemporaryDir dir;
        const std::filesystem::path root(dir.path().toStdString());
        std::filesystem::create_directories(root / "ws");
        std::filesystem::create_directories(root / "data");
        std::ofstream(root / "ws" / "a.txt") << "x\n";
        auto log = AuditLog::open(root / "data" / "audit.db");
        REQUIRE_OK(log);
        const Policy policy({{root / "ws", Access::Read}}, root / "data");
        const PolicyToolContext inner(policy, root / "ws");
        const AuditedToolContext ctx(inner, *log, "analyst");
        QVERIFY(ctx.resolve("a.txt", Access::Read).has_value());
        QVERIFY(!ctx.resolve("../data/audit.db", Access::Read).has_value());
        QVERIFY(!ctx.resolve("a.txt", Access::Write).has_value());
        REQUIRE_OK(ctx.recordCall("files_read", {{"path", "a.txt"}}, atelier::Result<ToolResult>(ToolResult{})));
        std::vector<AuditRecord> records;
        REQUIRE_OK(log->forEach([&](const AuditRecord& r) { records.push_back(r); }));
        QCOMPARE(records.size(), std::size_t(5));
        QCOMPARE(records[0].kind, std::string("policy_decision"));
        QCOMPARE(records[0].payload["allowed"].get<bool>(), true);
        QCOMPARE(records[1].kind, std::string("file_read"));
        QCOMPARE(records[2].payload["allowed"].get<bool>(), false);
        QVERIFY(!records[2].payload["reason"].get<std::string>().empty());
        QCOMPARE(records[3].payload["access"].get<std::string>(), std::string("write"));
        QCOMPARE(records[4].kind, std::string("tool_call"));
        QCOMPARE(records[4].actor, std::string("analyst"));
        QVERIFY(log->verify()->ok());
        // A log that refuses writes makes the context refuse access (fail closed).
        REQUIRE_OK(log->database().exec("CREATE TRIGGER no_insert BEFORE INSERT ON audit_log "
                                        "BEGIN SELECT RAISE(ABORT, 'full'); END;"));
        auto refused = ctx.resolve("a.txt", Access::Read);
        QVERIFY(!refused.has_value());
        QVERIFY(refused.error().message.find("audit log") != std::string::npos);
    }

    void cutOffEndIsFoundByTheAnchor_data() {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<qint64>("records");
        QTest::newRow("delete newest") << "DELETE FROM audit_log WHERE seq = 5" << qint64(4);
        QTest::newRow("delete newest two") << "DELETE FROM audit_log WHERE seq >= 4" << qint64(3);
        QTest::newRow("delete all") << "DELETE FROM audit_log" << qint64(0);
    }
    void cutOffEndIsFoundByTheAnchor() {
        QFETCH(QString, sql);
        QFETCH(qint64, records);
        QTemporaryDir dir;
        auto log = makeLog(dir);
        tamper(log, sql.toUtf8().constData());
        auto v = log.verify();
        REQUIRE_OK(v);
        QVERIFY(!v->ok());
        QCOMPARE(qint64(v->records), records);
        QCOMPARE(qint64(*v->brokenSeq), records + 1);
        QVERIFY2(v->reason.find("counts 5 records") != std::string::npos, v->reason.c_str());
        QVERIFY2(v->reason.find("removed from the end") != std::string::npos, v->reason.c_str());
        // Later appends do not paper over it: the anchor keeps its evidence.
        for (int i = 0; i < 6; ++i) REQUIRE_OK(log.append(AuditKind::Prompt, "mallory", {{"i", i}}));
        auto after = log.verify();
        REQUIRE_OK(after);
        QVERIFY(!after->ok());
        QVERIFY2(after->reason.find("replaced or rewritten") != std::string::npos, after->reason.c_str());
    }

    void fileTruncatedToZeroBytesFailsVerify() {
        QTemporaryDir dir;
        { auto log = makeLog(dir); }
        const auto db = dbPath(dir);
        std::filesystem::resize_file(db, 0);
        for (const char* side : {"-wal", "-shm"}) std::filesystem::remove(db.string() + side);
        auto log = AuditLog::open(db);
        REQUIRE_OK(log);
        auto v = log->verify();
        REQUIRE_OK(v);
        QVERIFY(!v->ok());
        QCOMPARE(v->records, std::int64_t(0));
        QVERIFY2(v->reason.find("counts 5 records") != std::string::npos, v->reason.c_str());
        // An append to the emptied log (the next tool call) still leaves verify failing.
        REQUIRE_OK(log->append(AuditKind::Prompt, "cli", {{"text", "hello"}}));
        QVERIFY(!log->verify()->ok());
    }

    void duplicateKeyEditBreaksTheHash() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        // Parses to the same JSON as before (the last duplicate wins), but the bytes differ.
        tamper(log, "UPDATE audit_log SET payload = '{\"path\":\"/etc/shadow\",\"path\":\"/w/a.txt\"}'"
                    " WHERE seq = 4");
        std::vector<AuditRecord> records;
        REQUIRE_OK(log.forEach([&](const AuditRecord& r) { records.push_back(r); }));
        QCOMPARE(records[3].payload, nlohmann::json({{"path", "/w/a.txt"}}));
        auto v = log.verify();
        REQUIRE_OK(v);
        QCOMPARE(v->brokenSeq.value_or(-1), std::int64_t(4));
        QVERIFY2(v->reason.find("edited") != std::string::npos, v->reason.c_str());
    }

    void anchorFollowsAppendsAndReanchorAcceptsALostOne() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        const auto anchorFile = AuditLog::anchorPath(dbPath(dir));
        auto v = log.verify();
        QVERIFY(v && v->ok() && v->anchor && v->anchor->records == 5 && v->anchor->head == v->headHash);
        QCOMPARE(v->unanchored, std::int64_t(0));
        std::filesystem::remove(anchorFile);
        v = log.verify();
        QVERIFY(v && !v->ok());
        QVERIFY2(v->reason.find("is missing") != std::string::npos, v->reason.c_str());
        REQUIRE_OK(log.append(AuditKind::Prompt, "cli", {{"text", "x"}}));
        QVERIFY(!std::filesystem::exists(anchorFile));  // not recreated behind the user's back
        auto a = log.reanchor();
        REQUIRE_OK(a);
        QCOMPARE(a->records, std::int64_t(6));
        QVERIFY(log.verify()->ok());
        // A damaged anchor is an error, not a pass.
        std::ofstream(anchorFile) << "{\"records\": \"many\"}";
        auto damaged = log.verify();
        QVERIFY(!damaged);
        QVERIFY(damaged.error().message.find("anchor is damaged") != std::string::npos);
        // A broken chain cannot be re-anchored.
        tamper(log, "UPDATE audit_log SET actor = 'x' WHERE seq = 2");
        QVERIFY(!log.reanchor());
    }

    // Issue 21: heads kept outside the log (a run's) are checked by verify: a log cut back
    // behind one fails naming its owner even when the anchor file was put back to match.
    void claimedHeadsOutsideTheLogAreChecked() {
        QTemporaryDir dir;
        auto log = makeLog(dir);
        auto before = log.verify();
        REQUIRE_OK(before);
        auto head = log.head();
        REQUIRE_OK(head);
        QCOMPARE(head->records, std::int64_t(5));
        QCOMPARE(head->hash, before->headHash);
        std::string hash3;
        REQUIRE_OK(log.forEach([&](const AuditRecord& r) {
            if (r.seq == 3) hash3 = r.hash;
        }));
        const std::vector<AuditHeadClaim> claims = {{"run 1", {3, hash3}}, {"run 2", *head}};
        auto ok = log.verify(claims);
        REQUIRE_OK(ok);
        QVERIFY2(ok->ok(), ok->reason.c_str());
        QVERIFY(ok->claimFailures.empty());

        // Records 5 and on deleted, and the anchor rewritten to the shortened log's head.
        tamper(log, "DELETE FROM audit_log WHERE seq >= 5");
        auto cut = log.verify(claims);
        REQUIRE_OK(cut);
        QVERIFY(!cut->ok());  // the anchor alone sees it
        QCOMPARE(cut->claimFailures.size(), std::size_t(1));
        REQUIRE_OK(log.reanchor());  // what an attacker's forged anchor file amounts to
        QVERIFY(log.verify()->ok());
        auto forged = log.verify(claims);
        REQUIRE_OK(forged);
        QVERIFY(!forged->ok());
        QCOMPARE(forged->brokenSeq.value_or(-1), std::int64_t(5));
        QVERIFY2(forged->reason.find("run 2 recorded the log at 5 records") != std::string::npos,
                 forged->reason.c_str());
        QVERIFY2(forged->reason.find("removed from the end") != std::string::npos, forged->reason.c_str());
        QCOMPARE(forged->claimFailures.size(), std::size_t(1));
        QCOMPARE(forged->claimFailures[0].claim, std::size_t(1));

        // Appending back up to five records gives record 5 another hash: still refused.
        REQUIRE_OK(log.append(AuditKind::Prompt, "mallory", {{"text", "filler"}}));
        auto refilled = log.verify(claims);
        REQUIRE_OK(refilled);
        QVERIFY(!refilled->ok());
        QVERIFY2(refilled->reason.find("run 2") != std::string::npos &&
                     refilled->reason.find("replaced or rewritten") != std::string::npos,
                 refilled->reason.c_str());
        auto checked = log.checkClaims(claims);
        REQUIRE_OK(checked);
        QCOMPARE(checked->size(), std::size_t(1));

        // A claim that is not a head at all fails too.
        auto junk = log.verify({{"run 9", {2, "not a hash"}}});
        REQUIRE_OK(junk);
        QVERIFY(!junk->ok());
        QVERIFY2(junk->reason.find("not a valid head") != std::string::npos, junk->reason.c_str());
    }

    void concurrentAppendersKeepTheAnchorInStep() {
        QTemporaryDir dir;
        { auto log = makeLog(dir); }
        std::atomic<int> failures{0};
        auto writer = [&](const char* actor) {
            auto log = AuditLog::open(dbPath(dir));
            if (!log) return void(++failures);
            for (int i = 0; i < 40; ++i)
                if (!log->append(AuditKind::Prompt, actor, {{"i", i}})) ++failures;
        };
        std::thread a(writer, "a"), b(writer, "b");
        a.join();
        b.join();
        QCOMPARE(failures.load(), 0);
        auto log = AuditLog::open(dbPath(dir));
        REQUIRE_OK(log);
        auto v = log->verify();
        REQUIRE_OK(v);
        QVERIFY2(v->ok(), v->reason.c_str());
        QCOMPARE(v->records, std::int64_t(85));
        QCOMPARE(v->unanchored, std::int64_t(0));
    }

    // A log written before anchoring (format 1 records, no anchor file) opens, is anchored with
    // its legacy records, verifies and goes on with format 2; a format-1 record past the
    // legacy ones is refused.
    void legacyLogIsAnchoredOnOpen() {
        QTemporaryDir dir;
        const auto path = dbPath(dir);
        {
            auto db = base::Database::open(path);
            REQUIRE_OK(db);
            const base::Migration v1[] = {
                {1, "audit log",
                 "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time TEXT NOT NULL,"
                 " kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL,"
                 " prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"}};
            REQUIRE_OK(base::migrate(*db, base::Schema{"audit log", 0x41544C41, v1}));
            std::string prev(64, '0');
            for (int seq = 1; seq <= 3; ++seq) {
                AuditRecord r;
                r.seq = seq;
                r.time = "2025-01-01T00:00:00.000Z";
                r.kind = "prompt";
                r.actor = "old";
                r.payload = {{"b", seq}, {"a", "x"}};
                r.format = 1;
                r.prevHash = prev;
                r.hash = auditChainHash(prev, r.canonicalContent());
                auto st = db->prepare("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)");
                REQUIRE_OK(st);
                REQUIRE_OK(st->bindAll(r.seq, r.time, r.kind, r.actor, std::string("{\"b\": ") +
                                           std::to_string(seq) + ", \"a\": \"x\"}",
                                       r.prevHash, r.hash));
                REQUIRE_OK(st->run());
                prev = r.hash;
            }
        }
        QVERIFY(!std::filesystem::exists(AuditLog::anchorPath(path)));
        auto log = AuditLog::open(path);
        REQUIRE_OK(log);
        auto v = log->verify();
        REQUIRE_OK(v);
        QVERIFY2(v->ok(), v->reason.c_str());
        QCOMPARE(v->anchor->legacyRecords, std::int64_t(3));
        auto r = log->append(AuditKind::Prompt, "new", {{"text", "hi"}});
        REQUIRE_OK(r);
        QCOMPARE(r->format, 2);
        v = log->verify();
        QVERIFY(v && v->ok() && v->records == 4 && v->anchor->records == 4);
        tamper(*log, "UPDATE audit_log SET format = 1 WHERE seq = 4");
        v = log->verify();
        QCOMPARE(v->brokenSeq.value_or(-1), std::int64_t(4));
    }

    void kindNamesRoundTrip() {
        for (auto k : {AuditKind::ModelLoad, AuditKind::Prompt, AuditKind::ToolCall,
                       AuditKind::FileRead, AuditKind::PolicyDecision, AuditKind::Approval})
            QCOMPARE(auditKindFromName(auditKindName(k)), std::optional<AuditKind>(k));
        QVERIFY(!auditKindFromName("shell"));
    }
};

QTEST_APPLESS_MAIN(TestAuditLog)
#include "test_audit_log.moc"
