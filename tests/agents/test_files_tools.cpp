// The files plugin loads as a library; its tools validate arguments, stay inside the policy,
// skip binaries and .gitignore'd files, page large results, and cite path and line; FIFOs never
// block them, costly patterns are errors, and every call stops at its deadline.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "atelier/agents/tool_registry.h"

using namespace atelier::agents;
using nlohmann::json;
namespace fs = std::filesystem;

class TestFilesTools : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_ws;
    ToolRegistry m_registry;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<PolicyToolContext> m_ctx;

    static void write(const fs::path& p, const std::string& text) {
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
    }
    atelier::Result<ToolResult> call(const std::string& tool, const json& args) {
        return m_registry.call(tool, args, *m_ctx);
    }

private slots:
    void initTestCase() {
        auto loaded = m_registry.loadPlugins(ATELIER_BINARY_DIR "/lib/plugins");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        QVERIFY(*loaded >= 1);
        for (const char* n : {"files_list", "files_stat", "files_read", "files_search"})
            QVERIFY2(m_registry.find(n), n);
        m_ws = fs::path(m_tmp.path().toStdString()) / "ws";
        write(m_ws / "notes.txt", "alpha\nbeta\ngamma needle\n");
        std::string big;
        for (int i = 1; i <= 1000; ++i) big += "line " + std::to_string(i) + "\n";
        write(m_ws / "big.txt", big);
        write(m_ws / "image.bin", std::string("PNG\0\0data needle", 16));
        write(m_ws / ".gitignore", "build/\n*.log\n!keep.log\n");
        write(m_ws / "build" / "out.txt", "needle in build\n");
        write(m_ws / "run.log", "needle in log\n");
        write(m_ws / "keep.log", "needle kept\n");
        write(m_ws / "src" / "main.cpp", "int main() { return 0; } // needle\n");
        write(fs::path(m_tmp.path().toStdString()) / "outside.txt", "needle outside\n");
        m_policy = std::make_unique<Policy>(std::vector<PathGrant>{{m_ws, Access::Read}});
        m_ctx = std::make_unique<PolicyToolContext>(*m_policy, m_ws);
    }

    void readCitesLinesAndPages() {
        auto r = call("files_read", {{"path", "notes.txt"}, {"start_line", 2}, {"end_line", 3}});
        QVERIFY(r.has_value());
        QCOMPARE(QString::fromStdString(r->text), QStringLiteral("2\tbeta\n3\tgamma needle\n"));
        QCOMPARE(r->sources.size(), std::size_t(1));
        QCOMPARE(r->sources[0].firstLine, 2);
        QCOMPARE(r->sources[0].lastLine, 3);
        QVERIFY(!r->truncated);
        auto big = call("files_read", {{"path", "big.txt"}});
        QVERIFY(big.has_value());
        QVERIFY(big->truncated);
        QCOMPARE(big->next["start_line"].get<int>(), 401);
        auto next = call("files_read", big->next);
        QVERIFY(next.has_value());
        QVERIFY(next->text.rfind("401\tline 401\n", 0) == 0);
    }

    void binaryAndMissingFilesAreClearErrors() {
        auto bin = call("files_read", {{"path", "image.bin"}});
        QVERIFY(!bin.has_value());
        QVERIFY(bin.error().message.find("binary") != std::string::npos);
        auto missing = call("files_read", {{"path", "nope.txt"}});
        QVERIFY(!missing.has_value());
    }

    void argumentsAreValidatedBeforeRunning() {
        auto wrongType = call("files_read", {{"path", 3}});
        QVERIFY(!wrongType.has_value());
        QCOMPARE(wrongType.error().code, atelier::ErrorCode::BadInput);
        QVERIFY(!call("files_read", json::object()).has_value());
        QVERIFY(!call("files_read", {{"path", "notes.txt"}, {"extra", 1}}).has_value());
        QVERIFY(!call("files_read", {{"path", "notes.txt"}, {"start_line", 0}}).has_value());
        QVERIFY(!call("no_such_tool", json::object()).has_value());
        QVERIFY(!call("files_search", {{"pattern", "("}}).has_value());
    }

    void policyRefusalsCarryTheirCode() {
        auto out = call("files_read", {{"path", "../outside.txt"}});
        QVERIFY(!out.has_value());
        QCOMPARE(out.error().code, atelier::ErrorCode::Denied);
        auto abs = call("files_search", {{"pattern", "needle"}, {"path", "/etc"}});
        QVERIFY(!abs.has_value());
        QCOMPARE(abs.error().code, atelier::ErrorCode::Denied);
    }

    void searchSkipsBinariesAndIgnoredFiles() {
        auto r = call("files_search", {{"pattern", "needle"}});
        QVERIFY(r.has_value());
        QStringList paths;
        for (const auto& h : r->data["hits"]) paths << QString::fromStdString(h["path"].get<std::string>());
        paths.sort();
        QCOMPARE(paths, (QStringList{"keep.log", "notes.txt", "src/main.cpp"}));
        QCOMPARE(r->data["skipped_binary"].get<int>(), 1);
        for (const auto& s : r->sources) QVERIFY(s.firstLine > 0);
    }

    void searchPagesItsHits() {
        auto r = call("files_search", {{"pattern", "^line"}, {"path", "big.txt"}});
        QVERIFY(r.has_value());
        QCOMPARE(r->data["hits"].size(), std::size_t(100));
        QVERIFY(r->truncated);
        auto next = call("files_search", r->next);
        QVERIFY(next.has_value());
        QCOMPARE(next->data["hits"][0]["line"].get<int>(), 101);
    }

    void listHonoursGitignoreAndStatDescribes() {
        auto r = call("files_list", {{"recursive", true}});
        QVERIFY(r.has_value());
        QStringList paths;
        for (const auto& e : r->data["entries"]) paths << QString::fromStdString(e["path"].get<std::string>());
        QVERIFY(paths.contains("src/main.cpp"));
        QVERIFY(!paths.contains("build"));
        QVERIFY(!paths.contains("run.log"));
        QVERIFY(paths.contains("keep.log"));
        auto st = call("files_stat", {{"path", "image.bin"}});
        QVERIFY(st.has_value());
        QCOMPARE(st->data["binary"].get<bool>(), true);
    }

    void resultsAreBounded() {
        std::string wide(200000, 'x');
        write(m_ws / "wide.txt", wide + "\n" + wide + "\n");
        auto r = call("files_read", {{"path", "wide.txt"}});
        QVERIFY(r.has_value());
        QVERIFY(r->text.size() <= kMaxResultBytes + 128);
        QVERIFY(r->truncated);
    }

    // A FIFO in the workspace (open() waits for a writer) and other non-regular files are
    // described or skipped, never opened blocking: search, stat and read all return at once.
    void aFifoInTheWorkspaceNeverBlocks() {
        const fs::path ws = fs::path(m_tmp.path().toStdString()) / "fifo_ws";
        write(ws / "a.txt", "a needle here\n");
        QCOMPARE(::mkfifo((ws / "pipe").c_str(), 0600), 0);
        const Policy policy({{ws, Access::Read}});
        const PolicyToolContext ctx(policy, ws);
        // If a call blocks, open the FIFO's other end after 10 s so the test fails instead of hanging.
        std::jthread watchdog([&ws](std::stop_token stop) {
            for (int i = 0; i < 100 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (!stop.stop_requested()) {
                const int fd = ::open((ws / "pipe").c_str(), O_WRONLY | O_NONBLOCK);
                if (fd >= 0) ::close(fd);
            }
        });
        const auto start = std::chrono::steady_clock::now();
        auto search = m_registry.call("files_search", {{"pattern", "needle"}}, ctx);
        QVERIFY2(search.has_value(), search ? "" : search.error().message.c_str());
        QCOMPARE(search->data["hits"].size(), std::size_t(1));
        QCOMPARE(search->data["skipped_special"].get<int>(), 1);
        auto stat = m_registry.call("files_stat", {{"path", "pipe"}}, ctx);
        QVERIFY2(stat.has_value(), stat ? "" : stat.error().message.c_str());
        QCOMPARE(QString::fromStdString(stat->data["type"].get<std::string>()), QString("fifo"));
        auto read = m_registry.call("files_read", {{"path", "pipe"}}, ctx);
        QVERIFY(!read.has_value());
        auto direct = m_registry.call("files_search", {{"pattern", "x"}, {"path", "pipe"}}, ctx);
        QVERIFY(!direct.has_value());
        auto list = m_registry.call("files_list", json::object(), ctx);
        QVERIFY(list.has_value());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    }

    // A pattern that backtracks catastrophically runs into PCRE2's match limit, which is an
    // error naming the place, not "no matches" (and not 95 s of searching).
    void aCatastrophicPatternIsAnErrorNotNoMatches() {
        write(m_ws / "costly" / "aaa.txt", std::string(40, 'a') + "b\n");
        const auto start = std::chrono::steady_clock::now();
        auto r = call("files_search", {{"pattern", "^(a|a)*$"}, {"path", "costly"}});
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(atelier::ErrorCode::Overflow));
        QVERIFY2(r.error().message.find("too costly") != std::string::npos, r.error().message.c_str());
        QVERIFY2(r.error().message.find("aaa.txt:1") != std::string::npos, r.error().message.c_str());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
        fs::remove_all(m_ws / "costly");
    }

    // Every call has a deadline; a search that reaches it stops with an error saying so.
    void aSearchStopsAtTheCallsDeadline() {
        const PolicyToolContext expired(*m_policy, m_ws, std::chrono::steady_clock::now());
        auto r = m_registry.call("files_search", {{"pattern", "needle"}}, expired);
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(atelier::ErrorCode::Overflow));
        QVERIFY2(r.error().message.find("deadline") != std::string::npos, r.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestFilesTools)
#include "test_files_tools.moc"
