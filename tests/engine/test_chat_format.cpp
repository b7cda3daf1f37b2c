// ctest-labels: unit
// The DeepSeek V4 chat format (model spec §11): the four official encoder vectors byte for
// byte, their assistant turns parsed back as the vectors' README states, the reasoning
// retention rules, tool-call and tool-result layout, and every conversation the encoder refuses.

#include <fstream>
#include <sstream>

#include <QFileInfo>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "atelier/engine/chat_format.h"

using namespace atelier::engine;

namespace {

const std::string kBos = "<｜begin▁of▁sentence｜>";
const std::string kEos = "<｜end▁of▁sentence｜>";

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string vectorPath(const std::string& name) {
    return std::string(ATELIER_SHARED_DIR) + "/conformance/dsv4-encoding/" + name;
}

std::string encodeJson(const std::string& json, ChatMode mode, bool keep = false,
                       bool bos = true) {
    auto messages = parseChatMessages(json);
    if (!messages) qFatal("parse failed: %s", messages.error().message.c_str());
    auto prompt = encodeChat(*messages, {mode, keep, bos});
    if (!prompt) qFatal("encode failed: %s", prompt.error().message.c_str());
    return *prompt;
}

std::string encodeError(const std::string& json, ChatMode mode = ChatMode::Thinking) {
    auto messages = parseChatMessages(json);
    if (!messages) return messages.error().message;
    auto prompt = encodeChat(*messages, {mode, false, true});
    return prompt ? std::string() : prompt.error().message;
}

// The generated part of each assistant turn in a rendered prompt: the text after
// "<｜Assistant｜>" and its thinking marker, up to and including the EOS.
std::vector<std::string> assistantTurns(const std::string& prompt, const std::string& marker) {
    std::vector<std::string> turns;
    const std::string start = "<｜Assistant｜>" + marker;
    for (std::size_t p = prompt.find(start); p != std::string::npos; p = prompt.find(start, p)) {
        p += start.size();
        std::size_t e = prompt.find(kEos, p);
        turns.push_back(prompt.substr(p, e + kEos.size() - p));
    }
    return turns;
}

bool sameJson(const std::string& a, const std::string& b) {
    return nlohmann::json::parse(a) == nlohmann::json::parse(b);
}

}  // namespace

class TestChatFormat : public QObject {
    Q_OBJECT
private slots:
    // The official vectors live in the project's shared/ folder beside the repository (CI has
    // it); a bare clone without it skips instead of failing.
    void initTestCase() {
        if (!QFileInfo::exists(QStringLiteral(ATELIER_SHARED_DIR "/conformance")))
            QSKIP("shared/conformance is not beside the repository");
    }
    void officialVectorsRenderByteForByte_data() {
        QTest::addColumn<int>("index");
        QTest::addColumn<int>("mode");
        QTest::newRow("1 tools, thinking") << 1 << int(ChatMode::Thinking);
        QTest::newRow("2 dropped reasoning") << 2 << int(ChatMode::Thinking);
        QTest::newRow("3 developer tools, reminder") << 3 << int(ChatMode::Thinking);
        QTest::newRow("4 action task, chat") << 4 << int(ChatMode::Chat);
    }
    void officialVectorsRenderByteForByte() {
        QFETCH(int, index);
        QFETCH(int, mode);
        const std::string n = std::to_string(index);
        const std::string input = readFile(vectorPath("input_" + n + ".json"));
        const std::string expected = readFile(vectorPath("output_" + n + ".txt"));
        QVERIFY(!input.empty() && !expected.empty());
        QCOMPARE(encodeJson(input, ChatMode(mode)), expected);
    }

    void vector1AssistantTurnsParseBack() {
        const auto turns = assistantTurns(readFile(vectorPath("output_1.txt")), "<think>");
        QCOMPARE(turns.size(), std::size_t(2));
        auto first = parseCompletion(turns[0], ChatMode::Thinking, {"get_weather", "search"});
        QVERIFY2(first.has_value(), first ? "" : first.error().message.c_str());
        QCOMPARE(first->reasoningContent,
                 std::string("The user wants to know the weather in Beijing. I should use the "
                             "get_weather tool."));
        QCOMPARE(first->content, std::string());
        QCOMPARE(first->toolCalls.size(), std::size_t(1));
        QCOMPARE(first->toolCalls[0].name, std::string("get_weather"));
        QVERIFY(sameJson(first->toolCalls[0].arguments,
                         "{\"location\": \"Beijing\", \"unit\": \"celsius\"}"));
        QVERIFY(first->unknownTools.empty());
        auto second = parseCompletion(turns[1], ChatMode::Thinking);
        QVERIFY(second.has_value());
        QVERIFY(second->content.find("22°C") != std::string::npos);
        QVERIFY(second->toolCalls.empty());
    }

