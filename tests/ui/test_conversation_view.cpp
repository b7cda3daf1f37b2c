// ctest-labels: unit gui
// The conversation renders each turn as Markdown: reasoning collapsed until its link is
// clicked, tool calls as cards that expand to their arguments and result, code blocks with a
// Copy link that copies exactly the block. The sessions search keeps sessions whose title or
// messages (full-text hits) match, and passes Qt's model checks.
// What is shown is what was stored (#19): hostile strings (raw HTML, entities, backslashes,
// unclosed tags, chat-template markers, invalid UTF-8) in user and assistant text, reasoning,
// tool calls and tool results show character for character, as the Markdown export keeps them,
// while replies keep their Markdown formatting; each reply is labelled with its own model.

#include <QAbstractItemModelTester>
#include <QClipboard>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QTextBlock>
#include <QTextDocument>
#include <QtTest>

#include "atelier/agents/session_export.h"
#include "atelier/ui/chat_markdown.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/session_filter_proxy.h"

using namespace atelier::ui;

namespace {
QList<ChatTurn> sampleTurns() {
    ChatTurn user{atelier::engine::ChatRole::User, QStringLiteral("How do I exit?"), {}, {}, {}, 1, false};
    ChatTurn answer;
    answer.role = atelier::engine::ChatRole::Assistant;
    answer.reasoning = QStringLiteral("The user wants a C program that exits");
    answer.content = QStringLiteral("Use this:\n\n```c\nint main() { return 0; }\n```\n\nDone.");
    answer.toolCalls.append({QStringLiteral("file_read"), QStringLiteral("{\"path\": \"a.c\"}"),
                             QStringLiteral("int x;")});
    return {user, answer};
}

// Strings that Markdown with HTML (or a careless escape) would hide, change or let swallow the
// text after them.
QStringList hostileStrings() {
    return {QStringLiteral("<"),
            QStringLiteral("&"),
            QStringLiteral("&amp;"),
            QStringLiteral("5 &lt; 6 &#60; 7 &#x3C; 8"),
            QStringLiteral("<script>alert(1)</script>"),
            QStringLiteral("<img src=file:///etc/passwd>"),
            QStringLiteral("<intbytes then text"),
            QStringLiteral("std::vector<int> v;"),
            QStringLiteral("</think>"),
            QStringLiteral("<div>x</div>"),
            QStringLiteral("<!-- hidden? -->"),
            QStringLiteral("<｜end▁of▁sentence｜>"),
            QStringLiteral("<｜DSML｜invoke name=\"x\">"),
            QStringLiteral("<https://example.com/a?b=1&c=2>"),
            QStringLiteral("C:\\dir\\* and \\(x\\) and \\<b> and a\\"),
            QString::fromUtf8("bad \xff\xfe bytes \xc3 end")};
}

// Lines of the document that equal `s` exactly.
qsizetype linesEqual(const QString& plain, const QString& s) {
    qsizetype n = 0;
    for (const QString& line : plain.split(QLatin1Char('\n')))
        if (line == s) ++n;
    return n;
}

ChatTurn turn(atelier::engine::ChatRole role, const QString& content, const QString& model = {}) {
    ChatTurn t;
    t.role = role;
    t.content = content;
    t.model = model;
    return t;
}
}  // namespace

class TestConversationView : public QObject {
    Q_OBJECT
private slots:
    void reasoningAndToolCardsExpandOnlyWhenAsked() {
        const auto turns = sampleTurns();
        const auto closed = renderConversation(turns, {}, {}, QStringLiteral("demo"));
        QVERIFY(closed.markdown.contains(QStringLiteral("Reasoning (8 words)")));
        QVERIFY(!closed.markdown.contains(QStringLiteral("C program that exits")));
        QVERIFY(closed.markdown.contains(QStringLiteral("file_read")));
        QVERIFY(!closed.markdown.contains(QStringLiteral("\"path\"")));
        const auto open = renderConversation(turns, {1}, {QStringLiteral("1.0")}, QStringLiteral("demo"));
        QVERIFY(open.markdown.contains(QStringLiteral("> The user wants a C program that exits")));
        QVERIFY(open.markdown.contains(QStringLiteral("{\"path\": \"a.c\"}")));
        QVERIFY(open.markdown.contains(QStringLiteral("int x;")));
        QCOMPARE(open.codeBlocks, QStringList{QStringLiteral("int main() { return 0; }")});
    }

