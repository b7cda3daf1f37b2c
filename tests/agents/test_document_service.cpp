// ctest-labels: unit
// ctest-libs: atelier_documents
// The document service (document_service.h) gives the window what it shows and attaches, with no
// PDF or git library in the window:
//  - renderPdfPage draws a PDF written by hand in the test as ARGB32 pixels (colours and places
//    of drawn rectangles checked pixel by pixel, the page clamped, a rotated page turned), and
//    finds a cited passage where the test drew it (Helvetica's standard widths give its box),
//    with punctuation and spacing ignored word by word and a passage over two lines as two
//    rectangles; the rendered pixels under the highlight are ink;
//  - damaged, missing, encrypted and non-PDF files, a bad dpi and an oversized page are errors
//    that name the file;
//  - documentText reads a text file, a PDF page by page, and a folder in name order without its
//    hidden entries, .git, binaries and PDFs, stops at its cap and says so, and hands out valid
//    UTF-8;
//  - commitDetails reads a repository made with the git command: id, author, the author date in
//    its own offset, the message, the patch against the first parent (a root commit against the
//    empty tree, a merge against its first parent), a cut at kMaxPatchBytes, and errors naming the
//    revision and the repository.

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "atelier/agents/document_service.h"

using namespace atelier::agents;
namespace fs = std::filesystem;

