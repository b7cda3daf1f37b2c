// ctest-labels: unit gui
// The document viewer opens what a citation points at: a PDF made in the test at page N with
// the cited passage under a highlight that covers where the test drew it (not the same words
// on another page), with page navigation and zoom; a text file with the cited lines marked,
// scrolled into view and syntax-coloured; a commit of a repository made with the git command
// (message, author, coloured diff). A damaged PDF, a missing file and an unknown revision show
// a message. Clicking a cite link in a rendered conversation opens the right place, and the
// main window's Viewer dock follows the conversation's citations. The title names the page on
// screen, and documents in the Context dock's list open in the Viewer (double click, or at a
// page or line).

#include <QDockWidget>
#include <QFile>
#include <QListView>
#include <QPainter>
#include <QPdfWriter>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QtTest>

#include "atelier/ui/attachment_model.h"
#include "atelier/ui/code_highlighter.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/document_viewer.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/pdf_page_view.h"

using namespace atelier::ui;

namespace {

constexpr const char* kSnippet = "cited passage here";

// Where drawText put `text` with its baseline at `baseline`, in points (the writer is 72 dpi
// without margins, so device units are points).
QRectF textRect(const QFont& font, QPaintDevice* device, QPointF baseline, const QString& text) {
    const QFontMetricsF m(font, device);
    return QRectF(baseline.x(), baseline.y() - m.ascent(), m.horizontalAdvance(text), m.height());
}

// A 3-page PDF; the snippet appears on page 1 at the top and on page 3 lower down, where the
// test expects the highlight. Returns page 3's snippet rectangle.
QRectF writePdf(const QString& path) {
    QPdfWriter writer(path);
    writer.setResolution(72);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter p(&writer);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPixelSize(14);
    p.setFont(font);
    p.drawText(QPointF(60, 80), QStringLiteral("Page one mentions the %1 too.").arg(kSnippet));
    writer.newPage();
    p.drawText(QPointF(60, 80), QStringLiteral("Page two has nothing cited."));
    writer.newPage();
    p.drawText(QPointF(60, 120), QStringLiteral("An unrelated first line of page three."));
    const QPointF at(90, 400);
    p.drawText(at, QString::fromLatin1(kSnippet));
    p.end();
    return textRect(font, &writer, at, QString::fromLatin1(kSnippet));
}

void write(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QString git(const QString& dir, const QStringList& args) {
    QProcess p;
    p.setWorkingDirectory(dir);
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("GIT_AUTHOR_NAME", "Alice Example");
    env.insert("GIT_AUTHOR_EMAIL", "alice@example.org");
    env.insert("GIT_COMMITTER_NAME", "Alice Example");
    env.insert("GIT_COMMITTER_EMAIL", "alice@example.org");
    env.insert("GIT_AUTHOR_DATE", "2024-01-10T12:00:00+0100");
    env.insert("GIT_COMMITTER_DATE", "2024-01-10T12:00:00+0100");
    env.insert("GIT_CONFIG_NOSYSTEM", "1");
    env.insert("GIT_CONFIG_GLOBAL", "/dev/null");
    p.setProcessEnvironment(env);
    p.start("git", QStringList{"-c", "init.defaultBranch=main"} + args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        qFatal("git %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

bool openAndWait(DocumentViewer& v, const SourceLink& link) {
    QSignalSpy shown(&v, &DocumentViewer::shown);
    v.open(link);
    return shown.wait(15000);
}

// The character format at the first occurrence of `text` in `doc`.
QTextCharFormat formatAt(QTextDocument* doc, const QString& text) {
    QTextCursor c = doc->find(text);
    if (c.isNull()) return {};
    QTextCursor one(doc);
    one.setPosition(c.selectionStart() + 1);
    return one.charFormat();
}

}  // namespace

class TestDocumentViewer : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void pdfOpensAtCitedPageWithPassageHighlighted();
    void pdfPagesAndZoom();
    void damagedOrMissingFilesShowAMessage();
    void textFileOpensWithCitedLinesMarked();
    void commitShowsMessageAuthorAndColouredDiff();
    void citeLinkInConversationOpensTheViewer();
    void mainWindowViewerDockFollowsCitations();
    void titleFollowsThePageShown();
    void aLongTitleDoesNotWidenTheViewer();
    void attachedDocumentsOpenInTheViewer();
};

void TestDocumentViewer::pdfOpensAtCitedPageWithPassageHighlighted() {
    const QString pdf = m_tmp.filePath("paper.pdf");
    const QRectF expected = writePdf(pdf);
    DocumentViewer v;
    QVERIFY(openAndWait(v, {"pdf", pdf, 0, 0, 3, {}, QString::fromLatin1(kSnippet)}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Pdf);
    QCOMPARE(v.page(), 3);
    QCOMPARE(v.pageCount(), 3);
    const QList<QRectF> rects = v.highlightRects();
    QVERIFY2(!rects.isEmpty(), "the snippet was not found on page 3");
    QRectF all;
    for (const QRectF& r : rects) all = all.united(r);
    // The highlight covers the drawn words and no more than their line (a few points of slack
    // for glyph side bearings and Poppler's box heights).
    const QString why = QStringLiteral("highlight %1,%2 %3x%4 vs text %5,%6 %7x%8")
                            .arg(all.x()).arg(all.y()).arg(all.width()).arg(all.height())
                            .arg(expected.x()).arg(expected.y()).arg(expected.width()).arg(expected.height());
    QVERIFY2(all.left() <= expected.left() + 3 && all.right() >= expected.right() - 3, qPrintable(why));
    QVERIFY2(all.top() <= expected.center().y() && all.bottom() >= expected.center().y(), qPrintable(why));
    QVERIFY2(all.height() < 2 * expected.height() && all.width() < expected.width() + 20, qPrintable(why));
    // The painted page shows the rectangle: the pixel under it is tinted, one far away is white.
    const QImage shot = v.pdfView()->grab().toImage();
    const QPointF inside = v.pdfView()->toWidget(all).topLeft() + QPointF(1.5, 1.5);
    const QColor tinted = shot.pixelColor((inside * shot.devicePixelRatio()).toPoint());
    QVERIFY2(tinted.blue() < 200 && tinted.red() > 200, qPrintable(tinted.name()));
    QCOMPARE(shot.pixelColor(5, shot.height() - 5), QColor(Qt::white));

    // Punctuation and spacing that Poppler's search does not match fall back to the words.
    QVERIFY(openAndWait(v, {"pdf", pdf, 0, 0, 3, {}, QStringLiteral("Cited,  passage  here.")}));
    QRectF words;
    for (const QRectF& r : v.highlightRects()) words = words.united(r);
    QVERIFY2(qAbs(words.left() - all.left()) < 2 && qAbs(words.right() - all.right()) < 2 &&
                 qAbs(words.top() - all.top()) < 2,
             qPrintable(QStringLiteral("%1,%2 %3x%4").arg(words.x()).arg(words.y()).arg(words.width()).arg(words.height())));
}

void TestDocumentViewer::pdfPagesAndZoom() {
    const QString pdf = m_tmp.filePath("pages.pdf");
    writePdf(pdf);
    DocumentViewer v;
    // open() returns before the page is rendered (a worker renders it) ...
    QSignalSpy first(&v, &DocumentViewer::shown);
    v.open({"pdf", pdf, 0, 0, 1, {}, QString::fromLatin1(kSnippet)});
    QCOMPARE(v.mode(), DocumentViewer::Mode::Empty);
    QVERIFY(first.wait(15000));
    QCOMPARE(v.page(), 1);
    QVERIFY(!v.highlightRects().isEmpty());
    QSignalSpy shown(&v, &DocumentViewer::shown);
    v.showPage(2);
    QVERIFY(shown.wait(15000));
    QCOMPARE(v.page(), 2);
    QVERIFY(v.highlightRects().isEmpty());  // the passage is cited on page 1, not here
    v.setZoom(2.0);
    QVERIFY(shown.wait(15000));
    QCOMPARE(v.page(), 2);
    QCOMPARE(v.zoom(), 2.0);
    const double a4 = QPageSize(QPageSize::A4).size(QPageSize::Point).width();
    QVERIFY2(qAbs(v.pdfView()->width() - a4 * PdfPageView::pixelsPerPoint(2.0)) <= 2, qPrintable(QString::number(v.pdfView()->width())));
    v.showPage(99);  // clamped to the last page
    QVERIFY(shown.wait(15000));
    QCOMPARE(v.page(), 3);

    // ... and a render that finishes after the user opened something else is dropped.
    const QString notes = m_tmp.filePath("after.txt");
    write(notes, "opened last\n");
    shown.clear();
    v.open({"pdf", pdf, 0, 0, 2, {}, {}});
    v.open({"file", notes, 1, 1, 0, {}, {}});
    QVERIFY(shown.wait(15000));
    QTest::qWait(300);
    QCOMPARE(shown.size(), 1);
    QCOMPARE(v.mode(), DocumentViewer::Mode::Text);
    QCOMPARE(v.textView()->toPlainText(), QStringLiteral("opened last\n"));
}

void TestDocumentViewer::damagedOrMissingFilesShowAMessage() {
    const QString bad = m_tmp.filePath("broken.pdf");
    write(bad, "%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF\n");
    DocumentViewer v;
    QVERIFY(openAndWait(v, {"pdf", bad, 0, 0, 2, {}, {}}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Message);
    QVERIFY2(v.message().contains("broken.pdf") && v.message().contains("PDF"), qPrintable(v.message()));
    QVERIFY(openAndWait(v, {"file", m_tmp.filePath("missing.txt"), 3, 3, 0, {}, {}}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Message);
    QVERIFY(v.message().contains("missing.txt"));
}

void TestDocumentViewer::textFileOpensWithCitedLinesMarked() {
    QByteArray source;
    for (int i = 1; i <= 300; ++i)
        source += i == 150 ? "    return cited_value; // line 150\n" : QByteArray("int filler_") + QByteArray::number(i) + " = 0;\n";
    const QString path = m_tmp.filePath("code.cpp");
    write(path, source);
    DocumentViewer v;
    v.resize(600, 400);
    v.show();
    QVERIFY(openAndWait(v, {"file", path, 150, 151, 0, {}, {}}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Text);
    QPlainTextEdit* text = v.textView();
    const auto marks = text->extraSelections();
    QCOMPARE(marks.size(), 2);
    QCOMPARE(marks[0].cursor.block().blockNumber(), 149);
    QCOMPARE(marks[1].cursor.block().blockNumber(), 150);
    QVERIFY(marks[0].cursor.block().text().contains("cited_value"));
    // Line 150 is on screen: between the first and the last visible line.
    const int top = text->cursorForPosition(QPoint(2, 2)).blockNumber();
    const int bottom = text->cursorForPosition(QPoint(2, text->viewport()->height() - 2)).blockNumber();
    QVERIFY2(top <= 149 && bottom >= 149, qPrintable(QStringLiteral("%1..%2").arg(top).arg(bottom)));
    // "return" is coloured as a keyword by the viewer's highlighter.
    const QTextBlock line = marks[0].cursor.block();
    bool keyword = false;
    for (const auto& range : line.layout()->formats())
        keyword |= line.text().mid(range.start, range.length) == "return" &&
                   range.format.foreground() == codeFormat(CodeToken::Keyword, false).foreground();
    QVERIFY(keyword);
}

void TestDocumentViewer::commitShowsMessageAuthorAndColouredDiff() {
    const QString repo = m_tmp.filePath("repo");
    QVERIFY(QDir().mkpath(repo));
    git(repo, {"init", "-q"});
    write(repo + "/notes.txt", "one\ntwo\nfour\n");
    git(repo, {"add", "-A"});
    git(repo, {"commit", "-q", "-m", "First notes"});
    write(repo + "/notes.txt", "one\nthree\nfour\n");
    git(repo, {"commit", "-q", "-a", "-m", "Replace two with three\n\nThe body explains why."});
    const QString id = git(repo, {"rev-parse", "HEAD"});
    write(repo + "/notes.txt", "later\n");
    git(repo, {"commit", "-q", "-a", "-m", "A later change"});

    DocumentViewer v;
    QVERIFY(openAndWait(v, {"git", repo, 0, 0, 0, id.left(12), {}}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Commit);
    const QString shown = v.commitView()->toPlainText();
    for (const QString& want : {id, QStringLiteral("Replace two with three"), QStringLiteral("The body explains why."),
                                QStringLiteral("Alice Example <alice@example.org>"), QStringLiteral("2024-01-10T12:00:00+01:00"),
                                QStringLiteral("-two"), QStringLiteral("+three"), QStringLiteral("notes.txt")})
        QVERIFY2(shown.contains(want), qPrintable(want));
    QVERIFY(!shown.contains("later"));  // the cited commit, not HEAD
    const QColor added = formatAt(v.commitView()->document(), "+three").background().color();
    const QColor removed = formatAt(v.commitView()->document(), "-two").background().color();
    QVERIFY2(added.green() > added.red(), qPrintable(added.name()));
    QVERIFY2(removed.red() > removed.green(), qPrintable(removed.name()));

    QVERIFY(openAndWait(v, {"git", repo, 0, 0, 0, "no-such-branch", {}}));
    QCOMPARE(v.mode(), DocumentViewer::Mode::Message);
    QVERIFY(v.message().contains("no-such-branch"));
}

void TestDocumentViewer::citeLinkInConversationOpensTheViewer() {
    QByteArray lines;
    for (int i = 1; i <= 40; ++i) lines += "line " + QByteArray::number(i) + "\n";
    write(m_tmp.filePath("notes.txt"), lines);
    ConversationView view;
    DocumentViewer viewer;
    viewer.setBaseFolder(m_tmp.path());
    connect(&view, &ConversationView::sourceActivated, &viewer, &DocumentViewer::open);
    ChatTurn turn;
    turn.role = atelier::engine::ChatRole::Assistant;
    turn.content = "See the notes.";
    turn.toolCalls.append({"files_read", R"({"path":"notes.txt","start_line":7,"end_line":9})", {}, {}});
    turn.toolCalls.append({"git_show", R"({"repo":"repo","rev":"abc123"})", {}, {}});
    view.resize(700, 500);
    view.show();
    view.setTurns({turn}, true);
    QVERIFY(view.toPlainText().contains("notes.txt:7–9"));
    QVERIFY(view.toPlainText().contains("commit abc123"));
    // Click the first citation where it is drawn.
    QTextCursor link = view.document()->find("notes.txt:7–9");
    QVERIFY(!link.isNull());
    QCOMPARE(link.charFormat().anchorHref(), QStringLiteral("cite:0"));
    QTextCursor mid(view.document());
    mid.setPosition(link.selectionStart() + 2);
    QSignalSpy shown(&viewer, &DocumentViewer::shown);
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, view.cursorRect(mid).center());
    QVERIFY(shown.wait(15000));
    QCOMPARE(viewer.mode(), DocumentViewer::Mode::Text);
    QCOMPARE(viewer.current().path, m_tmp.filePath("notes.txt"));
    QCOMPARE(viewer.textView()->extraSelections().size(), 3);
    QCOMPARE(viewer.textView()->extraSelections().first().cursor.block().text(), QStringLiteral("line 7"));
}

void TestDocumentViewer::mainWindowViewerDockFollowsCitations() {
    const QString path = m_tmp.filePath("main.txt");
    write(path, "alpha\nbeta\ngamma\n");
    MainWindow window;
    window.show();
    QVERIFY(window.viewerDock() && !window.viewerDock()->isVisible());
    QSignalSpy shown(window.documentViewer(), &DocumentViewer::shown);
    emit window.conversationView()->sourceActivated({"file", path, 2, 2, 0, {}, {}});
    QVERIFY(shown.wait(15000));
    QVERIFY(window.viewerDock()->isVisible());
    QCOMPARE(window.documentViewer()->textView()->extraSelections().first().cursor.block().text(), QStringLiteral("beta"));
}

void TestDocumentViewer::titleFollowsThePageShown() {
    const QString pdf = m_tmp.filePath("titled.pdf");
    writePdf(pdf);
    DocumentViewer v;
    QVERIFY(openAndWait(v, {"pdf", pdf, 0, 0, 3, {}, {}}));
    QCOMPARE(v.page(), 3);
    QCOMPARE(v.title(), QStringLiteral("titled.pdf, p. 3"));
    // Each page shown renames the title with the spin box's (1-based) number, not the cited one.
    QSignalSpy shown(&v, &DocumentViewer::shown);
    for (int page : {2, 1, 3}) {
        v.showPage(page);
        QVERIFY(shown.wait(15000));
        QCOMPARE(v.page(), page);
        QCOMPARE(v.title(), QStringLiteral("titled.pdf, p. %1").arg(page));
        QCOMPARE(v.findChild<QSpinBox*>()->value(), page);
    }
    QVERIFY(openAndWait(v, {"pdf", pdf, 0, 0, 0, {}, {}}));  // no page: the first
    QCOMPARE(v.title(), QStringLiteral("titled.pdf, p. 1"));
}

// The title is cut, not a minimum width: a long file name must not widen the Viewer dock (at
// 1024 px that pushed the window past the screen and squeezed the other docks).
void TestDocumentViewer::aLongTitleDoesNotWidenTheViewer() {
    const QString shortName = m_tmp.filePath("a.pdf");
    const QString longName = m_tmp.filePath(QString(120, QLatin1Char('x')) + QStringLiteral(".pdf"));
    writePdf(shortName);
    writePdf(longName);
    DocumentViewer v;
    v.resize(400, 300);
    v.show();
    QVERIFY(openAndWait(v, {"pdf", shortName, 0, 0, 1, {}, {}}));
    QCoreApplication::processEvents();  // the layout takes the new title
    const int narrow = v.minimumSizeHint().width();
    QVERIFY(openAndWait(v, {"pdf", longName, 0, 0, 1, {}, {}}));
    QCoreApplication::processEvents();
    QVERIFY(v.title().startsWith(QString(120, QLatin1Char('x'))));  // the whole name, cut on screen
    QCOMPARE(v.minimumSizeHint().width(), narrow);
    QVERIFY(narrow < 400);
}

void TestDocumentViewer::attachedDocumentsOpenInTheViewer() {
    const QString pdf = m_tmp.filePath("attached.pdf");
    writePdf(pdf);
    const QString notes = m_tmp.filePath("attached.txt");
    write(notes, "alpha\nbeta\ngamma\n");
    QCOMPARE(attachmentSource(pdf).kind, QStringLiteral("pdf"));
    QCOMPARE(attachmentSource(pdf, 2).page, 2);
    QCOMPARE(attachmentSource(notes, 3).firstLine, 3);
    QCOMPARE(attachmentSource(notes).kind, QStringLiteral("file"));

    MainWindow window;
    window.show();
    AttachmentModel* attachments = window.contextPanel()->attachments();
    QVERIFY(attachments->add(pdf));
    QVERIFY(attachments->add(notes));
    auto* list = window.findChild<QListView*>(QStringLiteral("contextDocuments"));
    QVERIFY(list);
    QTRY_VERIFY(list->isVisible());
    // A double click on the PDF's row opens it at its first page.
    QSignalSpy shown(window.documentViewer(), &DocumentViewer::shown);
    const QRect row = list->visualRect(attachments->index(0));
    QVERIFY(!row.isEmpty());
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, row.center());  // the press a double click starts with
    QTest::mouseDClick(list->viewport(), Qt::LeftButton, {}, row.center());
    QVERIFY(shown.wait(15000));
    QVERIFY(window.viewerDock()->isVisible());
    QCOMPARE(window.documentViewer()->mode(), DocumentViewer::Mode::Pdf);
    QCOMPARE(window.documentViewer()->current().path, pdf);
    QCOMPARE(window.documentViewer()->page(), 1);
    QCOMPARE(window.documentViewer()->title(), QStringLiteral("attached.pdf, p. 1"));
    // "Open at Page…" / "Open at Line…" of the context menu.
    window.openAttachment(pdf, 3);
    QVERIFY(shown.wait(15000));
    QCOMPARE(window.documentViewer()->page(), 3);
    QCOMPARE(window.documentViewer()->title(), QStringLiteral("attached.pdf, p. 3"));
    window.openAttachment(notes, 2);
    QVERIFY(shown.wait(15000));
    QCOMPARE(window.documentViewer()->mode(), DocumentViewer::Mode::Text);
    QCOMPARE(window.documentViewer()->textView()->extraSelections().first().cursor.block().text(), QStringLiteral("beta"));
    // The context menu is offered on the list.
    QCOMPARE(list->contextMenuPolicy(), Qt::CustomContextMenu);
}

QTEST_MAIN(TestDocumentViewer)
#include "test_document_viewer.moc"
