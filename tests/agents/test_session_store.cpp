// ctest-labels: unit
// The session store: sessions, messages, runs, steps and approvals round-trip; every earlier
// schema version migrates with a backup; newer, foreign and damaged files are refused; search
// finds non-ASCII words and follows updates and deletes; export → import → export is the same
// up to ids; a failed write (disk full, a bad import) leaves nothing behind; runs keep the
// audit log's head from when they finished.

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/session_export.h"
#include "atelier/agents/session_store.h"

using namespace atelier;
using namespace atelier::agents;

namespace {

#define REQUIRE_OK(expr)                                                            \
    do {                                                                            \
        auto&& r_ = (expr);                                                         \
        QVERIFY2(r_.has_value(), r_.has_value() ? "" : r_.error().message.c_str()); \
    } while (0)

std::int64_t count(base::Database& db, const std::string& sql) {
    auto n = db.queryInt(sql);
    return n ? *n : -1;
}

// Replaces every id in an exported session by its position, so two exports of the same
// content from different databases compare equal.
nlohmann::json withoutIds(const std::string& text) {
    auto doc = nlohmann::json::parse(text);
    doc["session"]["id"] = 0;
    std::map<std::int64_t, std::int64_t> ordinal;
    for (auto& m : doc["messages"]) {
        const auto n = static_cast<std::int64_t>(ordinal.size());
        ordinal[m["id"].get<std::int64_t>()] = n;
        m["id"] = n;
        if (!m["parent_id"].is_null()) m["parent_id"] = ordinal.at(m["parent_id"].get<std::int64_t>());
    }
    int i = 0;
    for (auto& r : doc["runs"]) {
        r["id"] = i++;
        int j = 0;
        for (auto& s : r["steps"]) s["id"] = j++;
        j = 0;
        for (auto& a : r["approvals"]) a["id"] = j++;
    }
    return doc;
}

// A team session with every kind of record: reasoning, tool calls with backticks,
// a tool result, parents, a run with steps and approvals.
std::int64_t populate(SessionStore& store) {
    Session s;
    s.title = "Review of Grüße.pdf";
    s.kind = SessionKind::Team;
    s.folder = "/home/u/docs";
    s.model = "tiny";
    s.favourite = true;
    s.createdMs = 1764300000000;
    s.sampling = R"({"temperature":0.7,"seed":null,"system_prompt":"Be brief."})";
    const auto sid = store.createSession(s).value_or(0);
    Message user{0, sid, "user", "Summarise the report, please.", "", "", "", "", {}, 1764300001000};
    const auto u = store.addMessage(user).value_or(0);
    Message assistant{0, sid, "assistant", "Reading it first.", "The user wants a summary.\nI should read it.",
                      "[{\"type\":\"function\",\"function\":{\"name\":\"files_read\","
                          "\"arguments\":\"{\\\"path\\\":\\\"a.md\\\"}\"}}]",
                      "", "manager", u, 1764300002000};
    assistant.sampling = R"({"model":"tiny","temperature":0.7,"seed":12345})";
    const auto a = store.addMessage(assistant).value_or(0);
    Message tool{0, sid, "tool", "", "", "", "line 1\n```code```\n", "manager", a, 1764300003000};
    store.addMessage(tool).value_or(0);
    Run run{0, sid, "review-team", "summarise", "running", 1764300000500, {}};
    const auto rid = store.createRun(run).value_or(0);
    store.addStep({0, rid, "manager", 0, "tool_call", "{\"tool\":\"files_read\"}", "ok", 1764300002500}).value_or(0);
    store.addStep({0, rid, "worker", 0, "generate", "{}", "", 1764300002600}).value_or(0);
    store.addApproval({0, rid, "manager", "files_read", "{\"path\":\"a.md\"}", "allow", "user", 1764300002700}).value_or(0);
    (void)store.finishRun(rid, "ok", 1764300009000);
    return sid;
}

}  // namespace

class TestSessionStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    int m_counter = 0;

    std::filesystem::path freshFile() {
        return std::filesystem::path(m_dir.path().toStdString()) /
               ("s" + std::to_string(++m_counter) + ".db");
    }

