// ctest-labels: unit
// The code highlighter colours keywords, types, strings, numbers and comments of the common
// languages by their fence name or file name, carries a block comment across lines, leaves
// unknown languages alone; the conversation colours fenced blocks by their language and keeps
// their Copy links; tool sources parse from agents::SourceRef's JSON and from the built-in
// tools' arguments; stored tool calls read back in the desktop's and the team runtime's forms.

#include <QJsonDocument>
#include <QTextBlock>
#include <QtTest>

#include "atelier/agents/tool.h"
#include "atelier/ui/code_highlighter.h"
#include "atelier/ui/conversation_view.h"
#include "atelier/ui/source_link.h"
#include "atelier/ui/tool_call_json.h"

using namespace atelier::ui;

namespace {

// "word=Token" for every span of `line`, in order.
QStringList spans(const QString& line, CodeLanguage language, int& state) {
    QStringList out;
    for (const CodeSpan& s : highlightLine(line, language, state)) {
        static const char* names[] = {"kw", "type", "str", "num", "comment", "pre"};
        out << line.mid(s.start, s.length) + "=" + names[static_cast<int>(s.token)];
    }
    return out;
}

QStringList spans(const QString& line, CodeLanguage language) {
    int state = 0;
    return spans(line, language, state);
}

}  // namespace

class TestCodeHighlighter : public QObject {
    Q_OBJECT
private slots:
    void languagesByFenceAndPath() {
        QCOMPARE(languageForFence("C++"), CodeLanguage::Cpp);
        QCOMPARE(languageForFence("python title=x"), CodeLanguage::Python);
        QCOMPARE(languageForFence("tsx"), CodeLanguage::JavaScript);
        QCOMPARE(languageForFence("bash"), CodeLanguage::Shell);
        QCOMPARE(languageForFence("golang"), CodeLanguage::Go);
        QCOMPARE(languageForFence("cobol"), CodeLanguage::None);
        QCOMPARE(languageForPath("/src/lib.rs"), CodeLanguage::Rust);
        QCOMPARE(languageForPath("a/b/config.json"), CodeLanguage::Json);
    }

    void colourKeywordsStringsNumbersComments() {
        QCOMPARE(spans("int main() { return 0; } // done", CodeLanguage::Cpp),
                 QStringList({"int=type", "return=kw", "0=num", "// done=comment"}));
        QCOMPARE(spans("#include <vector>", CodeLanguage::Cpp), QStringList({"#include <vector>=pre"}));
        QCOMPARE(spans("f(u\"//\", 'x') /* c */ g();", CodeLanguage::Cpp),
                 QStringList({"\"//\"=str", "'x'=str", "/* c */=comment"}));
        QCOMPARE(spans("def f(x): return \"if # not a comment\"  # real", CodeLanguage::Python),
                 QStringList({"def=kw", "return=kw", "\"if # not a comment\"=str", "# real=comment"}));
        QCOMPARE(spans("const s = `x ${y}`; let n = 3.5", CodeLanguage::JavaScript),
                 QStringList({"const=kw", "`x ${y}`=str", "let=kw", "3.5=num"}));
        QCOMPARE(spans(R"({"a": [true, null, -2]})", CodeLanguage::Json),
                 QStringList({"\"a\"=str", "true=kw", "null=kw", "-2=num"}));
        QCOMPARE(spans("if [ -f x ]; then echo 'hi'; fi", CodeLanguage::Shell),
                 QStringList({"if=kw", "then=kw", "echo=type", "'hi'=str", "fi=kw"}));
        QCOMPARE(spans("fn f<'a>(s: &'a str) -> u8 { b'x' as u8 }", CodeLanguage::Rust),
                 QStringList({"fn=kw", "str=type", "u8=type", "'x'=str", "as=kw", "u8=type"}));
        QCOMPARE(spans("func main() { var s string = \"x\" }", CodeLanguage::Go),
                 QStringList({"func=kw", "var=kw", "string=type", "\"x\"=str"}));
        QVERIFY(spans("int return", CodeLanguage::None).isEmpty());
        QVERIFY(spans("nothing_special here", CodeLanguage::Cpp).isEmpty());
    }

    void blockCommentSpansLines() {
        int state = 0;
        QCOMPARE(spans("int a; /* starts", CodeLanguage::Cpp, state), QStringList({"int=type", "/* starts=comment"}));
        QCOMPARE(state, 1);
        QCOMPARE(spans("return inside", CodeLanguage::Cpp, state), QStringList({"return inside=comment"}));
        QCOMPARE(spans("ends */ return 1;", CodeLanguage::Cpp, state), QStringList({"ends */=comment", "return=kw", "1=num"}));
        QCOMPARE(state, 0);
    }

    void conversationColoursFencedBlocksByLanguage() {
        ChatTurn t;
        t.role = atelier::engine::ChatRole::Assistant;
        t.content = "Code:\n\n```python\ndef answer():\n    return 42\n```\n\nand\n\n```\ndef plain\n```\n";
        ConversationView view;
        view.setTurns({t}, true);
        QTextCursor def = view.document()->find("def answer");
        QVERIFY(!def.isNull());
        QTextCursor at(view.document());
        at.setPosition(def.selectionStart() + 1);
        QCOMPARE(at.charFormat().foreground(), codeFormat(CodeToken::Keyword, false).foreground());
        QTextCursor plain = view.document()->find("def plain");
        QVERIFY(!plain.isNull());
        at.setPosition(plain.selectionStart() + 1);
        QVERIFY(at.charFormat().foreground() != codeFormat(CodeToken::Keyword, false).foreground());
        // Copy links still copy the block's text.
        const ConversationRender r = renderConversation({t}, {}, {}, {});
        QCOMPARE(r.codeBlocks.value(0), QStringLiteral("def answer():\n    return 42"));
        QVERIFY(r.markdown.contains("(copy:0)") && r.markdown.contains("(copy:1)"));
    }