    void clickingLinksTogglesAndCopies() {
        ConversationView view;
        view.setTurns(sampleTurns(), true);
        QVERIFY(!view.toPlainText().contains(QStringLiteral("C program that exits")));
        emit view.anchorClicked(QUrl(QStringLiteral("reasoning:1")));
        QVERIFY(view.toPlainText().contains(QStringLiteral("C program that exits")));
        emit view.anchorClicked(QUrl(QStringLiteral("reasoning:1")));
        QVERIFY(!view.toPlainText().contains(QStringLiteral("C program that exits")));
        QSignalSpy copied(&view, &ConversationView::codeCopied);
        emit view.anchorClicked(QUrl(QStringLiteral("copy:0")));
        QCOMPARE(copied.size(), 1);
        QCOMPARE(copied.first().first().toString(), QStringLiteral("int main() { return 0; }"));
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("int main() { return 0; }"));
        // The code block itself is rendered as code, not as literal fences.
        QVERIFY(!view.toPlainText().contains(QStringLiteral("```")));
    }

    void streamingRendersAreThrottled() {
        ConversationView view;
        QList<ChatTurn> turns = sampleTurns();
        const int before = view.renderCount();
        for (int i = 0; i < 200; ++i) {
            turns.last().content += QStringLiteral("x");
            view.setTurns(turns);
        }
        QVERIFY(view.renderCount() - before <= 1);
        QTRY_VERIFY(view.toPlainText().contains(QStringLiteral("xxxxxxxxxx")));
    }

    // Every place stored text appears shows it as stored, and the next message is still there.
    void hostileTextShowsAsStoredEverywhere() {
        using atelier::engine::ChatRole;
        for (const QString& s : hostileStrings()) {
            ChatTurn answer = turn(ChatRole::Assistant, s);
            answer.reasoning = s;
            answer.toolCalls.append({s, s, s, {}});
            const QList<ChatTurn> turns{turn(ChatRole::User, s), answer, turn(ChatRole::Tool, s),
                                        turn(ChatRole::User, QStringLiteral("NEXT QUESTION"))};
            ConversationView view;
            view.setTurns(turns, true);
            emit view.anchorClicked(QUrl(QStringLiteral("reasoning:1")));
            emit view.anchorClicked(QUrl(QStringLiteral("tool:1.0")));
            const QString plain = view.toPlainText();
            // User text, reply, reasoning, tool arguments, tool result, tool turn.
            QVERIFY2(linesEqual(plain, s) >= 6, qPrintable(s + QStringLiteral(" shown as:\n") + plain));
            QVERIFY2(plain.contains(QStringLiteral("Tool call: ") + s), qPrintable(plain));
            QCOMPARE(linesEqual(plain, QStringLiteral("NEXT QUESTION")), 1);
            QCOMPARE(linesEqual(plain, QStringLiteral("You")), 2);
        }
    }

    // The case: a reply with an unclosed tag, a question after it holding a '>'.
    void unclosedTagDoesNotSwallowTheNextQuestion() {
        using atelier::engine::ChatRole;
        const QString reply = QStringLiteral("Use <intbytes as the size, then std::vector<int>.");
        const QString next = QStringLiteral("Why is a > b here?");
        ConversationView view;
        view.setTurns({turn(ChatRole::User, QStringLiteral("size?")), turn(ChatRole::Assistant, reply),
                       turn(ChatRole::User, next)},
                      true);
        QCOMPARE(linesEqual(view.toPlainText(), reply), 1);
        QCOMPARE(linesEqual(view.toPlainText(), next), 1);
    }

    // Qt's own reader (this build's Qt) with kChatMarkdownFeatures takes raw HTML as text: the
    // escaping is a second line of defence for HTML, the only one for entities and backslashes.
    void qtMarkdownReaderWithoutHtmlKeepsTags() {
        for (const QString& s : hostileStrings()) {
            if (s.contains(QLatin1Char('&')) || s.contains(QLatin1Char('\\')) || s.startsWith(QLatin1String("<http")))
                continue;  // entities, escapes and autolinks are Markdown, not HTML
            QTextDocument doc;
            doc.setMarkdown(s, kChatMarkdownFeatures);
            QCOMPARE(doc.toPlainText(), s);
        }
    }

    // Replies are Markdown: emphasis, lists and code blocks keep working, and code keeps its
    // characters (no escapes show inside it).
    void markdownFormattingStillWorks() {
        using atelier::engine::ChatRole;
        const QString reply = QStringLiteral(
            "**bold** and `vector<int>` and `a\\b`\n\n- item <a>\n- item &amp;\n\n"
            "```cpp\nstd::vector<int> v; // &amp; \\n\n```\n\n    indented <code> &amp;\n\nafter");
        ConversationView view;
        view.setTurns({turn(ChatRole::Assistant, reply)}, true);
        const QString plain = view.toPlainText();
        QVERIFY2(!plain.contains(QStringLiteral("**")), qPrintable(plain));
        QVERIFY(plain.contains(QStringLiteral("bold and vector<int> and a\\b")));
        QCOMPARE(linesEqual(plain, QStringLiteral("item <a>")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("item &amp;")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("std::vector<int> v; // &amp; \\n")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("indented <code> &amp;")), 1);
        QVERIFY(!plain.contains(QStringLiteral("```")));
        const auto r = renderConversation({turn(ChatRole::Assistant, reply)}, {}, {}, {});
        QCOMPARE(r.codeBlocks, QStringList{QStringLiteral("std::vector<int> v; // &amp; \\n")});
        bool bold = false;
        for (QTextBlock b = view.document()->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it)
                bold |= it.fragment().text() == QStringLiteral("bold") && it.fragment().charFormat().fontWeight() >= QFont::Bold;
        QVERIFY(bold);
    }

    // #19: a user's message keeps its line breaks (it showed as one paragraph), code blocks in
    // it stay code, and lines that Markdown reads as a list keep their own lines.
    void userLineBreaksShow() {
        using atelier::engine::ChatRole;
        const QStringList lines{QStringLiteral("Dear model,"), QStringLiteral("first: read a.txt"),
                                QStringLiteral("then b.txt <b> & \\"),
                                QStringLiteral("thanks")};
        const QString message = lines.join(QLatin1Char('\n')) +
                                QStringLiteral("\n\n```\nint a;\nint b;\n```\n- one\n- two\nlast line");
        ConversationView view;
        view.setTurns({turn(ChatRole::User, message), turn(ChatRole::User, QStringLiteral("NEXT"))}, true);
        const QString plain = view.toPlainText();
        for (const QString& line : lines)
            QVERIFY2(linesEqual(plain, line) == 1, qPrintable(line + QStringLiteral(" not a line of:\n") + plain));
        QCOMPARE(linesEqual(plain, QStringLiteral("int a;")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("int b;")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("one")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("two")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("last line")), 1);
        QCOMPARE(linesEqual(plain, QStringLiteral("NEXT")), 1);
        QVERIFY2(!plain.contains(QStringLiteral("  ")), qPrintable(plain));  // no break marks show
        const auto r = renderConversation({turn(ChatRole::User, message)}, {}, {}, {});
        QCOMPARE(r.codeBlocks, QStringList{QStringLiteral("int a;\nint b;")});
    }

    // A fence left open (a reply cut short) ends with its turn: the next message is no code.
    void openFenceEndsWithItsTurn() {
        using atelier::engine::ChatRole;
        ConversationView view;
        view.setTurns({turn(ChatRole::Assistant, QStringLiteral("```python\nprint('<x>')")),
                       turn(ChatRole::User, QStringLiteral("NEXT QUESTION"))},
                      true);
        bool found = false;
        for (QTextBlock b = view.document()->begin(); b.isValid(); b = b.next()) {
            if (b.text() == QStringLiteral("print('<x>')")) QVERIFY(b.blockFormat().hasProperty(QTextFormat::BlockCodeFence));
            if (b.text() != QStringLiteral("NEXT QUESTION")) continue;
            found = true;
            QVERIFY(!b.blockFormat().hasProperty(QTextFormat::BlockCodeFence));
        }
        QVERIFY(found);
    }

    // The Markdown export, rendered, shows the stored characters: no emphasis, heading, code
    // span, HTML or entity taken from what was said, line breaks, blank lines and indentation
    // kept. Rendered as a Markdown viewer would (GitHub's dialect, raw HTML interpreted), and
    // as the window reads Markdown (no HTML).
    void exportRendersTheStoredCharacters() {
        QStringList said = hostileStrings();
        said << QStringLiteral("*x* and _y_ and **z**") << QStringLiteral("# h") << QStringLiteral("`code` and ``a`b``")
             << QStringLiteral("```\nfenced\n```") << QStringLiteral("- item\n1. first\n> quote")
             << QStringLiteral("a | b\n--- | ---\n1 | 2") << QStringLiteral("[link](http://x) ![i](y)")
             << QStringLiteral("line one\n\n\nafter two blank lines\n    indented four\n  two, and\ta tab")
             << QStringLiteral("trailing spaces   \nnext") << QStringLiteral("Title\n===") << QStringLiteral("~~gone~~")
             << QStringLiteral("<think>hidden?</think> &amp; &copy; \\*");
        for (const QString& s : said) {
            atelier::agents::SessionRecord record;
            record.session.title = s.toStdString();
            atelier::agents::Message m;
            m.role = "assistant";
            m.content = s.toStdString();
            m.reasoning = s.toStdString();
            record.messages.push_back(m);
            atelier::agents::Message u;
            u.role = "user";
            u.content = s.toStdString();
            record.messages.push_back(u);
            const QString exported = QString::fromStdString(atelier::agents::sessionToMarkdown(record));
            // Reply, reasoning and user text each appear whole; the title on one line. With HTML,
            // Qt's reader takes the reasoning's <details> block as HTML (GitHub renders Markdown
            // after its blank line), so there the reply and the user's text are counted.
            const std::pair<QTextDocument::MarkdownFeatures, int> readers[] = {
                {QTextDocument::MarkdownDialectGitHub, 2}, {kChatMarkdownFeatures, 3}};
            for (const auto& [features, times] : readers) {
                QTextDocument doc;
                doc.setMarkdown(exported, features);
                QString plain = doc.toPlainText();  // no-break spaces read back as spaces
                plain.replace(QChar::LineSeparator, QLatin1Char('\n'));
                QVERIFY2(plain.count(s) >= times, qPrintable(s + QStringLiteral("\nrendered as:\n") + plain +
                                                              QStringLiteral("\nfrom:\n") + exported));
                const QString oneLine = QString(s).replace(QLatin1Char('\n'), QLatin1Char(' '));
                QVERIFY2(plain.split(QLatin1Char('\n')).contains(oneLine), qPrintable(plain));
            }
        }
    }

    // Each reply is headed by the model that wrote it; only a reply with no recorded model (an
    // older session) takes the model loaded now.
    void repliesAreLabelledWithTheirOwnModel() {
        using atelier::engine::ChatRole;
        ConversationView view;
        view.setModelLabel(QStringLiteral("Model Now"));
        view.setTurns({turn(ChatRole::User, QStringLiteral("q1")),
                       turn(ChatRole::Assistant, QStringLiteral("a1"), QStringLiteral("Model <A>_1")),
                       turn(ChatRole::User, QStringLiteral("q2")),
                       turn(ChatRole::Assistant, QStringLiteral("a2"), QStringLiteral("Model B")),
                       turn(ChatRole::Assistant, QStringLiteral("a3"))},
                      true);
        const QStringList lines = view.toPlainText().split(QLatin1Char('\n'));
        const QStringList expected{QStringLiteral("Model <A>_1"), QStringLiteral("a1"), QStringLiteral("Model B"),
                                   QStringLiteral("a2"), QStringLiteral("Model Now"), QStringLiteral("a3")};
        qsizetype at = -1;
        for (const QString& e : expected) {
            const qsizetype next = lines.indexOf(e, at + 1);
            QVERIFY2(next > at, qPrintable(e + QStringLiteral(" missing or out of order in:\n") + lines.join(u'\n')));
            at = next;
        }
        QCOMPARE(lines.count(QStringLiteral("Model Now")), 1);
    }

    void searchKeepsTitleAndFullTextMatches() {
        SessionListModel model;
        SessionFilterProxy proxy;
        proxy.setSourceModel(&model);
        proxy.setRecursiveFilteringEnabled(true);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto row = [](qint64 id, const char* title, bool fav) {
            SessionRow r;
            r.id = id;
            r.title = QString::fromUtf8(title);
            r.favourite = fav;
            r.kind = QStringLiteral("chat");
            return r;
        };
        model.setSessions({row(1, "Contract review", true), row(2, "Weather", false), row(3, "Taxes", false)});
        auto visible = [&] {
            QList<qint64> ids;
            for (int g = 0; g < proxy.rowCount(); ++g)
                for (int r = 0; r < proxy.rowCount(proxy.index(g, 0)); ++r)
                    ids << proxy.index(r, 0, proxy.index(g, 0)).data(SessionListModel::SessionIdRole).toLongLong();
            std::sort(ids.begin(), ids.end());
            return ids;
        };
        QCOMPARE(visible(), (QList<qint64>{1, 2, 3}));
        proxy.setQuery(QStringLiteral("weath"));  // title match
        QCOMPARE(visible(), (QList<qint64>{2}));
        proxy.setQuery(QStringLiteral("invoice"));  // no title matches until the index answers
        QCOMPARE(visible(), (QList<qint64>{}));
        proxy.setMatches(QStringLiteral("invoice"), {1, 3});
        QCOMPARE(visible(), (QList<qint64>{1, 3}));
        proxy.setMatches(QStringLiteral("stale query"), {2});  // an answer to an older query
        QCOMPARE(visible(), (QList<qint64>{1, 3}));
        proxy.setQuery({});
        QCOMPARE(visible(), (QList<qint64>{1, 2, 3}));
    }
};

QTEST_MAIN(TestConversationView)
#include "test_conversation_view.moc"
