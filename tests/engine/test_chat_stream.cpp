// ctest-labels: unit
// ChatStreamParser: fed any chunking of a turn (whole, byte by byte, random pieces) it ends
// with parseCompletion's result or error; it never emits text that a later byte would turn
// into a tag or a UTF-8 character it cut in half; it is live (certain text comes out at once);
// and malformed DSML gives a defined error with a byte offset.

#include <fstream>
#include <random>
#include <sstream>

#include <QFileInfo>
#include <QtTest>

#include "atelier/engine/chat_stream_parser.h"

using namespace atelier::engine;

namespace {

const std::string kEos = "<｜end▁of▁sentence｜>";
const std::string kCalls = "\n\n<｜DSML｜tool_calls>\n";
const std::string kCallsEnd = "</｜DSML｜tool_calls>";

std::string invoke(const std::string& name, const std::string& params) {
    return "<｜DSML｜invoke name=\"" + name + "\">\n" + params + "</｜DSML｜invoke>\n";
}
std::string param(const std::string& name, bool isString, const std::string& value) {
    return "<｜DSML｜parameter name=\"" + name + "\" string=\"" + (isString ? "true" : "false") +
           "\">" + value + "</｜DSML｜parameter>\n";
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// What a consumer of the events reconstructs, plus the outcome.
struct Replay {
    ParsedCompletion parsed;
    bool ok = false;
    std::string error;
    std::string problem;  // a violated streaming invariant, if any
};

bool endsInsideUtf8(const std::string& s) {
    for (std::size_t back = 1; back <= 3 && back <= s.size(); ++back) {
        const auto c = static_cast<unsigned char>(s[s.size() - back]);
        if ((c & 0xC0) == 0x80) continue;
        const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back;
    }
    return false;
}

void apply(Replay& r, const std::vector<ChatStreamEvent>& events, std::vector<std::string>& argDeltas) {
    for (const auto& e : events) {
        switch (e.kind) {
        case ChatStreamEventKind::ReasoningDelta: r.parsed.reasoningContent += e.text; break;
        case ChatStreamEventKind::ContentDelta: r.parsed.content += e.text; break;
        case ChatStreamEventKind::ToolCallStart:
            if (e.toolIndex != r.parsed.toolCalls.size()) r.problem = "tool index out of order";
            r.parsed.toolCalls.push_back({e.text, {}});
            argDeltas.emplace_back();
            break;
        case ChatStreamEventKind::ToolCallArguments: argDeltas.at(e.toolIndex) += e.text; break;
        case ChatStreamEventKind::ToolCallEnd:
            r.parsed.toolCalls.at(e.toolIndex).arguments = e.text;
            if (argDeltas.at(e.toolIndex) != e.text) r.problem = "argument deltas differ from the end text";
            break;
        case ChatStreamEventKind::Done: r.ok = true; break;
        case ChatStreamEventKind::Error: r.error = e.text; break;
        }
        const bool textual = e.kind == ChatStreamEventKind::ReasoningDelta ||
                             e.kind == ChatStreamEventKind::ContentDelta;
        if (textual && e.text.empty()) r.problem = "empty delta";
    }
}

// Feeds `text` cut at `cuts` (sorted offsets); checks after every piece that the text emitted
// so far is a prefix of the whole-text result (nothing emitted is ever taken back).
Replay replay(const std::string& text, ChatMode mode, const std::vector<std::size_t>& cuts,
              const ParsedCompletion* whole) {
    ChatStreamParser parser(mode);
    Replay r;
    std::vector<std::string> argDeltas;
    std::size_t from = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t to = i < cuts.size() ? cuts[i] : text.size();
        apply(r, parser.feed(std::string_view(text).substr(from, to - from)), argDeltas);
        from = to;
        if (whole && r.error.empty()) {
            if (whole->reasoningContent.rfind(r.parsed.reasoningContent, 0) != 0 ||
                whole->content.rfind(r.parsed.content, 0) != 0)
                r.problem = "emitted text that is not in the final result";
            if (endsInsideUtf8(r.parsed.reasoningContent) || endsInsideUtf8(r.parsed.content))
                r.problem = "emitted half a UTF-8 character";
        }
    }
    apply(r, parser.finish(), argDeltas);
    if (r.ok != !parser.failed()) r.problem = "Done/Error events disagree with failed()";
    return r;
}

void checkAllChunkings(const std::string& text, ChatMode mode, std::mt19937& rng) {
    auto whole = parseCompletion(text, mode);
    const ParsedCompletion* ref = whole ? &*whole : nullptr;
    std::vector<std::vector<std::size_t>> plans;
    plans.push_back({});
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < text.size(); ++i) bytes.push_back(i);
    plans.push_back(bytes);
    for (int k = 0; k < 6; ++k) {
        std::vector<std::size_t> cuts;
        std::uniform_int_distribution<std::size_t> step(1, 1 + k * 4);
        for (std::size_t p = step(rng); p < text.size(); p += step(rng)) cuts.push_back(p);
        plans.push_back(cuts);
    }
    for (const auto& cuts : plans) {
        Replay r = replay(text, mode, cuts, ref);
        const std::string where = "text: " + text.substr(0, 120) + " / pieces " +
                                  std::to_string(cuts.size() + 1);
        QVERIFY2(r.problem.empty(), (r.problem + " — " + where).c_str());
        QVERIFY2(r.ok == whole.has_value(), where.c_str());
        if (whole) {
            QCOMPARE(r.parsed.reasoningContent, whole->reasoningContent);
            QCOMPARE(r.parsed.content, whole->content);
            QCOMPARE(r.parsed.toolCalls.size(), whole->toolCalls.size());
            for (std::size_t i = 0; i < whole->toolCalls.size(); ++i) {
                QCOMPARE(r.parsed.toolCalls[i].name, whole->toolCalls[i].name);
                QCOMPARE(r.parsed.toolCalls[i].arguments, whole->toolCalls[i].arguments);
            }
        } else {
            QCOMPARE(r.error, whole.error().message);
        }
    }
}

