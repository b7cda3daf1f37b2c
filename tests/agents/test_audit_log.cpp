// ctest-labels: unit
// The audit log: records chain by SHA-256 (checked against the FIPS 180-2 test vectors); an
// intact log verifies; editing a payload, deleting a record, swapping two records or changing
// a hash is found and the first broken seq is named; the table refuses UPDATE and DELETE;
// AuditedToolContext records every policy decision and read, and refuses when it cannot.

#include <fstream>

#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/audited_tool_context.h"
#include "atelier/agents/policy.h"

using namespace atelier;
using namespace atelier::agents;

namespace {

#define REQUIRE_OK(expr)                                                            \
    do {                                                                            \
        auto&& r_ = (expr);                                                         \
        QVERIFY2(r_.has_value(), r_.has_value() ? "" : r_.error().message.c_str()); \
    } while (0)

// Five records of different kinds; returns the open log.
AuditLog makeLog(const QTemporaryDir& dir) {
    auto log = AuditLog::open(std::filesystem::path(dir.path().toStdString()) / "audit.db");
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

    void kindNamesRoundTrip() {
        for (auto k : {AuditKind::ModelLoad, AuditKind::Prompt, AuditKind::ToolCall,
                       AuditKind::FileRead, AuditKind::PolicyDecision, AuditKind::Approval})
            QCOMPARE(auditKindFromName(auditKindName(k)), std::optional<AuditKind>(k));
        QVERIFY(!auditKindFromName("shell"));
    }
};

QTEST_APPLESS_MAIN(TestAuditLog)
#include "test_audit_log.moc"
