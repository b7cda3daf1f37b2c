// The files plugin loads as a library; its tools validate arguments, stay inside the policy,
// skip binaries and .gitignore'd files, page large results, and cite path and line.

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

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
        QCOMPARE(out.error().code, atelier::ErrorCode::PolicyDenied);
        auto abs = call("files_search", {{"pattern", "needle"}, {"path", "/etc"}});
        QVERIFY(!abs.has_value());
        QCOMPARE(abs.error().code, atelier::ErrorCode::PolicyDenied);
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
};

QTEST_GUILESS_MAIN(TestFilesTools)
#include "test_files_tools.moc"