namespace {

constexpr double kPageWidth = 612;   // US Letter, points
constexpr double kPageHeight = 792;

struct PageSpec {
    std::string content;  // the page's content stream
    int rotate = 0;
};

// Text at (x, top) in points from the page's top-left corner: the baseline is `top` down.
std::string textAt(double x, double top, int size, const std::string& text) {
    return "BT /F1 " + std::to_string(size) + " Tf " + std::to_string(x) + " " + std::to_string(kPageHeight - top) +
           " Td (" + text + ") Tj ET\n";
}

// A filled rectangle in points from the page's top-left corner, in RGB 0..1.
std::string boxAt(double x, double top, double w, double h, const char* rgb) {
    return std::string(rgb) + " rg " + std::to_string(x) + " " + std::to_string(kPageHeight - top - h) + " " +
           std::to_string(w) + " " + std::to_string(h) + " re f\n";
}

// A minimal PDF 1.4 (catalog, pages, Helvetica, one content stream per page, a correct
// cross-reference table); `locked` adds a Standard security handler with a user password.
std::string buildPdf(const std::vector<PageSpec>& pages, bool locked = false) {
    std::vector<std::string> objects;  // object i+1
    std::string kids;
    for (std::size_t i = 0; i < pages.size(); ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    for (std::size_t i = 0; i < pages.size(); ++i) {
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate " +
                          std::to_string(pages[i].rotate) + " /Resources << /Font << /F1 3 0 R >> >> /Contents " +
                          std::to_string(5 + 2 * i) + " 0 R >>");
        objects.push_back("<< /Length " + std::to_string(pages[i].content.size()) + " >>\nstream\n" +
                          pages[i].content + "endstream");
    }
    if (locked)
        objects.push_back("<< /Filter /Standard /V 1 /R 2 /P -44 /O <" + std::string(64, 'A') + "> /U <" +
                          std::string(64, '5') + "> >>");
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
    out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R";
    if (locked)
        out += " /Encrypt " + std::to_string(objects.size()) + " 0 R /ID [<" + std::string(32, '1') + "> <" +
               std::string(32, '1') + ">]";
    out += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return out;
}

void write(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

std::uint32_t pixel(const ArgbImage& image, int x, int y) {
    std::uint32_t word = 0;
    std::memcpy(&word, image.bytes.data() + std::size_t(y) * std::size_t(image.stride) + std::size_t(x) * 4, 4);
    return word;
}

PdfRect united(const std::vector<PdfRect>& rects) {
    PdfRect all = rects.front();
    for (const PdfRect& r : rects) {
        const double right = std::max(all.x + all.width, r.x + r.width);
        const double bottom = std::max(all.y + all.height, r.y + r.height);
        all.x = std::min(all.x, r.x);
        all.y = std::min(all.y, r.y);
        all.width = right - all.x;
        all.height = bottom - all.y;
    }
    return all;
}

QString describe(const PdfRect& r) {
    return QStringLiteral("%1,%2 %3x%4").arg(r.x).arg(r.y).arg(r.width).arg(r.height);
}

// Where the test draws the cited passage on page 3, and its width in Helvetica's standard
// metrics (c 500, i 222, t 278, e 556, d 556, space 278, p 556, a 556, s 500, g 556, h 556,
// r 333 per 1000 units) at 14 points.
constexpr const char* kSnippet = "cited passage here";
constexpr double kSnippetX = 90;
constexpr double kSnippetBaseline = 400;
constexpr int kSnippetSize = 14;
constexpr double kSnippetWidth = 8.449 * kSnippetSize;

bool isValidUtf8(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

}  // namespace

class TestDocumentService : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_dir;
    fs::path m_pdf;

    QString git(const fs::path& dir, const QStringList& args, const QString& date = "2024-01-10T12:00:00+0100") {
        QProcess p;
        p.setWorkingDirectory(QString::fromStdString(dir.string()));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("GIT_AUTHOR_NAME", "Alice Example");
        env.insert("GIT_AUTHOR_EMAIL", "alice@example.org");
        env.insert("GIT_COMMITTER_NAME", "Alice Example");
        env.insert("GIT_COMMITTER_EMAIL", "alice@example.org");
        env.insert("GIT_AUTHOR_DATE", date);
        env.insert("GIT_COMMITTER_DATE", date);
        env.insert("GIT_CONFIG_NOSYSTEM", "1");
        env.insert("GIT_CONFIG_GLOBAL", "/dev/null");
        p.setProcessEnvironment(env);
        p.start("git", QStringList{"-c", "init.defaultBranch=main"} + args);
        if (!p.waitForFinished(30000) || p.exitCode() != 0)
            qFatal("git %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
        return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
    }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_dir = fs::path(m_tmp.path().toStdString());
        m_pdf = m_dir / "paper.pdf";
        std::vector<PageSpec> pages(4);
        pages[0].content = textAt(60, 80, 12, "Page one mentions the cited passage here too.");
        pages[1].content = textAt(60, 80, 12, "Page two has nothing cited.") +
                           boxAt(100, 100, 50, 20, "0 0 0") + boxAt(300, 100, 50, 20, "1 0 0") +
                           boxAt(400, 100, 50, 20, "0 0 1");
        pages[2].content = textAt(60, 120, 12, "An unrelated first line of page three.") +
                           textAt(kSnippetX, kSnippetBaseline, kSnippetSize, kSnippet) +
                           textAt(60, 600, 12, "the quoted passage starts on") +
                           textAt(60, 616, 12, "one line and ends on the next");
        pages[3].content = boxAt(20, 20, 40, 10, "0 0 0");
        pages[3].rotate = 90;
        write(m_pdf, buildPdf(pages));
    }

    void pdfPagesAreCountedAndRenderedAsArgbPixels() {
        auto count = pdfPageCount(m_pdf);
        QVERIFY2(count, count ? "" : count.error().message.c_str());
        QCOMPARE(*count, 4);

        auto r = renderPdfPage(m_pdf, 2, 144, "");
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QCOMPARE(r->page, 2);
        QCOMPARE(r->pageCount, 4);
        QCOMPARE(r->dpi, 144.0);
        QCOMPARE(r->pageWidth, kPageWidth);
        QCOMPARE(r->pageHeight, kPageHeight);
        const ArgbImage& img = r->image;
        QCOMPARE(img.width, 2 * int(kPageWidth));
        QCOMPARE(img.height, 2 * int(kPageHeight));
        QVERIFY(img.stride >= 4 * img.width);
        QCOMPARE(img.bytes.size(), std::size_t(img.stride) * std::size_t(img.height));
        // 2 pixels per point: the rectangles' centres, and paper far from anything drawn.
        QCOMPARE(pixel(img, 250, 220), 0xFF000000u);  // black box at (100, 100) points
        QCOMPARE(pixel(img, 650, 220), 0xFFFF0000u);  // red
        QCOMPARE(pixel(img, 850, 220), 0xFF0000FFu);  // blue
        QCOMPARE(pixel(img, 10, 10), 0xFFFFFFFFu);
        QCOMPARE(pixel(img, img.width - 5, img.height - 5), 0xFFFFFFFFu);
        QVERIFY(r->highlights.empty());

        // Pages out of range are clamped.
        auto last = renderPdfPage(m_pdf, 99, 36, "");
        QVERIFY(last);
        QCOMPARE(last->page, 4);
        auto first = renderPdfPage(m_pdf, 0, 36, "");
        QVERIFY(first);
        QCOMPARE(first->page, 1);
        QCOMPARE(first->image.width, int(kPageWidth / 2));
    }

    void aRotatedPageIsShownTurned() {
        auto r = renderPdfPage(m_pdf, 4, 72, "");
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QCOMPARE(r->pageWidth, kPageHeight);
        QCOMPARE(r->pageHeight, kPageWidth);
        QCOMPARE(r->image.width, int(kPageHeight));
        QCOMPARE(r->image.height, int(kPageWidth));
        // Turned a quarter clockwise, the box near the unrotated top-left corner lies near the
        // top-right corner.
        QCOMPARE(pixel(r->image, int(kPageHeight) - 25, 40), 0xFF000000u);
        QCOMPARE(pixel(r->image, 40, 25), 0xFFFFFFFFu);
    }

    void citedPassageIsHighlightedWhereItWasDrawn() {
        auto r = renderPdfPage(m_pdf, 3, 144, kSnippet);
        QVERIFY2(r, r ? "" : r.error().message.c_str());
        QVERIFY2(!r->highlights.empty(), "the snippet was not found on page 3");
        const PdfRect all = united(r->highlights);
        const QString why = describe(all);
        QVERIFY2(std::abs(all.x - kSnippetX) < 2, qPrintable(why));
        QVERIFY2(std::abs(all.x + all.width - (kSnippetX + kSnippetWidth)) < 3, qPrintable(why));
        QVERIFY2(all.y < kSnippetBaseline && all.y + all.height > kSnippetBaseline - kSnippetSize / 2.0, qPrintable(why));
        QVERIFY2(all.height < 2 * kSnippetSize, qPrintable(why));
        // The rendered page has ink under the highlight (both use points from the top-left).
        bool ink = false;
        for (int y = int(all.y * 2); y < int((all.y + all.height) * 2) && !ink; ++y)
            for (int x = int(all.x * 2); x < int((all.x + all.width) * 2) && !ink; ++x)
                ink = (pixel(r->image, x, y) & 0xFF) < 0x80;
        QVERIFY(ink);

        // Punctuation and spacing that the search does not match fall back to the words.
        auto words = renderPdfPage(m_pdf, 3, 72, "Cited,  passage\n here.");
        QVERIFY(words && !words->highlights.empty());
        const PdfRect w = united(words->highlights);
        QVERIFY2(std::abs(w.x - all.x) < 2 && std::abs(w.x + w.width - (all.x + all.width)) < 2 &&
                     std::abs(w.y - all.y) < 2,
                 qPrintable(describe(w) + " vs " + why));

        // A passage over two lines is one rectangle per line, in reading order.
        auto across = renderPdfPage(m_pdf, 3, 72, "starts on one line and ends");
        QVERIFY(across);
        QCOMPARE(across->highlights.size(), std::size_t(2));
        QVERIFY(across->highlights[0].y < 600 && across->highlights[0].y + across->highlights[0].height > 595);
        QVERIFY(across->highlights[1].y > across->highlights[0].y + 10);
        QVERIFY(std::abs(across->highlights[1].x - 60) < 2);

        // Not on this page, or nothing asked: no highlight.
        auto elsewhere = renderPdfPage(m_pdf, 2, 72, kSnippet);
        QVERIFY(elsewhere && elsewhere->highlights.empty());
        auto absent = renderPdfPage(m_pdf, 3, 72, "words that are nowhere");
        QVERIFY(absent && absent->highlights.empty());
    }

    void badPdfsAndRequestsAreErrorsNamingTheFile() {
        const fs::path broken = m_dir / "broken.pdf";
        write(broken, "%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF\n");
        const fs::path notPdf = m_dir / "notes-not.pdf";
        write(notPdf, "plain text, no header\n");
        const fs::path locked = m_dir / "locked.pdf";
        write(locked, buildPdf({PageSpec{textAt(60, 80, 12, "secret"), 0}}, true));
        const fs::path missing = m_dir / "missing.pdf";
        for (const auto& [file, want] : {std::pair{broken, "PDF"}, std::pair{notPdf, "not a PDF"},
                                         std::pair{locked, "password"}, std::pair{missing, "no such file"}}) {
            auto r = renderPdfPage(file, 1, 72, "");
            QVERIFY2(!r, file.c_str());
            QVERIFY2(r.error().message.find(file.filename().string()) != std::string::npos, r.error().message.c_str());
            QVERIFY2(r.error().message.find(want) != std::string::npos, r.error().message.c_str());
            QVERIFY(!pdfPageCount(file));
        }
        auto zero = renderPdfPage(m_pdf, 1, 0, "");
        QVERIFY(!zero && zero.error().code == atelier::ErrorCode::Usage);
        auto huge = renderPdfPage(m_pdf, 1, 20000, "");
        QVERIFY(!huge && huge.error().code == atelier::ErrorCode::Overflow);
        QVERIFY(huge.error().message.find("paper.pdf") != std::string::npos);
    }

    void documentTextReadsFilesPdfsAndFolders() {
        const fs::path notes = m_dir / "text" / "notes.txt";
        write(notes, "alpha\nbeta\n");
        auto one = documentText(notes);
        QVERIFY2(one, one ? "" : one.error().message.c_str());
        QCOMPARE(one->text, "<document path=\"" + notes.string() + "\">\nalpha\nbeta\n\n</document>\n");
        QCOMPARE(one->files, 1);
        QVERIFY(!one->truncated);

        auto pdf = documentText(m_pdf);
        QVERIFY2(pdf, pdf ? "" : pdf.error().message.c_str());
        const std::string& t = pdf->text;
        QVERIFY(t.find("[page 1]\n") < t.find("Page one mentions") && t.find("Page one mentions") < t.find("[page 2]"));
        QVERIFY(t.find("[page 3]") < t.find(kSnippet, t.find("[page 3]")));
        QVERIFY(t.find("[page 4]") != std::string::npos);

        const fs::path folder = m_dir / "folder";
        write(folder / "b.txt", "second file\n");
        write(folder / "a.md", "first file\n");
        write(folder / "sub" / "c.cpp", "int third;\n");
        write(folder / ".hidden" / "secret.txt", "hidden folder\n");
        write(folder / ".env", "KEY=hidden file\n");
        write(folder / ".git" / "config", "[core] git data\n");
        write(folder / "blob.bin", std::string("bin\0ary", 7));
        write(folder / "doc.pdf", buildPdf({PageSpec{textAt(60, 80, 12, "pdf in a folder"), 0}}));
        auto all = documentText(folder);
        QVERIFY2(all, all ? "" : all.error().message.c_str());
        QCOMPARE(all->files, 3);
        QVERIFY(!all->truncated);
        const std::string& f = all->text;
        QVERIFY(f.find("first file") < f.find("second file") && f.find("second file") < f.find("int third"));
        QVERIFY(f.find("<document path=\"" + (folder / "sub" / "c.cpp").string() + "\">") != std::string::npos);
        for (const char* hidden : {"hidden folder", "hidden file", "git data", "ary", "pdf in a folder"})
            QVERIFY2(f.find(hidden) == std::string::npos, hidden);
    }

    void documentTextStopsAtItsCapAndIsValidUtf8() {
        const fs::path big = m_dir / "big";
        for (int i = 0; i < 6; ++i) write(big / ("f" + std::to_string(i) + ".txt"), std::string(1000, char('a' + i)));
        auto capped = documentText(big, 2500);
        QVERIFY(capped);
        QVERIFY(capped->truncated);
        QVERIFY2(capped->files >= 2 && capped->files < 6, qPrintable(QString::number(capped->files)));
        QVERIFY(capped->text.size() < 2500 + 200);
        QVERIFY(capped->text.find(std::string(1000, 'a')) != std::string::npos);
        QVERIFY(capped->text.find(std::string(1000, 'f')) == std::string::npos);
        auto whole = documentText(big, 1 << 20);
        QVERIFY(whole && !whole->truncated && whole->files == 6);

        const fs::path longFile = big / "f0.txt";
        auto cut = documentText(longFile, 100);
        QVERIFY(cut && cut->truncated);
        QVERIFY(cut->text.find(std::string(100, 'a')) != std::string::npos);
        QVERIFY(cut->text.find(std::string(101, 'a')) == std::string::npos);

        const fs::path latin1 = m_dir / "latin1.txt";
        write(latin1, "caf\xE9 cr\xE8me\n");
        auto valid = documentText(latin1);
        QVERIFY(valid);
        QVERIFY(isValidUtf8(valid->text));
        QVERIFY(valid->text.find("caf\xEF\xBF\xBD cr\xEF\xBF\xBDme") != std::string::npos);
    }

    void documentTextErrorsNameThePath() {
        auto missing = documentText(m_dir / "nowhere");
        QVERIFY(!missing && missing.error().message.find("nowhere") != std::string::npos);
        const fs::path binary = m_dir / "bin" / "data.bin";
        write(binary, std::string("\x7F" "ELF\0\0\0", 7));
        auto bin = documentText(binary);
        QVERIFY(!bin && bin.error().message.find("data.bin: not a text file") != std::string::npos);
        auto onlyBinary = documentText(binary.parent_path());
        QVERIFY(!onlyBinary && onlyBinary.error().message.find("no text files") != std::string::npos);
        fs::create_directories(m_dir / "empty");
        QVERIFY(!documentText(m_dir / "empty"));
        auto damaged = documentText(m_dir / "broken.pdf");
        QVERIFY(!damaged && damaged.error().message.find("broken.pdf") != std::string::npos);
    }

    void commitDetailsReadTheCitedCommit() {
        const fs::path repo = m_dir / "repo";
        fs::create_directories(repo);
        git(repo, {"init", "-q"});
        write(repo / "notes.txt", "one\ntwo\nfour\n");
        git(repo, {"add", "-A"});
        git(repo, {"commit", "-q", "-m", "First notes"});
        const QString root = git(repo, {"rev-parse", "HEAD"});
        write(repo / "notes.txt", "one\nthree\nfour\n");
        git(repo, {"commit", "-q", "-a", "-m", "Replace two with three\n\nThe body explains why.\n\n"},
            "2024-02-01T08:15:00-0530");
        const QString id = git(repo, {"rev-parse", "HEAD"});
        write(repo / "notes.txt", "later\n");
        git(repo, {"commit", "-q", "-a", "-m", "A later change"});

        auto d = commitDetails(repo, id.left(12).toStdString());
        QVERIFY2(d, d ? "" : d.error().message.c_str());
        QCOMPARE(QString::fromStdString(d->id), id);
        QCOMPARE(d->author, std::string("Alice Example <alice@example.org>"));
        QCOMPARE(d->date, std::string("2024-02-01T08:15:00-05:30"));
        QCOMPARE(d->message, std::string("Replace two with three\n\nThe body explains why."));
        QVERIFY(!d->truncated);
        for (const char* want : {"diff --git a/notes.txt b/notes.txt", "@@", "-two\n", "+three\n", " one\n"})
            QVERIFY2(d->patch.find(want) != std::string::npos, want);
        QVERIFY(d->patch.find("later") == std::string::npos);  // the cited commit, not HEAD

        // "" is HEAD; a root commit is diffed against the empty tree.
        auto head = commitDetails(repo, "");
        QVERIFY(head && head->message == "A later change" && head->date == "2024-01-10T12:00:00+01:00");
        auto first = commitDetails(repo, root.toStdString());
        QVERIFY(first);
        QVERIFY(first->patch.find("new file mode") != std::string::npos);
        QVERIFY(first->patch.find("+two\n") != std::string::npos);

        // A merge shows what it brought onto its first parent.
        git(repo, {"checkout", "-q", "-b", "side"});
        write(repo / "side.txt", "from the side branch\n");
        git(repo, {"add", "-A"});
        git(repo, {"commit", "-q", "-m", "Side work"});
        git(repo, {"checkout", "-q", "main"});
        write(repo / "main.txt", "on main meanwhile\n");
        git(repo, {"add", "-A"});
        git(repo, {"commit", "-q", "-m", "Main work"});
        git(repo, {"merge", "-q", "--no-ff", "-m", "Merge side", "side"});
        auto merge = commitDetails(repo, "HEAD");
        QVERIFY(merge);
        QVERIFY(merge->patch.find("+from the side branch") != std::string::npos);
        QVERIFY(merge->patch.find("on main meanwhile") == std::string::npos);
    }

    void commitPatchIsCutAtItsCap() {
        const fs::path repo = m_dir / "bigrepo";
        fs::create_directories(repo);
        git(repo, {"init", "-q"});
        std::string lines;
        while (lines.size() < kMaxPatchBytes + 4096) lines += "a line of a large file, long enough to fill a patch\n";
        write(repo / "large.txt", lines);
        git(repo, {"add", "-A"});
        git(repo, {"commit", "-q", "-m", "Large"});
        auto d = commitDetails(repo, "HEAD");
        QVERIFY2(d, d ? "" : d.error().message.c_str());
        QVERIFY(d->truncated);
        QVERIFY(d->patch.size() >= kMaxPatchBytes && d->patch.size() < kMaxPatchBytes + 1024);
    }

    void commitErrorsNameRevisionAndRepository() {
        const fs::path repo = m_dir / "repo";
        auto unknown = commitDetails(repo, "no-such-branch");
        QVERIFY(!unknown);
        QVERIFY2(unknown.error().message.find("no-such-branch") != std::string::npos &&
                     unknown.error().message.find(repo.string()) != std::string::npos,
                 unknown.error().message.c_str());
        auto tree = commitDetails(repo, "HEAD^{tree}");
        QVERIFY(!tree && tree.error().message.find("not a commit") != std::string::npos);
        const fs::path plain = m_dir / "text";
        auto notRepo = commitDetails(plain, "HEAD");
        QVERIFY(!notRepo && notRepo.error().message.find(plain.string()) != std::string::npos);
        // Parent folders are not searched: a folder inside a work tree is no repository.
        fs::create_directories(repo / "inner");
        QVERIFY(!commitDetails(repo / "inner", "HEAD"));
    }
};

QTEST_GUILESS_MAIN(TestDocumentService)
#include "test_document_service.moc"