    void vector2LastTurnParsesBack() {
        const auto turns = assistantTurns(readFile(vectorPath("output_2.txt")), "<think>");
        QCOMPARE(turns.size(), std::size_t(1));  // the earlier turn's reasoning was dropped
        auto parsed = parseCompletion(turns[0], ChatMode::Thinking);
        QVERIFY(parsed.has_value());
        QCOMPARE(parsed->reasoningContent,
                 std::string("The user asks about the capital of France. It is Paris."));
        QCOMPARE(parsed->content, std::string("The capital of France is Paris."));
    }

    // Every rendered assistant turn of vector 3 parses back to its input message.
    void vector3TurnsParseBackToTheirMessages() {
        const auto input = nlohmann::json::parse(readFile(vectorPath("input_3.json")));
        const auto turns = assistantTurns(readFile(vectorPath("output_3.txt")), "<think>");
        std::vector<nlohmann::json> assistants;
        for (const auto& m : input)
            if (m["role"] == "assistant") assistants.push_back(m);
        QCOMPARE(turns.size(), assistants.size());
        for (std::size_t i = 0; i < turns.size(); ++i) {
            auto parsed = parseCompletion(turns[i], ChatMode::Thinking);
            QVERIFY(parsed.has_value());
            QCOMPARE(parsed->reasoningContent, assistants[i]["reasoning_content"].get<std::string>());
            QCOMPARE(parsed->content, assistants[i]["content"].get<std::string>());
            QCOMPARE(parsed->toolCalls.size(), assistants[i]["tool_calls"].size());
            for (std::size_t k = 0; k < parsed->toolCalls.size(); ++k) {
                const auto& fn = assistants[i]["tool_calls"][k]["function"];
                QCOMPARE(parsed->toolCalls[k].name, fn["name"].get<std::string>());
                QVERIFY(sameJson(parsed->toolCalls[k].arguments, fn["arguments"].get<std::string>()));
            }
        }
    }

    void unknownToolIsReportedNotRejected() {
        const std::string turn =
            "r</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"rm_rf\">\n"
            "</｜DSML｜invoke>\n</｜DSML｜tool_calls>" + kEos;
        auto parsed = parseCompletion(turn, ChatMode::Thinking, {"search"});
        QVERIFY(parsed.has_value());
        QCOMPARE(parsed->unknownTools, std::vector<std::string>{"rm_rf"});
        QCOMPARE(parsed->toolCalls[0].arguments, std::string("{}"));
    }

    void toolNamesComeFromAToolsListOrObject() {
        auto names = parseToolNames(readFile(vectorPath("input_1.json")));
        QVERIFY(names.has_value());
        QCOMPARE(*names, (std::vector<std::string>{"get_weather", "search"}));
        auto bad = parseToolNames("[{\"function\":{}}]");
        QVERIFY(!bad.has_value());
        QVERIFY(bad.error().message.find("tools[0].function.name") != std::string::npos);
    }

    void earlierReasoningKeptOnRequest() {
        const std::string input = readFile(vectorPath("input_2.json"));
        const std::string expected =
            kBos + "You are a helpful assistant.<｜User｜>Hello<｜Assistant｜><think>The user said "
                   "hello, I should greet back.</think>Hi there! How can I help you?" + kEos +
            "<｜User｜>What is the capital of France?<｜Assistant｜><think>The user asks about the "
            "capital of France. It is Paris.</think>The capital of France is Paris." + kEos;
        QCOMPARE(encodeJson(input, ChatMode::Thinking, true), expected);
    }

    void chatModeRendersNoReasoning() {
        const std::string input = readFile(vectorPath("input_2.json"));
        const std::string expected =
            kBos + "You are a helpful assistant.<｜User｜>Hello<｜Assistant｜></think>Hi there! How "
                   "can I help you?" + kEos +
            "<｜User｜>What is the capital of France?<｜Assistant｜></think>The capital of France "
            "is Paris." + kEos;
        QCOMPARE(encodeJson(input, ChatMode::Chat), expected);
        QCOMPARE(encodeJson(input, ChatMode::Chat, true), expected);
    }