// The assistant turns of the official vectors, as the model would generate them.
std::vector<std::pair<std::string, ChatMode>> vectorTurns() {
    std::vector<std::pair<std::string, ChatMode>> turns;
    for (int i = 1; i <= 4; ++i) {
        const std::string out = readFile(std::string(ATELIER_SHARED_DIR) +
                                         "/conformance/dsv4-encoding/output_" + std::to_string(i) + ".txt");
        const std::string marker = i == 4 ? "</think>" : "<think>";
        const std::string start = "<｜Assistant｜>" + marker;
        for (std::size_t p = out.find(start); p != std::string::npos; p = out.find(start, p)) {
            p += start.size();
            std::size_t e = out.find(kEos, p);
            turns.emplace_back(out.substr(p, e + kEos.size() - p), i == 4 ? ChatMode::Chat : ChatMode::Thinking);
        }
    }
    return turns;
}

std::vector<std::string> trickyThinkingTurns() {
    const std::string call = kCalls +
        invoke("search", param("q", true, "a <thi ng> \"quoted\"\n</｜DSML｜param x") +
                         param("n", false, "[1, {\"k\": \"ü\"}]")) +
        invoke("open", "") + invoke("now", "\n") + kCallsEnd;
    return {
        "Plan: < and <t and </thin and 😀 ok</think>Answer with <｜end and é" + kEos,
        "r</think>\n\n<｜DSML｜tool_call is prose?" + kEos,  // forbidden ｜DSML｜ in content
        "r</think>" + call + kEos,
        "r</think>" + call,  // EOS after the block is optional
        "多字节推理。</think>内容 \n\n" + kEos,
        "</think>" + kEos,
    };
}

std::vector<std::string> malformedThinkingTurns() {
    return {
        "no end of reasoning",
        "r</think>no end of sentence",
        "r</think>c" + kEos + "extra",
        "r<think></think>c" + kEos,
        "r</think>" + kCalls + "<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"p\" string=\"true\">unclosed",
        "r</think>" + kCalls + invoke("f", param("p", false, "{bad json")) + kCallsEnd + kEos,
        "r</think>" + kCalls + invoke("f", "") + kCallsEnd + "trailing" + kEos,
        "r</think>" + kCalls + invoke("f", param("p", true, "1") + param("p", true, "2")) + kCallsEnd,
        "r</think>" + kCalls + "<｜DSML｜invoke name=\"f\" >\n</｜DSML｜invoke>\n" + kCallsEnd,
        "r</think>" + kCalls + invoke("f", "<｜DSML｜parameter name=\"p\" string=\"yes\">1</｜DSML｜parameter>\n") + kCallsEnd,
        "r</think>" + kCalls + invoke("f", "") + "<｜DSML｜invoke name=\"g",
        "r</think>\n\n<｜DSML｜tool_calls>x",
    };
}

}  // namespace

