// ctest-labels: unit
// The OpenAI wire format without a network: request bodies become backend requests (fields,
// defaults, thinking switches, tool_choice) or errors naming the field (JSON nested deeper than
// 128 levels is refused before any tree is built from it); the SSE decoder gives
// the same events whatever the piece boundaries and line ends; URLs and the host allowlist.

#include <QtTest>

#include <nlohmann/json.hpp>

#include "atelier/agents/host_allowlist.h"
#include "atelier/agents/openai_protocol.h"
#include "atelier/agents/openai_sse.h"
#include "atelier/agents/remote_chat_backend.h"
#include "atelier/engine/chat_format.h"

using namespace atelier;
using namespace atelier::agents;

class OpenAiProtocolTest : public QObject {
    Q_OBJECT
private slots:
    void chatRequestFieldsAreRead() {
        const char* body = R"({"model":"m","messages":[{"role":"system","content":"s"},)"
R"({"role":"user","content":"u"},)"
R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",)"
"\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
R"({"role":"tool","tool_call_id":"c1","content":"sunny"}],)"
R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}],)"
R"("tool_choice":{"type":"function","function":{"name":"get_weather"}},)"
R"("stream":true,"max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":3,)"
R"("seed":42,"stop":["x","y"],"chat_template_kwargs":{"thinking":true}})";
        auto r = parseChatCompletionRequest(body, engine::ChatMode::Chat);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->model, std::string("m"));
        QVERIFY(r->stream);
        QCOMPARE(r->chat.messages.size(), std::size_t(4));
        QCOMPARE(r->chat.messages[0].toolSchemas.size(), std::size_t(1));
        QCOMPARE(r->chat.messages[2].toolCalls[0].name, std::string("get_weather"));
        QCOMPARE(r->chat.messages[3].toolCallId, std::string("c1"));
        QCOMPARE(r->chat.toolChoice, ToolChoice::Function);
        QCOMPARE(r->chat.toolChoiceName, std::string("get_weather"));
        QCOMPARE(r->chat.mode, engine::ChatMode::Thinking);
        QCOMPARE(r->chat.sampling.maxTokens, 7);
        QCOMPARE(r->chat.sampling.temperature, 0.5f);
        QCOMPARE(r->chat.sampling.topP, 0.9f);
        QCOMPARE(r->chat.sampling.topK, 3);
        QCOMPARE(r->chat.sampling.seed.value_or(0), std::uint64_t(42));
        QCOMPARE(r->chat.sampling.stop, (std::vector<std::string>{"x", "y"}));
    }

    void deeplyNestedBodiesAreRefusedNotCrashed() {
        // 100,000 levels (200 KB) used to overflow the stack while the tree was copied.
        const std::size_t deep = 100000;
        const std::string nest = std::string(deep, '[') + std::string(deep, ']');
        const std::string user = "{\"messages\":[{\"role\":\"user\",\"content\":\"u\"}]";
        const std::vector<std::string> bodies = {
            "{\"messages\":" + nest + "}", user + ",\"tools\":" + nest + "}",
            user + ",\"x\":" + std::string(deep, '{') + std::string(deep, '}') + "}", nest};
        for (const std::string& body : bodies) {
            auto chat = parseChatCompletionRequest(body, engine::ChatMode::Chat);
            QVERIFY(!chat);
            QCOMPARE(apiErrorFor(chat.error()).status, 400);
            QVERIFY2(chat.error().message.find("deeper than 128") != std::string::npos,
                     chat.error().message.c_str());
        }
        auto completion = parseCompletionRequest("{\"prompt\":" + nest + "}");
        QVERIFY(!completion);
        QCOMPARE(apiErrorFor(completion.error()).status, 400);
        // 128 levels are fine, and brackets inside strings are text, not nesting.
        const std::string text = std::string(5000, '[') + "\\\"[{";  // [[..[\"[{ in JSON
        const std::string ok = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + text +
                               "\"}],\"x\":" + std::string(126, '[') + std::string(126, ']') + "}";
        auto fine = parseChatCompletionRequest(ok, engine::ChatMode::Chat);
        QVERIFY2(fine.has_value(), fine ? "" : fine.error().message.c_str());
        QCOMPARE(fine->chat.messages.back().content.value_or(""),
                 std::string(5000, '[') + "\"[{");
    }

    void defaultsAndEffort() {
        auto r = parseChatCompletionRequest(R"({"messages":[{"role":"user","content":"u"}],)"
R"("reasoning_effort":"max"})", engine::ChatMode::Chat);
        QVERIFY(r.has_value());
        QCOMPARE(r->chat.mode, engine::ChatMode::Max);
        QVERIFY(!r->stream);
        QCOMPARE(r->chat.toolChoice, ToolChoice::Auto);
        auto d = parseChatCompletionRequest(R"({"messages":[{"role":"user","content":"u"}]})",
                                            engine::ChatMode::Thinking);
        QVERIFY(d.has_value());
        QCOMPARE(d->chat.mode, engine::ChatMode::Thinking);
    }

    void badFieldsAreNamed_data() {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("field");
        QTest::newRow("not json") << "{" << "JSON";
        QTest::newRow("no messages") << R"({"model":"m"})" << "messages";
        QTest::newRow("temperature") << R"({"messages":[{"role":"user","content":"u"}],"temperature":9})" << "temperature";
        QTest::newRow("top_p") << R"({"messages":[{"role":"user","content":"u"}],"top_p":0})" << "top_p";
        QTest::newRow("stream") << R"({"messages":[{"role":"user","content":"u"}],"stream":"yes"})" << "stream";
        QTest::newRow("stop") << R"({"messages":[{"role":"user","content":"u"}],"stop":[1]})" << "stop";
        QTest::newRow("tool_choice") << R"({"messages":[{"role":"user","content":"u"}],"tool_choice":"sometimes"})" << "tool_choice";
        QTest::newRow("message") << R"({"messages":[{"role":"user","content":"u"},{"role":"user","content":[]}]})" << "message 1";
        QTest::newRow("seed") << R"({"messages":[{"role":"user","content":"u"}],"seed":1.5})" << "seed";
    }
    void badFieldsAreNamed() {
        QFETCH(QString, body);
        QFETCH(QString, field);
        auto r = parseChatCompletionRequest(body.toStdString(), engine::ChatMode::Chat);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, ErrorCode::BadInput);
        QVERIFY2(QString::fromStdString(r.error().message).contains(field),
                 r.error().message.c_str());
        QCOMPARE(apiErrorFor(r.error()).status, 400);
    }

    void completionPromptTextOrIds() {
        auto t = parseCompletionRequest(R"({"prompt":"abc","max_tokens":3})");
        QVERIFY(t.has_value() && t->prompts.size() == 1 && t->prompts[0].text == "abc");
        auto i = parseCompletionRequest(R"({"prompt":[5,6,7]})");
        QVERIFY(i.has_value() && i->prompts.size() == 1 && !i->prompts[0].text);
        QCOMPARE(i->prompts[0].ids, (std::vector<std::int32_t>{5, 6, 7}));
        QVERIFY(!parseCompletionRequest(R"({"prompt":[]})").has_value());
        QVERIFY(!parseCompletionRequest(R"({"prompt":{"a":1}})").has_value());
    }

    // Array-form content on every role: text parts joined with "\n", the same messages as the
    // string form; any other part is refused naming its message, index and type.
    void contentPartsAreText() {
        auto parts = parseChatCompletionRequest(
            R"({"messages":[{"role":"system","content":[{"type":"text","text":"be"},{"type":"text","text":"brief"}]},)"
            R"({"role":"user","content":[{"type":"text","text":"hi"}]}]})", engine::ChatMode::Chat);
        QVERIFY2(parts.has_value(), parts ? "" : parts.error().message.c_str());
        QCOMPARE(parts->chat.messages[0].content.value_or(""), std::string("be\nbrief"));
        QCOMPARE(parts->chat.messages[1].content.value_or(""), std::string("hi"));
        auto image = parseChatCompletionRequest(
            R"({"messages":[{"role":"user","content":[{"type":"text","text":"see"},)"
            R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]})", engine::ChatMode::Chat);
        QVERIFY(!image);
        QCOMPARE(apiErrorFor(image.error()).status, 400);
        const std::string m = image.error().message;
        QVERIFY2(m.find("message 0") != std::string::npos && m.find("content[1]") != std::string::npos &&
                     m.find("image_url") != std::string::npos, m.c_str());
    }

    // Tool-call arguments that are not JSON (a client replaying a truncated call) are taken, as
    // DeepSeek V4's official encoder takes them: rendered as one string parameter named
    // "arguments" (encode_arguments_to_dsml's json.loads fallback; test_chat_format checks the
    // bytes). JSON that is not an object, on which that encoder fails, is a 400 naming it.
    void toolCallArgumentsThatAreNotJsonAreAccepted() {
        const std::string raw = "{\"cmd\": \"ls";  // a call cut short
        const nlohmann::json call = {{"id", "c1"}, {"type", "function"},
                                     {"function", {{"name", "sh"}, {"arguments", raw}}}};
        const nlohmann::json body = {
            {"messages",
             {{{"role", "user"}, {"content", "u"}},
              {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", nlohmann::json::array({call})}},
              {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "x"}}}}};
        auto r = parseChatCompletionRequest(body.dump(), engine::ChatMode::Chat);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->chat.messages[1].toolCalls[0].arguments, raw);
        auto prompt = engine::encodeChat(r->chat.messages, {engine::ChatMode::Chat, false, false});
        QVERIFY2(prompt.has_value(), prompt ? "" : prompt.error().message.c_str());
        const std::string invoke = "<｜DSML｜invoke name=\"sh\">\n<｜DSML｜parameter name=\"arguments\" "
                                   "string=\"true\">" + raw + "</｜DSML｜parameter>\n</｜DSML｜invoke>";
        QVERIFY2(prompt->find(invoke) != std::string::npos, prompt->c_str());
        auto list = parseChatCompletionRequest(
            R"({"messages":[{"role":"assistant","content":null,)"
            R"("tool_calls":[{"type":"function","function":{"name":"sh","arguments":"[1]"}}]}]})",
            engine::ChatMode::Chat);
        QVERIFY(!list);
        QCOMPARE(apiErrorFor(list.error()).status, 400);
        QVERIFY2(list.error().message.find("arguments is JSON but not a JSON object") != std::string::npos,
                 list.error().message.c_str());
    }

    // Absent fields take OpenAI's defaults: no seed (a random one per turn), max_tokens to the
    // context's end, no logprobs, parallel tool calls, no usage chunk.
    void openAiDefaults() {
        auto d = parseChatCompletionRequest(R"({"messages":[{"role":"user","content":"u"}]})",
                                            engine::ChatMode::Chat);
        QVERIFY(d.has_value());
        QVERIFY(!d->chat.sampling.seed.has_value());
        QCOMPARE(d->chat.sampling.maxTokens, 0);
        QCOMPARE(d->chat.sampling.logprobs, -1);
        QVERIFY(d->chat.parallelToolCalls);
        QVERIFY(!d->includeUsage);
        QVERIFY(!d->chat.responseSchema);
        auto c = parseCompletionRequest(R"({"prompt":"p"})");
        QVERIFY(c.has_value() && !c->sampling.seed && c->sampling.maxTokens == 0);
        // The remote backend sends no seed unless one was given.
        ChatBackendRequest req = d->chat;
        QVERIFY(!nlohmann::json::parse(RemoteChatBackend::requestJson(req, "m", false)).contains("seed"));
        req.sampling.seed = 7;
        QCOMPARE(nlohmann::json::parse(RemoteChatBackend::requestJson(req, "m", false))["seed"].get<int>(), 7);
    }

    void extensionsAreRead() {
        auto r = parseChatCompletionRequest(
            R"({"messages":[{"role":"user","content":"u"}],"logprobs":true,"top_logprobs":3,)"
            R"("parallel_tool_calls":false,"stream":true,"stream_options":{"include_usage":true},)"
            R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":)"
            R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}})",
            engine::ChatMode::Chat);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->chat.sampling.logprobs, 3);
        QVERIFY(!r->chat.parallelToolCalls);
        QVERIFY(r->includeUsage);
        QVERIFY(r->chat.responseSchema.has_value());
        QCOMPARE(nlohmann::json::parse(*r->chat.responseSchema)["required"][0].get<std::string>(), std::string("a"));
        // The schema reaches the model on the system message, as the chat format renders it.
        QCOMPARE(r->chat.messages.front().role, engine::ChatRole::System);
        QVERIFY(r->chat.messages.front().responseFormat.has_value());
        auto o = parseChatCompletionRequest(
            R"({"messages":[{"role":"user","content":"u"}],"response_format":{"type":"json_object"}})",
            engine::ChatMode::Chat);
        QVERIFY(o.has_value() && o->chat.responseSchema);
        QCOMPARE(nlohmann::json::parse(*o->chat.responseSchema)["type"].get<std::string>(), std::string("object"));
        auto t = parseChatCompletionRequest(
            R"({"messages":[{"role":"user","content":"u"}],"response_format":{"type":"text"}})",
            engine::ChatMode::Chat);
        QVERIFY(t.has_value() && !t->chat.responseSchema);
    }

    void extensionErrorsAreNamed_data() {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("field");
        const QString u = R"({"messages":[{"role":"user","content":"u"}],)";
        QTest::newRow("top_logprobs alone") << u + R"("top_logprobs":2})" << "top_logprobs";
        QTest::newRow("top_logprobs range") << u + R"("logprobs":true,"top_logprobs":21})" << "top_logprobs";
        QTest::newRow("n") << u + R"("n":129})" << "n is 129: at most 128 choices";
        QTest::newRow("format type") << u + R"("response_format":{"type":"yaml"}})" << "response_format.type";
        QTest::newRow("format schema") << u + R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"nothing"}}}})"
                                       << "response_format.json_schema.schema";
        QTest::newRow("stream_options") << u + R"("stream_options":{"include_usage":1}})" << "include_usage";
        QTest::newRow("parallel") << u + R"("parallel_tool_calls":"no"})" << "parallel_tool_calls";
        QTest::newRow("empty parts") << R"({"messages":[{"role":"user","content":[]}]})" << "empty list";
        QTest::newRow("part without text") << R"({"messages":[{"role":"tool","content":[{"type":"text"}]}]})" << "content[0].text";
    }
    void extensionErrorsAreNamed() {
        QFETCH(QString, body);
        QFETCH(QString, field);
        auto r = parseChatCompletionRequest(body.toStdString(), engine::ChatMode::Chat);
        QVERIFY(!r.has_value());
        QCOMPARE(apiErrorFor(r.error()).status, 400);
        QVERIFY2(QString::fromStdString(r.error().message).contains(field), r.error().message.c_str());
    }

    // LangChain's OpenAI class sends `prompt` as a list (its batch of up to 20 prompts in one
    // request) and `n`: each listed prompt is one, in order, with n choices; more than
    // kMaxChoices choices, best_of other than n, echo and logprobs are refused by name.
    void completionPromptLists() {
        auto one = parseCompletionRequest(R"({"prompt":["abc"]})");
        QVERIFY(one.has_value() && one->prompts.size() == 1 && one->prompts[0].text == "abc");
        QCOMPARE(one->n, 1);
        auto ids = parseCompletionRequest(R"({"prompt":[[5,6]]})");
        QVERIFY(ids.has_value() && ids->prompts.size() == 1 && !ids->prompts[0].text);
        QCOMPARE(ids->prompts[0].ids, (std::vector<std::int32_t>{5, 6}));
        auto several = parseCompletionRequest(R"({"prompt":["a",[7],"c"],"n":3,"best_of":3})");
        QVERIFY2(several.has_value(), several ? "" : several.error().message.c_str());
        QCOMPARE(several->prompts.size(), std::size_t(3));
        QVERIFY(several->prompts[0].text == "a" && several->prompts[2].text == "c");
        QVERIFY(!several->prompts[1].text && several->prompts[1].ids == std::vector<std::int32_t>{7});
        QCOMPARE(several->n, 3);
        const std::string many = "{\"prompt\":[" + [] {
            std::string list;
            for (int i = 0; i <= kMaxChoices; ++i) list += (i ? ",\"p\"" : "\"p\"");
            return list;
        }() + "]}";
        const std::vector<std::pair<std::string, std::string>> bad = {
            {R"({"prompt":["a",""]})", "prompt[1] is empty"},
            {R"({"prompt":["a",{"x":1}]})", "prompt[1] is not a string"},
            {R"({"prompt":[[1],["x"]]})", "prompt[1] is a list with a non-token-id item"},
            {R"({"prompt":"a","n":0})", "n is out of range"},
            {R"({"prompt":["a","b"],"n":65})", "n is 65: with 2 prompt(s), at most 128 choices"},
            {many, "is a list of 129 prompts"},
            {R"({"prompt":"a","n":2,"best_of":1})", "best_of is 1: it must be at least n (2)"},
            {R"({"prompt":"a","best_of":2})", "best_of is 2: only best_of equal to n (1)"},
            {R"({"prompt":"a","echo":true})", "echo"},
            {R"({"prompt":"a","logprobs":2})", "logprobs"}};
        for (const auto& [body, needle] : bad) {
            auto r = parseCompletionRequest(body);
            QVERIFY2(!r.has_value(), body.c_str());
            QCOMPARE(apiErrorFor(r.error()).status, 400);
            QVERIFY2(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
        }
        QVERIFY(parseCompletionRequest(R"({"prompt":"a","n":128})").has_value());
        auto usage = parseCompletionRequest(R"({"prompt":"a","stream":true,"stream_options":{"include_usage":true}})");
        QVERIFY(usage.has_value() && usage->includeUsage);
    }

    void usageChunkAndModelEntry() {
        ChatUsage u{3, 1, 4};
        const auto c = nlohmann::json::parse(usageChunkJson("id", "chat.completion.chunk", "m", 5, u));
        QVERIFY(c["choices"].is_array() && c["choices"].empty());
        QCOMPARE(c["usage"]["total_tokens"].get<int>(), 7);
        const auto m = nlohmann::json::parse(modelJson("tiny", 9));
        QCOMPARE(m["id"].get<std::string>(), std::string("tiny"));
        QCOMPARE(m["object"].get<std::string>(), std::string("model"));
        ChatEvent done;
        done.kind = ChatEventKind::Done;
        QVERIFY(!nlohmann::json::parse(chatChunkJson("c", "m", 0, done, 0, nullptr)).contains("usage"));
        QVERIFY(nlohmann::json::parse(chatChunkJson("c", "m", 0, done, 0, &u)).contains("usage"));
    }

    void errorJsonHasOpenAiShape() {
        const auto j = nlohmann::json::parse(apiErrorJson({413, "too big", "invalid_request_error", "body_too_large"}));
        QCOMPARE(j["error"]["message"].get<std::string>(), std::string("too big"));
        QCOMPARE(j["error"]["type"].get<std::string>(), std::string("invalid_request_error"));
        QCOMPARE(j["error"]["code"].get<std::string>(), std::string("body_too_large"));
    }

    void toolCallPiecesHaveOpenAiDeltaShape() {
        ChatUsage usage;
        ChatEvent first;
        first.kind = ChatEventKind::ToolCallDelta;
        first.toolIndex = 1;
        first.toolCall.id = "call_1";
        first.toolCall.name = "get_weather";
        auto a = nlohmann::json::parse(chatChunkJson("c", "m", 0, first, 0, &usage));
        const auto& call = a["choices"][0]["delta"]["tool_calls"][0];
        QCOMPARE(call["index"].get<int>(), 1);
        QCOMPARE(call["id"].get<std::string>(), std::string("call_1"));
        QCOMPARE(call["type"].get<std::string>(), std::string("function"));
        QCOMPARE(call["function"]["name"].get<std::string>(), std::string("get_weather"));
        QCOMPARE(call["function"]["arguments"].get<std::string>(), std::string());
        QVERIFY(a["choices"][0]["finish_reason"].is_null());

        ChatEvent more;
        more.kind = ChatEventKind::ToolCallDelta;
        more.toolIndex = 1;
        more.text = "{\"city\":";
        auto b = nlohmann::json::parse(chatChunkJson("c", "m", 0, more, 0, &usage));
        const auto& piece = b["choices"][0]["delta"]["tool_calls"][0];
        QCOMPARE(piece["index"].get<int>(), 1);
        QVERIFY(!piece.contains("id") && !piece["function"].contains("name"));
        QCOMPARE(piece["function"]["arguments"].get<std::string>(), more.text);
    }

    void sseIsSplitIndependently() {
        const std::string stream =
            ": comment\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: two\ndata: lines\n\ndata:[DONE]\r\r";
        const std::vector<std::string> expected{"{\"a\":1}", "two\nlines", "[DONE]"};
        for (std::size_t piece : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(7), stream.size()}) {
            SseDecoder d;
            std::vector<std::string> got;
            for (std::size_t i = 0; i < stream.size(); i += piece)
                for (auto& e : d.feed(std::string_view(stream).substr(i, piece))) got.push_back(e);
            QCOMPARE(got, expected);
        }
        SseDecoder small(16);
        small.feed("data: " + std::string(100, 'x'));
        QVERIFY(small.failed());
    }

    void urlsAndAllowlist() {
        auto u = parseHttpUrl("http://Example.org:8000/v1/");
        QVERIFY(u.has_value());
        QCOMPARE(u->host, std::string("Example.org"));
        QCOMPARE(u->port, 8000);
        QCOMPARE(u->basePath, std::string("/v1"));
        auto v = parseHttpUrl("https://[::1]");
        QVERIFY(v.has_value());
        QCOMPARE(v->host, std::string("::1"));
        QCOMPARE(v->port, 443);
        QCOMPARE(v->basePath, std::string("/v1"));
        QVERIFY(!parseHttpUrl("ftp://x").has_value());
        QVERIFY(!parseHttpUrl("http://user:pw@x").has_value());
        QVERIFY(!parseHttpUrl("http://x:99999").has_value());
        HostAllowlist list({"example.org", "[::1]"});
        QVERIFY(list.allows("EXAMPLE.org"));
        QVERIFY(list.allows("::1"));
        QVERIFY(!list.allows("example.org.evil.net"));
        QVERIFY(!HostAllowlist().allows("127.0.0.1"));
        QCOMPARE(HostAllowlist().check("x").error().code, ErrorCode::Denied);
    }

    void remoteRequestRoundTripsThroughTheParser() {
        auto r = parseChatCompletionRequest(R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],)"
R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],)"
R"("tool_choice":"required","max_tokens":9,"temperature":0.25,"reasoning_effort":"max"})",
                                            engine::ChatMode::Chat);
        QVERIFY(r.has_value());
        const std::string sent = RemoteChatBackend::requestJson(r->chat, "m", true);
        auto back = parseChatCompletionRequest(sent, engine::ChatMode::Chat);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(back->stream);
        QCOMPARE(back->chat.messages[0].toolSchemas, r->chat.messages[0].toolSchemas);
        QCOMPARE(back->chat.toolChoice, ToolChoice::Required);
        QCOMPARE(back->chat.mode, engine::ChatMode::Max);
        QCOMPARE(back->chat.sampling.maxTokens, 9);
        QCOMPARE(back->chat.sampling.temperature, 0.25f);
    }
};

QTEST_APPLESS_MAIN(OpenAiProtocolTest)
#include "test_openai_protocol.moc"