    void generationPromptEndsWithTheModeMarker() {
        const std::string input = "[{\"role\":\"user\",\"content\":\"Hi\"}]";
        QCOMPARE(encodeJson(input, ChatMode::Thinking), kBos + "<｜User｜>Hi<｜Assistant｜><think>");
        QCOMPARE(encodeJson(input, ChatMode::Chat), kBos + "<｜User｜>Hi<｜Assistant｜></think>");
        QCOMPARE(encodeJson(input, ChatMode::Chat, false, false), std::string("<｜User｜>Hi<｜Assistant｜></think>"));
    }

    // An assistant message with wo_eos (or prefix: true) is a reply to continue: the prompt
    // is the closed conversation up to it, then its text without the end-of-sentence token.
    void assistantPrefixGetsNoEos() {
        const std::string closed = "[{\"role\":\"user\",\"content\":\"Hi\"},"
                                   "{\"role\":\"assistant\",\"content\":\"Hel\"}]";
        const std::string full = encodeJson(closed, ChatMode::Chat);
        QCOMPARE(full, kBos + "<｜User｜>Hi<｜Assistant｜></think>Hel" + kEos);
        for (const char* flag : {"\"wo_eos\":true", "\"prefix\":true"}) {
            const std::string open = "[{\"role\":\"user\",\"content\":\"Hi\"},"
                                     "{\"role\":\"assistant\",\"content\":\"Hel\"," + std::string(flag) + "}]";
            QCOMPARE(encodeJson(open, ChatMode::Chat), full.substr(0, full.size() - kEos.size()));
        }
        QVERIFY(encodeError("[{\"role\":\"user\",\"content\":\"Hi\",\"wo_eos\":true}]").find("message 0") !=
                std::string::npos);
        QVERIFY(encodeError("[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"x\","
                            "\"wo_eos\":1}]").find("wo_eos is not a boolean") != std::string::npos);
    }

    void maxModePrependsTheReasoningEffortPrefix() {
        const std::string input = readFile(vectorPath("input_1.json"));
        const std::string thinking = encodeJson(input, ChatMode::Thinking, false, false);
        const std::string max = encodeJson(input, ChatMode::Max);
        QVERIFY(max.rfind(kBos + "Reasoning Effort: Absolute maximum with no shortcuts "
                                 "permitted.\nYou MUST be very thorough", 0) == 0);
        const std::size_t prefixEnd = max.size() - thinking.size();
        QCOMPARE(max.substr(prefixEnd), thinking);
        const std::string prefix = max.substr(kBos.size(), prefixEnd - kBos.size());
        QCOMPARE(std::count(prefix.begin(), prefix.end(), '\n'), 4L);  // 3 lines, blank line
        const std::string end = "assumption is left unchecked.\n\n";
        QVERIFY(prefix.size() > end.size() && prefix.substr(prefix.size() - end.size()) == end);
    }

    void toolCallArgumentsRenderAsDsmlParameters() {
        const std::string input = "[{\"role\":\"user\",\"content\":\"q\"},\n          {\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":\"r\",\"tool_calls\":[{\"type\":\"function\",\n           \"function\":{\"name\":\"f\",\"arguments\":\"{\\\"s\\\": \\\"a\\\\\\\"b\\\", \\\"n\\\": 3, \\\"l\\\": [true, null, 1.5], \\\"o\\\": {\\\"k\\\": \\\"ü\\\"}}\"}}]}]";
        const std::string expected =
            kBos + "<｜User｜>q<｜Assistant｜><think>r</think>\n\n<｜DSML｜tool_calls>\n"
                   "<｜DSML｜invoke name=\"f\">\n"
                   "<｜DSML｜parameter name=\"s\" string=\"true\">a\"b</｜DSML｜parameter>\n"
                   "<｜DSML｜parameter name=\"n\" string=\"false\">3</｜DSML｜parameter>\n"
                   "<｜DSML｜parameter name=\"l\" string=\"false\">[true, null, 1.5]</｜DSML｜parameter>\n"
                   "<｜DSML｜parameter name=\"o\" string=\"false\">{\"k\": \"ü\"}</｜DSML｜parameter>\n"
                   "</｜DSML｜invoke>\n</｜DSML｜tool_calls>" + kEos;
        QCOMPARE(encodeJson(input, ChatMode::Thinking), expected);
        // And the parser gives back the same arguments.
        auto parsed = parseCompletion(assistantTurns(expected, "<think>")[0], ChatMode::Thinking);
        QVERIFY(parsed.has_value());
        QVERIFY(sameJson(parsed->toolCalls[0].arguments,
                         "{\"s\": \"a\\\"b\", \"n\": 3, \"l\": [true, null, 1.5], \"o\": {\"k\": \"ü\"}}"));
    }