class TestChatStream : public QObject {
    Q_OBJECT
private slots:
    // The official vectors live in the project's shared/ folder beside the repository (CI has
    // it); a bare clone without it skips instead of failing.
    void initTestCase() {
        if (!QFileInfo::exists(QStringLiteral(ATELIER_SHARED_DIR "/conformance")))
            QSKIP("shared/conformance is not beside the repository");
    }
    void streamEqualsWholeOnVectorTurns() {
        std::mt19937 rng(1234);
        auto turns = vectorTurns();
        QVERIFY(turns.size() >= 6);
        for (const auto& [text, mode] : turns) {
            QVERIFY2(parseCompletion(text, mode).has_value(), text.c_str());
            checkAllChunkings(text, mode, rng);
        }
    }

    void streamEqualsWholeOnTrickyAndMalformedTexts() {
        std::mt19937 rng(99);
        for (const auto& t : trickyThinkingTurns()) {
            checkAllChunkings(t, ChatMode::Thinking, rng);
            checkAllChunkings(t, ChatMode::Chat, rng);  // the same text under the other mode
        }
        for (const auto& t : malformedThinkingTurns()) checkAllChunkings(t, ChatMode::Thinking, rng);
    }

    // Every prefix of a valid turn is a truncated turn: each chunking must agree on it too.
    void streamEqualsWholeOnEveryTruncation() {
        std::mt19937 rng(7);
        const std::string t = trickyThinkingTurns()[2];
        for (std::size_t n = 0; n < t.size(); n += 3) checkAllChunkings(t.substr(0, n), ChatMode::Thinking, rng);
    }

    void trickyTurnsParseAsIntended() {
        auto a = parseCompletion(trickyThinkingTurns()[0], ChatMode::Thinking);
        QVERIFY(a.has_value());
        QCOMPARE(a->reasoningContent, std::string("Plan: < and <t and </thin and 😀 ok"));
        QCOMPARE(a->content, std::string("Answer with <｜end and é"));
        auto c = parseCompletion(trickyThinkingTurns()[2], ChatMode::Thinking);
        QVERIFY2(c.has_value(), c ? "" : c.error().message.c_str());
        QCOMPARE(c->toolCalls.size(), std::size_t(3));
        QCOMPARE(c->toolCalls[0].arguments,
                 std::string("{\"q\": \"a <thi ng> \\\"quoted\\\"\\n</｜DSML｜param x\", \"n\": [1, {\"k\": \"ü\"}]}"));
        QCOMPARE(c->toolCalls[1].name, std::string("open"));
        QCOMPARE(c->toolCalls[1].arguments, std::string("{}"));
        QCOMPARE(c->toolCalls[2].arguments, std::string("{}"));
    }

