// ctest-labels: unit
// The PDF plugin loads as a library; pdf_info reports pages, metadata and page sizes;
// pdf_read returns page ranges under page markers, bounded and paged; pdf_search finds text
// with page numbers; every result cites its pages; encrypted, truncated and garbage files are
// clear errors; paths obey the policy. The PDFs are written by hand in the test.

#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "atelier/agents/tool_registry.h"

using namespace atelier::agents;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct PageSpec {
    std::vector<std::string> lines;  // ASCII without parentheses or backslashes
    int width = 612;
    int height = 792;
};

struct PdfSpec {
    std::vector<PageSpec> pages;
    std::string title, author;
    bool locked = false;  // add a Standard security handler whose user password is not empty
};

// A minimal PDF 1.4: catalog, page tree, Helvetica, info, one content stream per page, and a
// correct cross-reference table.
std::string buildPdf(const PdfSpec& spec) {
    std::vector<std::string> objects;  // object i+1
    const int n = int(spec.pages.size());
    std::string kids;
    for (int i = 0; i < n; ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    objects.push_back("<< /Title (" + spec.title + ") /Author (" + spec.author + ") >>");
    for (int i = 0; i < n; ++i) {
        const auto& p = spec.pages[std::size_t(i)];
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(p.width) + " " +
                          std::to_string(p.height) + "] /Resources << /Font << /F1 3 0 R >> >> /Contents " +
                          std::to_string(6 + 2 * i) + " 0 R >>");
        std::string content = "BT /F1 10 Tf 14 TL 40 " + std::to_string(p.height - 40) + " Td\n";
        for (const auto& line : p.lines) content += "(" + line + ") Tj T*\n";
        content += "ET\n";
        objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                          "endstream");
    }
    if (spec.locked)
        objects.push_back("<< /Filter /Standard /V 1 /R 2 /P -44 /O <" + std::string(64, 'A') +
                          "> /U <" + std::string(64, '5') + "> >>");
    std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(out.size());
        out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const std::size_t xref = out.size();
    out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (auto off : offsets) {
        char entry[24];
        std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", off);
        out += entry;
    }
    out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R /Info 4 0 R";
    if (spec.locked)
        out += " /Encrypt " + std::to_string(objects.size()) + " 0 R /ID [<" + std::string(32, '1') +
               "> <" + std::string(32, '1') + ">]";
    out += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return out;
}

// Number of times `needle` occurs in `text`.
int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

}  // namespace

class TestPdfTools : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_ws;
    ToolRegistry m_registry;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<PolicyToolContext> m_ctx;
    std::string m_reportBytes;

    static void write(const fs::path& p, const std::string& bytes) {
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
    }
    atelier::Result<ToolResult> call(const std::string& tool, const json& args) {
        return m_registry.call(tool, args, *m_ctx);
    }