    void sourcesFromSourceRefJsonAndToolArguments() {
        atelier::agents::SourceRef pdf{"pdf", "docs/paper.pdf", 0, 0, 4, {}};
        atelier::agents::SourceRef file{"file", "src/a.cpp", 10, 12, 0, {}};
        atelier::agents::SourceRef commit{"git", "repo", 0, 0, 0, "0123456789abcdef"};
        const nlohmann::json array = {pdf.toJson(), file.toJson(), commit.toJson(), {{"kind", "web"}, {"path", "x"}}};
        const auto links = sourceLinksFromJson(QJsonDocument::fromJson(QByteArray::fromStdString(array.dump())).array());
        QCOMPARE(links.size(), 3);
        QCOMPARE(links[0].page, 4);
        QCOMPARE(sourceLabel(links[0]), QStringLiteral("paper.pdf, p. 4"));
        QCOMPARE(links[1].firstLine, 10);
        QCOMPARE(links[1].lastLine, 12);
        QCOMPARE(sourceLabel(links[1]), QStringLiteral("a.cpp:10–12"));
        QCOMPARE(links[2].commit, QStringLiteral("0123456789abcdef"));

        auto call = sourceLinksFromCall("pdf_search", R"({"path":"p.pdf","pattern":"exact words"})");
        QCOMPARE(call.size(), 1);
        QCOMPARE(call[0].snippet, QStringLiteral("exact words"));
        QVERIFY(sourceLinksFromCall("pdf_search", R"({"path":"p.pdf","pattern":"a.*b"})")[0].snippet.isEmpty());
        call = sourceLinksFromCall("git_file", R"({"repo":"r","path":"x.py","start_line":3})");
        QCOMPARE(call[0].path, QStringLiteral("r/x.py"));
        QCOMPARE(call[0].lastLine, 3);
        QVERIFY(sourceLinksFromCall("files_list", R"({"path":"."})").isEmpty());
        QVERIFY(sourceLinksFromCall("files_read", "not json").isEmpty());
    }

    void storedToolCallsInBothForms() {
        // The desktop's own form round-trips.
        const QList<ToolCallView> mine{{"files_read", R"({"path":"a.txt"})", {}, {}}};
        const auto back = toolCallsFromJson(toolCallsToJson(mine));
        QCOMPARE(back.size(), 1);
        QCOMPARE(back[0].name, QStringLiteral("files_read"));
        QCOMPARE(back[0].arguments, mine[0].arguments);
        // What RunJournal stores for a team step, with sources as SourceRef::toJson writes them.
        atelier::agents::SourceRef ref{"file", "src/b.cpp", 4, 6, 0, {}};
        nlohmann::json team = nlohmann::json::array();
        team.push_back({{"name", "files_read"}, {"arguments", R"({"path":"src/b.cpp"})"}});
        team.push_back({{"name", "git_show"}, {"arguments", R"({"rev":"HEAD"})"}, {"sources", {ref.toJson()}}});
        const auto calls = toolCallsFromJson(team.dump());
        QCOMPARE(calls.size(), 2);
        QCOMPARE(calls[0].name, QStringLiteral("files_read"));
        QCOMPARE(calls[0].arguments, QStringLiteral(R"({"path":"src/b.cpp"})"));
        QVERIFY(calls[0].sources.isEmpty());
        QCOMPARE(calls[1].sources.size(), 1);
        QCOMPARE(calls[1].sources[0].firstLine, 4);
        QVERIFY(toolCallsFromJson("not json").isEmpty());
        QVERIFY(toolCallsToJson({}).empty());
    }

    void sourcesFromCommandLineSpecs() {
        SourceLink s = sourceLinkFromSpec("src/a.cpp:10-12");
        QCOMPARE(s.kind, QStringLiteral("file"));
        QCOMPARE(s.path, QStringLiteral("src/a.cpp"));
        QCOMPARE(s.firstLine, 10);
        QCOMPARE(s.lastLine, 12);
        s = sourceLinkFromSpec("docs/Paper.PDF:3=the cited words");
        QCOMPARE(s.kind, QStringLiteral("pdf"));
        QCOMPARE(s.page, 3);
        QCOMPARE(s.snippet, QStringLiteral("the cited words"));
        s = sourceLinkFromSpec(QStringLiteral(ATELIER_SOURCE_DIR) + "@HEAD~1");
        QCOMPARE(s.kind, QStringLiteral("git"));
        QCOMPARE(s.commit, QStringLiteral("HEAD~1"));
        QCOMPARE(sourceLinkFromSpec("notes.txt").firstLine, 1);
        QVERIFY(!sourceLinkFromSpec({}).isValid());
    }
};

QTEST_MAIN(TestCodeHighlighter)
#include "test_code_highlighter.moc"