    void malformedTurnsGiveErrorsWithOffsets_data() {
        QTest::addColumn<int>("index");
        QTest::addColumn<QString>("needle");
        QTest::newRow("unclosed reasoning") << 0 << "offset 19: reasoning is not closed by </think>";
        QTest::newRow("missing EOS") << 1 << "does not end with <｜end▁of▁sentence｜>";
        QTest::newRow("text after EOS") << 2 << "unexpected text after <｜end▁of▁sentence｜>";
        QTest::newRow("think tag in reasoning") << 3 << "offset 1: unexpected <think> in the reasoning";
        QTest::newRow("unclosed parameter") << 4 << "parameter \"p\" is not closed";
        QTest::newRow("bad JSON value") << 5 << "string=\"false\" but its value is not valid JSON";
        QTest::newRow("text after calls") << 6 << "unexpected text after the tool calls";
        QTest::newRow("duplicate parameter") << 7 << "duplicate parameter \"p\"";
        QTest::newRow("bad invoke tag") << 8 << "invoke name not followed by";
        QTest::newRow("bad string attribute") << 9 << "string= must be";
        QTest::newRow("truncated invoke") << 10 << "text ends inside an invoke tag";
        QTest::newRow("bad block opening") << 11 << "expected \">\\n\"";
    }
    void malformedTurnsGiveErrorsWithOffsets() {
        QFETCH(int, index);
        QFETCH(QString, needle);
        auto r = parseCompletion(malformedThinkingTurns()[index], ChatMode::Thinking);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.rfind("offset ", 0) == 0, r.error().message.c_str());
        QVERIFY2(r.error().message.find(needle.toStdString()) != std::string::npos, r.error().message.c_str());
    }

    void forbiddenDsmlInContentIsAnError() {
        auto r = parseCompletion(trickyThinkingTurns()[1], ChatMode::Thinking);
        QVERIFY(!r.has_value());
        QVERIFY2(r.error().message.find("unexpected ｜DSML｜ in the content") != std::string::npos,
                 r.error().message.c_str());
    }

    // Text that cannot start a tag comes out immediately; a possible tag start waits.
    void streamingIsLive() {
        ChatStreamParser p(ChatMode::Chat);
        auto ev = p.feed("Hello wor");
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].text, std::string("Hello wor"));
        ev = p.feed("ld <");
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].text, std::string("ld "));
        ev = p.feed("b>\xE4\xBD");  // half of 你
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].text, std::string("<b>"));
        ev = p.feed("\xA0" + kEos);
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].text, std::string("你"));
        ev = p.finish();
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].kind, ChatStreamEventKind::Done);
        QCOMPARE(p.result().content, std::string("Hello world <b>你"));
    }

    void placeSaysWhereACutTextStopped() {
        const std::string open = "Let me check.\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n";
        struct Case {
            ChatMode mode;
            std::string text;
            ChatStreamPlace place;
            std::string tool;
        };
        const std::vector<Case> cases = {
            {ChatMode::Thinking, "I wonder", ChatStreamPlace::Reasoning, ""},
            {ChatMode::Thinking, "hm</think>The answer", ChatStreamPlace::Content, ""},
            {ChatMode::Chat, "Text then\n\n<", ChatStreamPlace::Content, ""},
            {ChatMode::Chat, "\n\n<｜DSML｜tool", ChatStreamPlace::ToolCalls, ""},
            {ChatMode::Chat, open.substr(0, open.size() - 8), ChatStreamPlace::ToolCalls, ""},
            {ChatMode::Chat, open + "<｜DSML｜parameter name=\"loc", ChatStreamPlace::ToolCalls, "get_weather"},
            {ChatMode::Chat, open + "</｜DSML｜invoke>\n", ChatStreamPlace::ToolCalls, ""},
            {ChatMode::Chat, open + "</｜DSML｜invoke>\n</｜DSML｜tool_calls>", ChatStreamPlace::Ended, ""},
            {ChatMode::Chat, "Done." + kEos, ChatStreamPlace::Ended, ""},
        };
        for (const Case& c : cases) {
            ChatStreamParser p(c.mode);
            p.feed(c.text);
            QVERIFY2(p.place() == c.place, c.text.c_str());
            QCOMPARE(p.openToolCall(), c.tool);
            p.finish();
            QVERIFY2(p.place() == c.place, c.text.c_str());
        }
    }

    void toolCallEventsArriveLive() {
        ChatStreamParser p(ChatMode::Chat);
        p.feed(kCalls + "<｜DSML｜invoke name=\"f\">\n<｜DSML｜parameter name=\"q\" string=\"true\">ab");
        auto ev = p.feed("c");
        QCOMPARE(ev.size(), std::size_t(1));
        QCOMPARE(ev[0].kind, ChatStreamEventKind::ToolCallArguments);
        QCOMPARE(ev[0].text, std::string("c"));
        ev = p.feed("</｜DSML｜parameter>\n</｜DSML｜invoke>\n");
        QCOMPARE(ev.back().kind, ChatStreamEventKind::ToolCallEnd);
        QCOMPARE(ev.back().text, std::string("{\"q\": \"abc\"}"));
    }
};

QTEST_APPLESS_MAIN(TestChatStream)
#include "test_chat_stream.moc"