private slots:
    void initTestCase() {
        auto loaded = m_registry.loadPlugins(ATELIER_BINARY_DIR "/lib/plugins");
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        for (const char* n : {"pdf_info", "pdf_read", "pdf_search"}) QVERIFY2(m_registry.find(n), n);
        m_ws = fs::path(m_tmp.path().toStdString()) / "ws";
        PdfSpec report{{{{"Alpha introduction to the report"}},
                        {{"Beta findings", "Revenue grew by twelve percent"}, 595, 842},
                        {{"Gamma conclusion"}}},
                       "Quarterly Report", "Ada Lovelace", false};
        m_reportBytes = buildPdf(report);
        write(m_ws / "report.pdf", m_reportBytes);
        PdfSpec big;
        for (int p = 1; p <= 40; ++p) {
            PageSpec page;
            for (int l = 1; l <= 45; ++l)
                page.lines.push_back("page " + std::to_string(p) + " line " + std::to_string(l) +
                                     " of the long appendix text");
            big.pages.push_back(page);
        }
        write(m_ws / "big.pdf", buildPdf(big));
        PdfSpec locked = report;
        locked.locked = true;
        write(m_ws / "locked.pdf", buildPdf(locked));
        write(m_ws / "truncated.pdf", m_reportBytes.substr(0, 40));
        write(m_ws / "garbage.pdf", std::string(4096, '\x9c') + "not a pdf at all");
        write(m_ws / "headeronly.pdf", "%PDF-1.4\n" + std::string(2000, 'x'));
        write(fs::path(m_tmp.path().toStdString()) / "outside.pdf", m_reportBytes);
        m_policy = std::make_unique<Policy>(std::vector<PathGrant>{{m_ws, Access::Read}});
        m_ctx = std::make_unique<PolicyToolContext>(*m_policy, m_ws);
    }

    void infoReportsPagesMetadataAndSizes() {
        auto r = call("pdf_info", {{"path", "report.pdf"}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["pages"].get<int>(), 3);
        QCOMPARE(r->data["title"].get<std::string>(), std::string("Quarterly Report"));
        QCOMPARE(r->data["author"].get<std::string>(), std::string("Ada Lovelace"));
        QCOMPARE(r->data["encrypted"].get<bool>(), false);
        const auto& sizes = r->data["page_sizes"];
        QCOMPARE(sizes.size(), std::size_t(3));
        QCOMPARE(sizes[0]["width"].get<double>(), 612.0);
        QCOMPARE(sizes[1]["width"].get<double>(), 595.0);
        QCOMPARE(sizes[1]["height"].get<double>(), 842.0);
        QCOMPARE(r->sources.at(0).kind, std::string("pdf"));
        QCOMPARE(r->sources.at(0).path, std::string("report.pdf"));
    }

    void readReturnsPagesUnderMarkersWithCitations() {
        auto r = call("pdf_read", {{"path", "report.pdf"}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        const auto p1 = r->text.find("--- page 1 ---"), a = r->text.find("Alpha introduction");
        const auto p2 = r->text.find("--- page 2 ---"), b = r->text.find("Revenue grew");
        const auto p3 = r->text.find("--- page 3 ---"), c = r->text.find("Gamma conclusion");
        QVERIFY(p1 < a && a < p2 && p2 < b && b < p3 && p3 < c && c != std::string::npos);
        QCOMPARE(r->sources.size(), std::size_t(3));
        for (int i = 0; i < 3; ++i) QCOMPARE(r->sources[std::size_t(i)].page, i + 1);
        QVERIFY(!r->truncated);
        QVERIFY(r->next.is_null());

        auto one = call("pdf_read", {{"path", "report.pdf"}, {"first_page", 2}, {"last_page", 2}});
        QVERIFY(one.has_value());
        QVERIFY(one->text.find("Beta findings") != std::string::npos);
        QVERIFY(one->text.find("Alpha") == std::string::npos);
        QVERIFY(one->text.find("Gamma") == std::string::npos);
        QCOMPARE(one->sources.size(), std::size_t(1));
        QCOMPARE(one->sources[0].page, 2);
    }

    void longReadsAreBoundedAndPagedWithoutGapsOrRepeats() {
        json args = {{"path", "big.pdf"}};
        std::string all;
        int calls = 0;
        for (;;) {
            auto r = call("pdf_read", args);
            QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
            QVERIFY(r->text.size() <= kMaxResultBytes);
            all += r->text;
            ++calls;
            if (!r->truncated) break;
            QVERIFY(calls < 40);
            args = r->next;
        }
        QVERIFY(calls > 1);
        for (int p = 1; p <= 40; ++p) {
            QCOMPARE(count(all, "--- page " + std::to_string(p) + " ---\n"), 1);
            QVERIFY(all.find("page " + std::to_string(p) + " line 45 of") != std::string::npos);
        }
    }

    void pageRangeBeyondTheEndIsAnError() {
        auto r = call("pdf_read", {{"path", "report.pdf"}, {"first_page", 9}});
        QVERIFY(!r.has_value());
        QVERIFY(r.error().message.find("3 pages") != std::string::npos);
    }

    void searchFindsHitsWithPagesAndExcerpts() {
        auto r = call("pdf_search", {{"pattern", "revenue"}, {"path", "report.pdf"}, {"ignore_case", true}});
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->data["hits"].size(), std::size_t(1));
        QCOMPARE(r->data["hits"][0]["page"].get<int>(), 2);
        QVERIFY(r->data["hits"][0]["excerpt"].get<std::string>().find("Revenue grew") != std::string::npos);
        QCOMPARE(r->sources.size(), std::size_t(1));
        QCOMPARE(r->sources[0].page, 2);
        auto none = call("pdf_search", {{"pattern", "revenue"}, {"path", "report.pdf"}});
        QVERIFY(none.has_value());
        QVERIFY(none->data["hits"].empty());
    }

    void searchPagesThroughManyHits() {
        // "line 7 of" occurs once per page: 40 hits, 50 per call, so one call; "line \\d+ of"
        // occurs 45 times per page.
        auto r = call("pdf_search", {{"pattern", "line \\d+ of"}, {"path", "big.pdf"}});
        QVERIFY(r.has_value());
        QVERIFY(r->truncated);
        QCOMPARE(r->data["hits"].size(), std::size_t(50));
        QCOMPARE(r->data["hits"][49]["page"].get<int>(), 2);  // 45 on page 1, then 5 on page 2
        QCOMPARE(r->next["offset"].get<int>(), 50);
        auto next = call("pdf_search", r->next);
        QVERIFY(next.has_value());
        QVERIFY(next->data["hits"][0]["excerpt"].get<std::string>().find("page 2 line 6 of") != std::string::npos);
        auto seven = call("pdf_search", {{"pattern", "line 7 of"}, {"path", "big.pdf"}});
        QVERIFY(seven.has_value());
        QCOMPARE(seven->data["hits"].size(), std::size_t(40));
        QVERIFY(!seven->truncated);
    }

    void encryptedTruncatedAndGarbageFilesAreClearErrors() {
        auto locked = call("pdf_read", {{"path", "locked.pdf"}});
        QVERIFY(!locked.has_value());
        QVERIFY2(locked.error().message.find("encrypted") != std::string::npos, locked.error().message.c_str());
        for (const char* f : {"truncated.pdf", "garbage.pdf", "headeronly.pdf"}) {
            for (const char* tool : {"pdf_info", "pdf_read"}) {
                auto r = call(tool, {{"path", f}});
                QVERIFY2(!r.has_value(), f);
                QVERIFY2(r.error().message.find(f) != std::string::npos, r.error().message.c_str());
                QCOMPARE(r.error().code, atelier::ErrorCode::BadInput);
            }
        }
    }

    void everyTruncationOfAPdfIsAnErrorOrAResult() {
        // Poppler repairs some damage; whatever it does, no prefix may crash the tool.
        for (std::size_t cut = 0; cut < m_reportBytes.size(); cut += 37) {
            write(m_ws / "cut.pdf", m_reportBytes.substr(0, cut));
            auto r = call("pdf_read", {{"path", "cut.pdf"}});
            if (r) QVERIFY(r->data["pages"].get<int>() >= 1);
        }
    }

    void policyRefusesPathsOutsideTheWorkspace() {
        auto r = call("pdf_info", {{"path", "../outside.pdf"}});
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, atelier::ErrorCode::Denied);
    }

    // A 5,000-page PDF is searched in bounded slices: at most kMaxSearchPages pages per call,
    // and fewer when the call's deadline comes; the result says where it stopped and the next
    // call continues there (it used to read every page in one call: 210 s).
    void searchingAHugePdfStopsAfterAPageCapOrTheDeadline() {
        PdfSpec huge;
        for (int p = 1; p <= 5000; ++p) huge.pages.push_back(PageSpec{{"leaf " + std::to_string(p)}});
        huge.pages[600].lines.push_back("the needle");
        write(m_ws / "huge.pdf", buildPdf(huge));
        const auto start = std::chrono::steady_clock::now();
        auto first = call("pdf_search", {{"pattern", "needle"}, {"path", "huge.pdf"}});
        QVERIFY2(first.has_value(), first ? "" : first.error().message.c_str());
        QVERIFY(first->truncated);
        QCOMPARE(first->data["hits"].size(), std::size_t(0));
        QCOMPARE(first->next["first_page"].get<int>(), 501);
        QVERIFY2(first->text.find("stopped after 500 pages") != std::string::npos, first->text.c_str());
        auto second = call("pdf_search", first->next);
        QVERIFY(second.has_value());
        QCOMPARE(second->data["hits"].size(), std::size_t(1));
        QCOMPARE(second->data["hits"][0]["page"].get<int>(), 601);
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));

        const PolicyToolContext expired(*m_policy, m_ws, std::chrono::steady_clock::now());
        auto late = m_registry.call("pdf_search", {{"pattern", "needle"}, {"path", "huge.pdf"}}, expired);
        QVERIFY(late.has_value());
        QCOMPARE(late->next["first_page"].get<int>(), 2);  // one page, then the deadline
        QVERIFY2(late->text.find("deadline") != std::string::npos, late->text.c_str());
        auto read = m_registry.call("pdf_read", {{"path", "huge.pdf"}}, expired);
        QVERIFY(read.has_value());
        QCOMPARE(read->next["first_page"].get<int>(), 2);
        fs::remove(m_ws / "huge.pdf");
    }

    void aCostlyPatternInAPdfIsAnError() {
        auto r = call("pdf_search", {{"pattern", "^(.|.)*\\d{5}"}, {"path", "big.pdf"}});
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), int(atelier::ErrorCode::Overflow));
        QVERIFY2(r.error().message.find("page 1") != std::string::npos, r.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestPdfTools)
#include "test_pdf_tools.moc"