private slots:
    void sessionsAndMessagesRoundTrip() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = populate(*store);
        QVERIFY(sid > 0);
        auto s = store->session(sid);
        REQUIRE_OK(s);
        QCOMPARE(s->title, std::string("Review of Grüße.pdf"));
        QVERIFY(s->kind == SessionKind::Team);
        QVERIFY(s->favourite);
        QCOMPARE(s->createdMs, 1764300000000);
        QCOMPARE(s->updatedMs, 1764300003000);  // bumped by the last message
        auto msgs = store->messages(sid);
        REQUIRE_OK(msgs);
        QCOMPARE(msgs->size(), std::size_t{3});
        QCOMPARE((*msgs)[1].reasoning, std::string("The user wants a summary.\nI should read it."));
        QCOMPARE((*msgs)[1].parentId, std::optional<std::int64_t>((*msgs)[0].id));
        QCOMPARE((*msgs)[2].toolResults, std::string("line 1\n```code```\n"));
        QVERIFY(!(*msgs)[0].parentId);
        auto runs = store->runs(sid);
        REQUIRE_OK(runs);
        QCOMPARE(runs->size(), std::size_t{1});
        QCOMPARE((*runs)[0].status, std::string("ok"));
        QCOMPARE((*runs)[0].finishedMs, std::optional<std::int64_t>(1764300009000));
        QCOMPARE(store->steps((*runs)[0].id).value_or(std::vector<AgentStep>{}).size(), std::size_t{2});
        auto approvals = store->approvals((*runs)[0].id);
        REQUIRE_OK(approvals);
        QCOMPARE((*approvals)[0].decision, std::string("allow"));

        Session other;
        other.title = "later";
        other.createdMs = 1764400000000;
        const auto sid2 = store->createSession(other).value_or(0);
        auto list = store->listSessions();
        REQUIRE_OK(list);
        QCOMPARE(list->size(), std::size_t{2});
        QCOMPARE((*list)[0].session.id, sid2);  // most recently updated first
        QCOMPARE((*list)[1].messageCount, 3);

        s->title = "Renamed";
        REQUIRE_OK(store->updateSession(*s));
        QCOMPARE(store->session(sid)->title, std::string("Renamed"));
        REQUIRE_OK(store->deleteSession(sid));
        QCOMPARE(store->session(sid).error().code, ErrorCode::NotFound);
        auto& db = store->database();
        QCOMPARE(count(db, "SELECT count(*) FROM messages"), 0);
        QCOMPARE(count(db, "SELECT count(*) FROM runs"), 0);
        QCOMPARE(count(db, "SELECT count(*) FROM agent_steps"), 0);
        QCOMPARE(count(db, "SELECT count(*) FROM approvals"), 0);
    }

    // Issue 19: a session's sampling settings and each reply's record of them are stored,
    // updated, exported and imported; files and databases from before them read as "".
    void samplingSettingsRoundTrip() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = populate(*store);
        auto s = store->session(sid);
        REQUIRE_OK(s);
        QCOMPARE(s->sampling, std::string(R"({"temperature":0.7,"seed":null,"system_prompt":"Be brief."})"));
        QCOMPARE(store->messages(sid)->at(1).sampling, std::string(R"({"model":"tiny","temperature":0.7,"seed":12345})"));
        QCOMPARE(store->messages(sid)->at(0).sampling, std::string());
        s->sampling = R"({"temperature":1.2})";
        REQUIRE_OK(store->updateSession(*s));
        QCOMPARE(store->session(sid)->sampling, std::string(R"({"temperature":1.2})"));
        QCOMPARE(store->listSessions()->back().session.sampling, std::string(R"({"temperature":1.2})"));
        QCOMPARE(store->listSessions()->back().messageCount, 3);
        Session bad = *s;
        bad.sampling = "{not json";
        QVERIFY(!store->updateSession(bad).has_value());
        QCOMPARE(store->session(sid)->sampling, std::string(R"({"temperature":1.2})"));

        // An export written before the field existed imports with the defaults.
        auto doc = nlohmann::json::parse(sessionToJson(*store->load(sid)));
        QVERIFY(doc["session"].contains("sampling"));
        QVERIFY(doc["messages"][1].contains("sampling"));
        doc["session"].erase("sampling");
        for (auto& m : doc["messages"]) m.erase("sampling");
        auto old = sessionFromJson(doc.dump());
        REQUIRE_OK(old);
        QCOMPARE(old->session.sampling, std::string());
        QCOMPARE(old->messages[1].sampling, std::string());
        doc["session"]["sampling"] = "{broken";
        auto broken = sessionFromJson(doc.dump());
        QVERIFY(!broken.has_value());
        QVERIFY2(broken.error().message.find("session.sampling") != std::string::npos,
                 broken.error().message.c_str());
    }

    void invalidWritesChangeNothing() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        auto missing = store->addMessage({0, 999, "user", "hi", "", "", "", "", {}, 0});
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, ErrorCode::NotFound);
        const auto sid = store->createSession({}).value_or(0);
        const auto before = store->session(sid)->updatedMs;
        auto badJson = store->addMessage({0, sid, "assistant", "x", "", "{not json", "", "", {}, before + 5000});
        QVERIFY(!badJson);
        QCOMPARE(badJson.error().code, ErrorCode::BadInput);
        auto badRole = store->addMessage({0, sid, "wizard", "x", "", "", "", "", {}, before + 5000});
        QVERIFY(!badRole);
        QCOMPARE(count(store->database(), "SELECT count(*) FROM messages"), 0);
        QCOMPARE(store->session(sid)->updatedMs, before);  // the session bump rolled back too
    }

    void everyEarlierSchemaVersionMigrates() {
        const auto& schema = SessionStore::schema();
        for (int k = 0; k <= schema.latestVersion(); ++k) {
            const auto path = freshFile();
            {
                auto db = base::Database::open(path);
                REQUIRE_OK(db);
                REQUIRE_OK(base::migrate(*db, schema, {.targetVersion = k}));
                if (k >= 1)
                    REQUIRE_OK(db->exec(
                        "INSERT INTO sessions (id, title, kind, created_ms, updated_ms) "
                        "VALUES (1, 'old', 'chat', 1, 2);"
                        "INSERT INTO messages (session_id, role, content, created_ms) "
                        "VALUES (1, 'user', 'Überprüfung der Kernspaltung', 2)"));
                if (k >= 2)
                    REQUIRE_OK(db->exec("INSERT INTO runs (session_id, started_ms) VALUES (1, 3)"));
            }
            auto store = SessionStore::open(path);
            REQUIRE_OK(store);
            auto& db = store->database();
            QCOMPARE(count(db, "SELECT max(version) FROM schema_migrations"), schema.latestVersion());
            QCOMPARE(count(db, "SELECT count(*) FROM schema_migrations"), schema.latestVersion());
            QCOMPARE(std::filesystem::exists(base::migrationBackupPath(path, k)),
                     k >= 1 && k < schema.latestVersion());
            if (k >= 1) {
                QCOMPARE(store->messages(1)->size(), std::size_t{1});
                auto hits = store->search("uberprufung");  // indexed by the migration's rebuild
                REQUIRE_OK(hits);
                QCOMPARE(hits->size(), std::size_t{1});
            }
            if (k >= 2) QCOMPARE(store->runs(1)->size(), std::size_t{1});
            QCOMPARE(db.queryText("PRAGMA integrity_check").value_or(std::string()), std::string("ok"));
        }
    }

    void newerForeignAndDamagedFilesAreRefused() {
        const auto newer = freshFile();
        {
            auto store = SessionStore::open(newer);
            REQUIRE_OK(store);
            REQUIRE_OK(store->database().exec(
                "INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')"));
        }
        auto refused = SessionStore::open(newer);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::BadInput);
        QVERIFY2(refused.error().message.find("newer than this Atelier knows") != std::string::npos,
                 refused.error().message.c_str());

        const auto foreign = freshFile();
        {
            auto db = base::Database::open(foreign);
            REQUIRE_OK(db);
            REQUIRE_OK(db->exec("CREATE TABLE moz_places (id INTEGER)"));
        }
        auto notOurs = SessionStore::open(foreign);
        QVERIFY(!notOurs);
        QVERIFY(notOurs.error().message.find("not an Atelier database") != std::string::npos);

        const auto garbage = freshFile();
        std::ofstream(garbage) << "{\"this is\": \"json, not SQLite\"}\n";
        auto notDb = SessionStore::open(garbage);
        QVERIFY(!notDb);
        QCOMPARE(notDb.error().code, ErrorCode::BadInput);
        QVERIFY(notDb.error().message.find("not a database") != std::string::npos);
    }

    void searchFindsNonAsciiWordsAndFollowsChanges() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = store->createSession({0, "Reise", SessionKind::Chat}).value_or(0);
        const auto m1 = store->addMessage({0, sid, "user", "Viele Grüße aus dem Café in Ελληνικά 東京", "", "", "", "", {}, 0}).value_or(0);
        const auto m2 = store->addMessage({0, sid, "assistant", "plain answer", "thinking about zebras", "", "", "", m1, 0}).value_or(0);
        auto find = [&](const char* q) { return store->search(q).value_or(std::vector<SearchHit>{}); };
        QCOMPARE(find("grüße").size(), std::size_t{1});
        QCOMPARE(find("GRÜSSE").size(), std::size_t{0});  // ß is not ss: whole-word matching
        QCOMPARE(find("cafe").size(), std::size_t{1});     // accents folded
        QCOMPARE(find("ελληνικά").size(), std::size_t{1});  // Greek case folded
        QCOMPARE(find("東京").size(), std::size_t{1});
        QCOMPARE(find("gr*").size(), std::size_t{1});      // prefix
        auto hit = find("zebras");                          // reasoning is indexed too
        QCOMPARE(hit.size(), std::size_t{1});
        QCOMPARE(hit[0].messageId, m2);
        QCOMPARE(hit[0].sessionId, sid);
        QCOMPARE(hit[0].sessionTitle, std::string("Reise"));
        QVERIFY2(hit[0].snippet.find("[zebras]") != std::string::npos, hit[0].snippet.c_str());
        QCOMPARE(find("grüße zebras").size(), std::size_t{0});  // every word must occur
        REQUIRE_OK(store->search("\"unbalanced AND ( NEAR"));     // never an FTS syntax error
        QCOMPARE(find("").size(), std::size_t{0});

        Message edited = store->messages(sid)->at(1);
        edited.reasoning = "thinking about giraffes";
        REQUIRE_OK(store->updateMessage(edited));
        QCOMPARE(find("zebras").size(), std::size_t{0});
        QCOMPARE(find("giraffes").size(), std::size_t{1});
        REQUIRE_OK(store->deleteMessage(m2));
        QCOMPARE(find("giraffes").size(), std::size_t{0});
        QCOMPARE(find("grüße").size(), std::size_t{1});
        REQUIRE_OK(store->deleteSession(sid));  // cascaded deletes leave the index too
        QCOMPARE(find("grüße").size(), std::size_t{0});
        REQUIRE_OK(store->database().exec(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"));
    }

    // Issue 21: a run keeps the audit log's head from when it finished (checked by `audit
    // verify`); a resumed run's later finish without one keeps it; an imported run has none.
    void runsKeepTheirAuditHead() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = store->createSession({}).value_or(0);
        const auto plain = store->createRun({0, sid, "t", "no audit", "running", 1, {}}).value_or(0);
        const auto audited = store->createRun({0, sid, "t", "audited", "running", 2, {}}).value_or(0);
        const AuditHead head{12, std::string(64, 'a')};
        REQUIRE_OK(store->finishRun(plain, "ok"));
        REQUIRE_OK(store->finishRun(audited, "cancelled", 0, head));
        auto runs = store->runs(sid);
        REQUIRE_OK(runs);
        QVERIFY(!runs->at(0).audit);
        QVERIFY(runs->at(1).audit);
        QCOMPARE(runs->at(1).audit->records, std::int64_t(12));
        QCOMPARE(runs->at(1).audit->hash, head.hash);
        REQUIRE_OK(store->finishRun(audited, "ok"));  // resumed, finished without a log
        QCOMPARE(store->runs(sid)->at(1).audit->records, std::int64_t(12));
        REQUIRE_OK(store->finishRun(audited, "ok", 0, AuditHead{20, std::string(64, 'b')}));
        auto listed = store->auditedRuns();
        REQUIRE_OK(listed);
        QCOMPARE(listed->size(), std::size_t(1));
        QCOMPARE(listed->front().id, audited);
        QCOMPARE(listed->front().audit->records, std::int64_t(20));

        // The head is not exported, and an imported run has none (it belongs to another log).
        auto record = store->load(sid);
        REQUIRE_OK(record);
        QVERIFY(sessionToJson(*record).find(std::string(64, 'b')) == std::string::npos);
        REQUIRE_OK(store->insert(*record));  // the record still holds the head in memory
        QCOMPARE(store->auditedRuns()->size(), std::size_t(1));

        // Half a head is refused by the table.
        QVERIFY(!store->database().exec("UPDATE runs SET audit_head = NULL WHERE id = " + std::to_string(audited)));
        REQUIRE_OK(store->clearRunAudit(audited));
        QVERIFY(store->auditedRuns()->empty());
        QCOMPARE(store->clearRunAudit(9999).error().code, ErrorCode::NotFound);
    }

    void exportImportExportIsIdenticalUpToIds() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = populate(*store);
        auto record = store->load(sid);
        REQUIRE_OK(record);
        const std::string first = sessionToJson(*record);
        auto parsed = sessionFromJson(first);
        REQUIRE_OK(parsed);
        auto other = SessionStore::open(freshFile());
        REQUIRE_OK(other);
        (void)other->createSession({});  // so that ids differ from the source's
        auto newId = other->insert(*parsed);
        REQUIRE_OK(newId);
        QVERIFY(*newId != sid);
        const std::string second = sessionToJson(*other->load(*newId));
        QVERIFY(first != second);  // the ids changed...
        QCOMPARE(withoutIds(second), withoutIds(first));  // ...and nothing else
        // Within one database too: a copy next to the original.
        auto copy = store->insert(*parsed);
        REQUIRE_OK(copy);
        QCOMPARE(withoutIds(sessionToJson(*store->load(*copy))), withoutIds(first));
        QCOMPARE(store->messages(*copy)->at(1).parentId,
                 std::optional<std::int64_t>(store->messages(*copy)->at(0).id));
    }

    void markdownIsReadable() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const std::string md = sessionToMarkdown(*store->load(populate(*store)));
        QVERIFY(md.starts_with("# Review of Grüße\\.pdf\n"));  // a title: every punctuation mark escaped
        QVERIFY(md.find("## User\n\nSummarise the report, please.") != std::string::npos);
        QVERIFY(md.find("## Assistant · manager\n\n<details>\n<summary>Reasoning</summary>\n\n"
                        "The user wants a summary.\\\nI should read it.\n\n</details>") != std::string::npos);  // a hard break
        QVERIFY(md.find("**Tool calls**\n\n```json\n[\n  {\n    \"type\": \"function\"") != std::string::npos);
        // The result contains ``` itself, so its fence must be longer.
        QVERIFY(md.find("````\nline 1\n```code```\n````") != std::string::npos);
        QVERIFY(md.find("### Run") != std::string::npos);
        QVERIFY(md.find("**allow** by user") != std::string::npos);
    }

    void malformedOrNewerImportsAreRejected() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const std::string good = sessionToJson(*store->load(populate(*store)));
        auto mutate = [&](auto fn) {
            auto doc = nlohmann::json::parse(good);
            fn(doc);
            return sessionFromJson(doc.dump());
        };
        auto expectError = [](const Result<SessionRecord>& r, const char* needle) {
            QVERIFY(!r);
            QCOMPARE(r.error().code, ErrorCode::BadInput);
            QVERIFY2(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
        };
        expectError(sessionFromJson(good.substr(0, good.size() / 2)), "not valid JSON");
        expectError(mutate([](auto& d) { d["version"] = 2; }), "newer than this Atelier reads");
        expectError(mutate([](auto& d) { d["format"] = "chatgpt"; }), "not an Atelier session file");
        expectError(mutate([](auto& d) { d["messages"][1].erase("role"); }), "messages[1].role: missing");
        expectError(mutate([](auto& d) { d["messages"][0]["created_ms"] = "yesterday"; }),
                    "messages[0].created_ms: expected an integer");
        expectError(mutate([](auto& d) { d["messages"][0]["parent_id"] = 12345; }), "messages[0].parent_id");
        expectError(mutate([](auto& d) { d["runs"][0]["steps"][0]["payload"] = "{oops"; }),
                    "runs[0].steps[0].payload: expected JSON text");
        expectError(mutate([](auto& d) { d["session"]["kind"] = "solo"; }), "session.kind");

        // A record that parses but cannot be stored (two steps with one index) leaves nothing.
        auto record = sessionFromJson(good);
        REQUIRE_OK(record);
        record->runs[0].steps[1] = record->runs[0].steps[0];
        const auto sessions = count(store->database(), "SELECT count(*) FROM sessions");
        const auto messages = count(store->database(), "SELECT count(*) FROM messages");
        QVERIFY(!store->insert(*record));
        QCOMPARE(count(store->database(), "SELECT count(*) FROM sessions"), sessions);
        QCOMPARE(count(store->database(), "SELECT count(*) FROM messages"), messages);
    }

    void concurrentWritersOnOneFileAllSucceed() {
        // Two connections (one per thread, as the header asks) write at once: WAL, busy_timeout
        // and BEGIN IMMEDIATE make them take turns instead of failing with SQLITE_BUSY.
        const auto path = freshFile();
        REQUIRE_OK(SessionStore::open(path));  // migrate once, before the race
        constexpr int kPerThread = 150;
        std::atomic<int> failures{0};
        auto writer = [&](const char* title) {
            auto store = SessionStore::open(path);
            if (!store) return void(++failures);
            const auto sid = store->createSession({0, title}).value_or(0);
            for (int i = 0; i < kPerThread; ++i)
                if (!store->addMessage({0, sid, "user", title + std::to_string(i), "", "", "", "", {}, 0}))
                    ++failures;
        };
        std::thread a(writer, "alpha"), b(writer, "beta");
        a.join();
        b.join();
        QCOMPARE(failures.load(), 0);
        auto store = SessionStore::open(path);
        REQUIRE_OK(store);
        QCOMPARE(count(store->database(), "SELECT count(*) FROM messages"), 2 * kPerThread);
    }

    // Issue 21: two processes opening a fresh data folder at once both migrate it (before,
    // about one race in four failed with "table schema_migrations already exists").
    void twoProcessesOpeningAFreshFileBothSucceed() {
        for (int round = 0; round < 20; ++round) {
            const auto path = freshFile();
            int pipeFds[2];
            QCOMPARE(::pipe(pipeFds), 0);
            pid_t children[2];
            for (pid_t& child : children) {
                child = ::fork();
                if (child == 0) {
                    char go = 0;
                    ::close(pipeFds[1]);
                    (void)!::read(pipeFds[0], &go, 1);  // start together
                    auto store = SessionStore::open(path);
                    if (!store) std::fprintf(stderr, "%s\n", store.error().message.c_str());
                    ::_exit(store ? 0 : 1);
                }
            }
            ::close(pipeFds[0]);
            ::close(pipeFds[1]);  // EOF releases both at once
            for (pid_t child : children) {
                int status = -1;
                QCOMPARE(::waitpid(child, &status, 0), child);
                QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                         ("round " + std::to_string(round) + ": a process failed to open").c_str());
            }
            auto store = SessionStore::open(path);
            REQUIRE_OK(store);
            QCOMPARE(count(store->database(), "SELECT count(*) FROM schema_migrations"),
                     SessionStore::schema().latestVersion());
        }
    }

    // Issue 21: a user_version newer than this build (without a migration row) is refused
    // and the file is not written.
    void newerUserVersionIsRefusedUnwritten() {
        const auto path = freshFile();
        {
            auto store = SessionStore::open(path);
            REQUIRE_OK(store);
            REQUIRE_OK(store->database().exec("PRAGMA user_version = 42"));
        }
        auto bytes = [&] {
            std::ifstream in(path, std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(in), {});
        };
        const auto before = bytes();
        auto refused = SessionStore::open(path);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.find("version 42, newer than this Atelier knows") !=
                     std::string::npos,
                 refused.error().message.c_str());
        QCOMPARE(bytes(), before);
    }

    void diskFullFailsTheMessageAndKeepsTheSession() {
        auto store = SessionStore::open(freshFile());
        REQUIRE_OK(store);
        const auto sid = populate(*store);
        auto& db = store->database();
        const auto pages = count(db, "PRAGMA page_count");
        REQUIRE_OK(db.exec("PRAGMA max_page_count = " + std::to_string(pages + 2)));
        const std::string huge(200000, 'x');
        auto r = store->addMessage({0, sid, "user", huge, "", "", "", "", {}, 0});
        QVERIFY(!r);
        QCOMPARE(r.error().code, ErrorCode::Io);
        QVERIFY(!db.inTransaction());
        QCOMPARE(store->messages(sid)->size(), std::size_t{3});
        QCOMPARE(db.queryText("PRAGMA integrity_check").value_or(std::string()), std::string("ok"));
        REQUIRE_OK(db.exec("PRAGMA max_page_count = 1073741823"));
        REQUIRE_OK(store->addMessage({0, sid, "user", huge, "", "", "", "", {}, 0}));
    }
};

QTEST_APPLESS_MAIN(TestSessionStore)
#include "test_session_store.moc"