    // The encoder writes a call without arguments as an empty parameter list; it parses back.
    void callWithoutArgumentsRoundTrips() {
        const std::string input = "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\","
                                  "\"tool_calls\":[{\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]}]";
        const std::string out = encodeJson(input, ChatMode::Chat);
        const std::string tail = "<｜DSML｜invoke name=\"now\">\n\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>" + kEos;
        QVERIFY2(out.size() > tail.size() && out.substr(out.size() - tail.size()) == tail, out.c_str());
        auto parsed = parseCompletion(assistantTurns(out, "</think>")[0], ChatMode::Chat);
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().message.c_str());
        QCOMPARE(parsed->toolCalls.size(), std::size_t(1));
        QCOMPARE(parsed->toolCalls[0].name, std::string("now"));
        QCOMPARE(parsed->toolCalls[0].arguments, std::string("{}"));
    }

    // Arguments that are not JSON pass through (issue #20, item 6b). The official encoder's
    // encode_arguments_to_dsml (encoding_dsv4.py in the DeepSeek V4 release) does
    //     try: arguments = json.loads(tool_call["arguments"])
    //     except Exception as err: arguments = {"arguments": tool_call["arguments"]}
    // and renders each item with p_dsml_template, string="true" for a str value, so the raw
    // text becomes one parameter named "arguments" holding the text unchanged (no escaping).
    // JSON that is not an object makes that encoder raise (it calls .items()), so it stays a
    // clear refusal (the rejections table).
    void argumentsThatAreNotJsonPassThroughAsTheOfficialEncoderDoes_data() {
        QTest::addColumn<QString>("arguments");
        QTest::newRow("truncated object") << "{\"path\": \"a.txt\"";
        QTest::newRow("plain text") << "ls -la <dir> & \"quotes\"";
        QTest::newRow("empty") << "";
        QTest::newRow("single quotes") << "{'a': 1}";
        QTest::newRow("byte order mark") << QChar(0xFEFF) + QString("{\"a\": 1}");  // json.loads refuses it
    }
    void argumentsThatAreNotJsonPassThroughAsTheOfficialEncoderDoes() {
        QFETCH(QString, arguments);
        const std::string raw = arguments.toStdString();
        nlohmann::json call = {{"type", "function"}, {"function", {{"name", "sh"}, {"arguments", raw}}}};
        nlohmann::json msgs = nlohmann::json::array(
            {{{"role", "user"}, {"content", "q"}},
             {{"role", "assistant"}, {"content", "c"}, {"tool_calls", nlohmann::json::array({call})}}});
        // p_dsml_template.format(key="arguments", is_str="true", value=raw), inside
        // tool_call_template and tool_calls_template, after "\n\n" (assistant_msg_template).
        const std::string expected =
            kBos + "<｜User｜>q<｜Assistant｜></think>c\n\n<｜DSML｜tool_calls>\n"
                   "<｜DSML｜invoke name=\"sh\">\n"
                   "<｜DSML｜parameter name=\"arguments\" string=\"true\">" + raw +
            "</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>" + kEos;
        QCOMPARE(encodeJson(msgs.dump(), ChatMode::Chat), expected);
        // The same call with its arguments as the JSON object {"arguments": raw} renders the
        // same bytes: that is the dict the official encoder falls back to.
        call["function"]["arguments"] = nlohmann::json{{"arguments", raw}}.dump();
        msgs[1]["tool_calls"] = nlohmann::json::array({call});
        QCOMPARE(encodeJson(msgs.dump(), ChatMode::Chat), expected);
    }
    // json.loads also takes NaN, Infinity and -Infinity where a value stands (Python's json.dumps
    // writes them), so the official encoder renders such arguments as parameters, and to_json
    // (json.dumps) writes the floats back as NaN, Infinity, -Infinity. Not in a string, nor as
    // a key.
    void nonFiniteNumbersAreParsedAsPythonDoes() {
        const auto render = [](const std::string& arguments) {
            nlohmann::json call = {{"function", {{"name", "f"}, {"arguments", arguments}}}};
            nlohmann::json msgs = nlohmann::json::array(
                {{{"role", "user"}, {"content", "q"}},
                 {{"role", "assistant"}, {"content", ""}, {"tool_calls", nlohmann::json::array({call})}}});
            const std::string out = encodeJson(msgs.dump(), ChatMode::Chat);
            const std::string open = "<｜DSML｜invoke name=\"f\">\n", close = "\n</｜DSML｜invoke>";
            const auto from = out.find(open) + open.size();
            return out.substr(from, out.find(close) - from);
        };
        QCOMPARE(QString::fromStdString(render("{\"x\": NaN, \"y\": [Infinity, -Infinity, 1], \"s\": \"NaN\"}")),
                 QString::fromStdString("<｜DSML｜parameter name=\"x\" string=\"false\">NaN</｜DSML｜parameter>\n"
                             "<｜DSML｜parameter name=\"y\" string=\"false\">[Infinity, -Infinity, 1]</｜DSML｜parameter>\n"
                             "<｜DSML｜parameter name=\"s\" string=\"true\">NaN</｜DSML｜parameter>"));
        // Not JSON for json.loads either: the text passes through whole.
        for (const std::string raw : {"{NaN: 1}", "{\"x\": nan}", "{\"x\": NaNx}", "{\"a\": \"\\u0000atelier-nonfinite-NaN\", \"b\": NaN}"})
            QCOMPARE(render(raw), "<｜DSML｜parameter name=\"arguments\" string=\"true\">" + raw + "</｜DSML｜parameter>");
        // JSON that is an object only with them read: a list is still refused.
        QVERIFY(encodeError("[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"[NaN]\"}}]}]")
                    .find("JSON but not a JSON object") != std::string::npos);
    }

    void messagesBuiltInCodeWithNonObjectJsonArgumentsAreRefused() {
        ChatMessage user;
        user.content = "q";
        ChatMessage reply;
        reply.role = ChatRole::Assistant;
        reply.toolCalls.push_back({"", "f", "[1, 2]"});
        auto prompt = encodeChat({user, reply}, {ChatMode::Chat, false, true});
        QVERIFY(!prompt);
        QVERIFY2(prompt.error().message.find("message 1: tool_calls[0].function.arguments is JSON but "
                                             "not a JSON object") != std::string::npos,
                 prompt.error().message.c_str());
    }

    void toolResultsFoldInCallOrder() {
        const std::string input = "[{\"role\":\"user\",\"content\":\"q\"},\n          {\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[\n            {\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},\n            {\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},\n          {\"role\":\"tool\",\"tool_call_id\":\"b\",\"content\":\"B\"},\n          {\"role\":\"tool\",\"tool_call_id\":\"a\",\"content\":\"A\"},\n          {\"role\":\"user\",\"content\":\"thanks\"}]";
        const std::string out = encodeJson(input, ChatMode::Chat);
        const std::string tail = kEos + "<｜User｜><tool_result>A</tool_result>\n\n"
                                        "<tool_result>B</tool_result>\n\nthanks<｜Assistant｜></think>";
        QVERIFY2(out.size() > tail.size() && out.substr(out.size() - tail.size()) == tail, out.c_str());
    }

    void systemToolsAndResponseFormatAreAppended() {
        const std::string input = "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"b\":1,\"a\":\"é\"}}}],\n          \"messages\":[{\"role\":\"system\",\"content\":\"S\",\"response_format\":{\"type\":\"json_object\"}},\n                      {\"role\":\"user\",\"content\":\"u\"}]}";
        const std::string out = encodeJson(input, ChatMode::Chat);
        QVERIFY(out.find("S\n\n## Tools\n\n") == kBos.size());
        QVERIFY(out.find("\n\n{\"name\": \"f\", \"parameters\": {\"b\": 1, \"a\": \"é\"}}\n\n") != std::string::npos);
        const std::string tail = "invoke tool calls.\n\n\n## Response Format:\n\nYou MUST strictly adhere to "
                                 "the following schema to reply:\n{\"type\": \"json_object\"}<｜User｜>u";
        QVERIFY2(out.find(tail) != std::string::npos, out.c_str());
    }

    void quickInstructionTokensFollowTheTurn() {
        QCOMPARE(encodeJson("[{\"role\":\"user\",\"content\":\"p\",\"task\":\"query\"}]", ChatMode::Thinking),
                 kBos + "<｜User｜>p<｜query｜>");
        QCOMPARE(encodeJson("[{\"role\":\"user\",\"content\":\"p\",\"task\":\"action\"}]", ChatMode::Thinking),
                 kBos + "<｜User｜>p<｜Assistant｜><think><｜action｜>");
        QCOMPARE(encodeJson("[{\"role\":\"user\",\"content\":\"p\"},{\"role\":\"assistant\",\"content\":\"a\",\"task\":\"title\"}]",
                            ChatMode::Chat),
                 kBos + "<｜User｜>p<｜Assistant｜></think>a" + kEos + "<｜title｜>");
    }

    void rejections_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("needle");
        QTest::newRow("tool without call") << "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"content\":\"x\"}]"
                                           << "message 1: tool result without a preceding assistant";
        QTest::newRow("tool first") << "[{\"role\":\"tool\",\"content\":\"x\"}]" << "message 0: tool result";
        QTest::newRow("more results than calls")
            << "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\n                  {\"role\":\"tool\",\"content\":\"1\"},{\"role\":\"tool\",\"content\":\"2\"}]"
            << "message 3: more tool results than the 1 tool call(s) of message 1";
        QTest::newRow("unknown call id")
            << "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\n                  {\"role\":\"tool\",\"tool_call_id\":\"z\",\"content\":\"1\"}]"
            << "message 2: tool_call_id \"z\" matches no call";
        QTest::newRow("unknown role") << "[{\"role\":\"wizard\",\"content\":\"x\"}]" << "message 0: unknown role \"wizard\"";
        QTest::newRow("missing role") << "[{\"content\":\"x\"}]" << "message 0: role is missing";
        QTest::newRow("arguments JSON list")
            << "[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"user\",\"content\":\"q\"},\n                  {\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]"
            << "message 3: tool_calls[0].function.arguments is JSON but not a JSON object";
        QTest::newRow("arguments JSON string")
            << "[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"\\\"x\\\"\"}}]}]"
            << "message 0: tool_calls[0].function.arguments is JSON but not a JSON object";
        QTest::newRow("arguments not string")
            << "[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]"
            << "message 0: tool_calls[0].function.arguments is missing or not a JSON string";
        QTest::newRow("call without name")
            << "[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}}]}]"
            << "tool_calls[0].function.name is missing";
        QTest::newRow("developer without content") << "[{\"role\":\"developer\",\"content\":\"\"}]"
                                                   << "message 0: a developer message needs content";
        QTest::newRow("unknown task") << "[{\"role\":\"user\",\"content\":\"q\",\"task\":\"dance\"}]"
                                      << "message 0: unknown task \"dance\"";
        QTest::newRow("content not string") << "[{\"role\":\"user\",\"content\":42}]"
                                            << "message 0: content is not a string";
        QTest::newRow("tool without function") << "[{\"role\":\"system\",\"tools\":[{\"type\":\"function\"}]}]"
                                               << "message 0: tools[0].function is missing";
        QTest::newRow("tools twice")
            << "{\"tools\":[{\"function\":{\"name\":\"f\"}}],\"messages\":[{\"role\":\"system\",\"tools\":[{\"function\":{\"name\":\"g\"}}]}]}"
            << "tools given both at the top level and on message 0";
        QTest::newRow("not JSON") << "[{" << "input is not valid JSON";
        QTest::newRow("not a list") << "\"hello\"" << "expected a list of messages";
        QTest::newRow("message not object") << "[1]" << "message 0: is not an object";
    }
    void rejections() {
        QFETCH(QString, json);
        QFETCH(QString, needle);
        const std::string error = encodeError(json.toStdString());
        QVERIFY2(error.find(needle.toStdString()) != std::string::npos, error.c_str());
    }

    void completionJsonHasTheOpenAiShape() {
        ParsedCompletion p{"r", "c", {{"f", "{\"a\": 1}"}}, {}};
        QCOMPARE(completionToJson(p),
                 std::string("{\"role\":\"assistant\",\"reasoning_content\":\"r\",\"content\":\"c\",\"tool_calls\":"
                             "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\": 1}\"}}]}"));
    }
};

QTEST_APPLESS_MAIN(TestChatFormat)
#include "test_chat_format.moc"
