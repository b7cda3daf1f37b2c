// ctest-labels: unit
// MCP sampling (issue 20): a server whose configuration allows it ("sampling") may ask
// Atelier's model for a completion (sampling/createMessage) in the middle of a tools/call. The
// tests' mcp_test_server (--sampling) makes that request from its `sample` tool, answered by a
// tiny random-weight model through backendSampler: its reply is the turn the same conversation
// gives on the turn API directly at the same seed. A server not allowed to sample is refused
// with an error naming the setting (and is not offered the capability); the server's maxTokens
// is capped by the configuration; image content is refused naming the part; every request is
// reported for the audit log.

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <mutex>

#include "atelier/agents/local_chat_backend.h"
#include "atelier/agents/mcp_sampling.h"
#include "atelier/agents/mcp_tool.h"
#include "atelier/agents/sandbox.h"
#include "atelier/engine/generation_service.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/engine/weight_source.h"

using namespace atelier;
using namespace atelier::agents;
namespace fs = std::filesystem;
using nlohmann::json;

#define REQUIRE_SANDBOX()                                                                   \
    if (auto ok = sandbox::available(); !ok)                                                \
    QSKIP(("bubblewrap cannot sandbox on this machine: " + ok.error().message).c_str())

namespace {

const fs::path kServer = fs::path(ATELIER_BINARY_DIR) / "tests" / "mcp_test_server";
constexpr std::uint64_t kSeed = 5;

struct Turn {
    std::string content;
    ChatUsage usage;
    TurnFinish finish = TurnFinish::Stop;
};

}  // namespace

class TestMcpSampling : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_grant;
    std::unique_ptr<engine::GenerationService> m_service;
    std::shared_ptr<LocalChatBackend> m_backend;
    std::int32_t m_eos = -1;
    std::optional<engine::Tokenizer> m_tokenizer;
    std::mutex m_recordsMutex;
    std::vector<json> m_records;

    ChatSampling baseSampling() const {
        ChatSampling s;
        s.temperature = 0.9f;
        s.seed = kSeed;
        return s;
    }

    // The same conversation on the turn API, as `generate` and `chat` run it.
    Turn direct(std::vector<engine::ChatMessage> messages, int maxTokens, ChatBackend* backend = nullptr) {
        ChatBackendRequest request;
        request.messages = std::move(messages);
        request.sampling = baseSampling();
        request.sampling.maxTokens = maxTokens;
        Turn t;
        std::mutex m;
        auto turn = (backend ? backend : m_backend.get())->start(request, [&](const ChatEvent& e) {
            std::lock_guard lock(m);
            if (e.kind == ChatEventKind::ContentDelta) t.content += e.text;
            if (e.kind == ChatEventKind::Done) {
                t.usage = e.usage;
                t.finish = e.finish;
            }
        });
        if (!turn) qFatal("start: %s", turn.error().message.c_str());
        (*turn)->wait();
        return t;
    }

    // A registry with the test server's tools; `sampling` as its configuration says.
    std::unique_ptr<ToolRegistry> registry(bool sampling, int cap = kMcpSamplingDefaultMaxTokens,
                                           bool withModel = true, std::shared_ptr<ChatBackend> backend = nullptr) {
        McpServerConfig config{"test", kServer.string(), {"--sampling", "--page-size", "20"}, {}};
        config.sampling = sampling;
        config.samplingMaxTokens = cap;
        McpOptions options;
        if (withModel)
            options.sampler = backendSampler(backend ? backend : m_backend, baseSampling(), engine::ChatMode::Chat, m_eos);
        options.onSampling = [this](const json& record) {
            std::lock_guard lock(m_recordsMutex);
            m_records.push_back(record);
        };
        auto r = std::make_unique<ToolRegistry>();
        auto added = addMcpTools(*r, {config}, Policy({{m_grant, Access::Read}}), options);
        if (!added) qFatal("addMcpTools: %s", added.error().message.c_str());
        return r;
    }

    Result<ToolResult> call(ToolRegistry& r, const std::string& tool, const json& args) {
        const Policy policy({{m_grant, Access::Read}});
        const PolicyToolContext ctx(policy, m_grant);
        return r.call(tool, args, ctx);
    }

    json lastRecord() {
        std::lock_guard lock(m_recordsMutex);
        return m_records.empty() ? json() : m_records.back();
    }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_grant = fs::canonical(m_tmp.path().toStdString());
        auto model = engine::Model::load(engine::randomWeights(*engine::presetConfig("tiny"), 11));
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        auto tok = engine::Tokenizer::fromVocabulary(engine::builtinVocabulary(1024));
        QVERIFY(tok);
        m_service = std::make_unique<engine::GenerationService>(std::move(*model), engine::GenerationOptions{}, *tok);
        m_backend = std::make_shared<LocalChatBackend>(*m_service, *tok, "tiny");
        m_eos = tok->eosId();
        m_tokenizer = *tok;
    }

    void cleanupTestCase() {
        m_backend.reset();
        m_service.reset();
    }

    void configReadsTheSamplingField() {
        const auto parse = [](json entry) {
            return parseMcpConfig(json{{"mcpServers", {{"s", std::move(entry)}}}}.dump(), "c");
        };
        auto none = parse({{"command", "x"}});
        QVERIFY(none);
        QVERIFY(!none->front().sampling);  // denied by default
        auto yes = parse({{"command", "x"}, {"sampling", true}});
        QVERIFY(yes && yes->front().sampling);
        QCOMPARE(yes->front().samplingMaxTokens, kMcpSamplingDefaultMaxTokens);
        auto capped = parse({{"command", "x"}, {"sampling", {{"max_tokens", 7}}}});
        QVERIFY(capped && capped->front().sampling);
        QCOMPARE(capped->front().samplingMaxTokens, 7);
        const std::vector<std::pair<json, std::string>> bad = {
            {"yes", "c: mcpServers.s.sampling must be true, false or {\"max_tokens\": N}"},
            {{{"max_tokens", 0}}, "c: mcpServers.s.sampling.max_tokens must be a whole number from 1"},
            {{{"max_tokens", 2.5}}, "c: mcpServers.s.sampling.max_tokens must be a whole number from 1"},
            {{{"tokens", 5}}, "c: mcpServers.s.sampling.tokens is not a sampling setting"},
        };
        for (const auto& [value, want] : bad) {
            auto r = parse({{"command", "x"}, {"sampling", value}});
            QVERIFY(!r);
            QVERIFY2(r.error().message.find(want) != std::string::npos, r.error().message.c_str());
        }
    }

    void paramsAreReadAndRefusedNamingThePart() {
        const json text = {{"type", "text"}, {"text", "hi"}};
        auto ok = parseMcpSamplingParams({{"messages", {{{"role", "user"}, {"content", text}}}},
                                          {"systemPrompt", "Be brief."}, {"maxTokens", 500},
                                          {"temperature", 0.5}, {"stopSequences", {"\n"}}},
                                         "srv", 64);
        QVERIFY2(ok, ok ? "" : ok.error().message.c_str());
        QCOMPARE(ok->messages.size(), std::size_t(2));
        QCOMPARE(int(ok->messages[0].role), int(engine::ChatRole::System));
        QCOMPARE(*ok->messages[0].content, std::string("Be brief."));
        QCOMPARE(*ok->messages[1].content, std::string("hi"));
        QCOMPARE(ok->maxTokens, 64);  // capped
        QCOMPARE(*ok->temperature, 0.5f);
        QCOMPARE(ok->stopSequences, std::vector<std::string>{"\n"});
        const json image = {{"type", "image"}, {"data", "AA=="}, {"mimeType", "image/png"}};
        const std::vector<std::pair<json, std::string>> bad = {
            {{{"messages", {{{"role", "user"}, {"content", json::array({text, image})}}}}, {"maxTokens", 5}},
             "messages[0].content[1] is image content"},
            {{{"messages", {{{"role", "user"}, {"content", {{"type", "audio"}, {"data", ""}}}}}}, {"maxTokens", 5}},
             "messages[0].content is audio content"},
            {{{"messages", {{{"role", "system"}, {"content", text}}}}, {"maxTokens", 5}},
             "messages[0].role must be \"user\" or \"assistant\""},
            {{{"messages", {{{"role", "user"}, {"content", text}}}}}, "maxTokens must be a whole number above 0"},
            {{{"messages", json::array()}, {"maxTokens", 5}}, "messages must be a non-empty array"},
        };
        for (const auto& [params, want] : bad) {
            auto r = parseMcpSamplingParams(params, "srv", 64);
            QVERIFY(!r);
            QVERIFY2(r.error().message.find("MCP server 'srv'") != std::string::npos, r.error().message.c_str());
            QVERIFY2(r.error().message.find(want) != std::string::npos, r.error().message.c_str());
        }
    }

    void anAllowedServerGetsTheModelsTurn() {
        REQUIRE_SANDBOX();
        auto r = registry(true);
        auto caps = call(*r, "test__client_capabilities", json::object());
        QVERIFY(caps);
        QVERIFY2(json::parse(caps->text).contains("sampling"), caps->text.c_str());
        // One user message, with a system prompt, and a conversation with an assistant turn.
        const std::vector<std::pair<json, std::vector<engine::ChatMessage>>> cases = {
            {{{"prompt", "What is two and two?"}, {"max_tokens", 12}},
             {{engine::ChatRole::User, "What is two and two?"}}},
            {{{"prompt", "Name a colour."}, {"max_tokens", 12}, {"system", "You answer in one word."}},
             {{engine::ChatRole::System, "You answer in one word."}, {engine::ChatRole::User, "Name a colour."}}},
            {{{"prompt", "And now?"}, {"max_tokens", 12}, {"history", true}},
             {{engine::ChatRole::User, "Hi."}, {engine::ChatRole::Assistant, "Hello."},
              {engine::ChatRole::User, "And now?"}}},
        };
        for (const auto& [args, messages] : cases) {
            auto got = call(*r, "test__sample", args);
            QVERIFY2(got, got ? "" : got.error().message.c_str());
            const Turn want = direct(messages, 12);
            QVERIFY(want.usage.completionTokens > 0);
            QCOMPARE(got->text, want.content);
            const json& result = got->data["structuredContent"];
            QCOMPARE(result["role"].get<std::string>(), std::string("assistant"));
            QCOMPARE(result["content"]["type"].get<std::string>(), std::string("text"));
            QCOMPARE(result["model"].get<std::string>(), std::string("tiny"));
            QCOMPARE(result["stopReason"].get<std::string>(),
                     std::string(want.finish == TurnFinish::Stop ? "endTurn" : "maxTokens"));
            const json record = lastRecord();
            QCOMPARE(record["mcp_server"].get<std::string>(), std::string("test"));
            QCOMPARE(record["allowed"].get<bool>(), true);
            QCOMPARE(record["completion_tokens"].get<std::int64_t>(), want.usage.completionTokens);
            QCOMPARE(record["prompt_tokens"].get<std::int64_t>(), want.usage.promptTokens);
        }
    }

    void maxTokensIsHonouredAndCapped() {
        REQUIRE_SANDBOX();
        const std::vector<engine::ChatMessage> messages = {{engine::ChatRole::User, "Count to ten."}};
        // The server's own limit.
        auto r = registry(true);
        auto three = call(*r, "test__sample", {{"prompt", "Count to ten."}, {"max_tokens", 3}});
        QVERIFY2(three, three ? "" : three.error().message.c_str());
        const Turn want3 = direct(messages, 3);
        QCOMPARE(three->text, direct(messages, 3).content);
        QVERIFY(lastRecord()["completion_tokens"].get<std::int64_t>() <= 3);
        if (want3.finish == TurnFinish::Length)
            QCOMPARE(three->data["structuredContent"]["stopReason"].get<std::string>(), std::string("maxTokens"));
        // The configuration's cap under a larger request.
        auto capped = registry(true, 2);
        auto two = call(*capped, "test__sample", {{"prompt", "Count to ten."}, {"max_tokens", 40}});
        QVERIFY2(two, two ? "" : two.error().message.c_str());
        QCOMPARE(two->text, direct(messages, 2).content);
        QCOMPARE(lastRecord()["max_tokens"].get<int>(), 2);
        QVERIFY(lastRecord()["completion_tokens"].get<std::int64_t>() <= 2);
    }

    void maxTokensIsCappedByTheContextLeft() {
        REQUIRE_SANDBOX();
        // A model whose context holds 64 tokens: a request for 100000 runs to the context's end.
        auto model = engine::Model::load(engine::randomWeights(*engine::presetConfig("tiny"), 11));
        QVERIFY(model);
        engine::GenerationOptions small;
        small.maxContext = 64;
        engine::GenerationService service(std::move(*model), small, *m_tokenizer);
        auto backend = std::make_shared<LocalChatBackend>(service, *m_tokenizer, "tiny");
        const std::vector<engine::ChatMessage> messages = {{engine::ChatRole::User, "Count to ten."}};
        const Turn want = direct(messages, 0, backend.get());
        QVERIFY(want.usage.promptTokens < 64);
        auto r = registry(true, kMcpSamplingMaxTokensLimit, true, backend);
        auto got = call(*r, "test__sample", {{"prompt", "Count to ten."}, {"max_tokens", 100000}});
        QVERIFY2(got, got ? "" : got.error().message.c_str());
        QCOMPARE(got->text, want.content);
        QCOMPARE(lastRecord()["completion_tokens"].get<std::int64_t>(), want.usage.completionTokens);
        QVERIFY(want.usage.promptTokens + want.usage.completionTokens <= 64);
        if (want.finish == TurnFinish::ContextFull)
            QCOMPARE(got->data["structuredContent"]["stopReason"].get<std::string>(), std::string("maxTokens"));
        r.reset();  // the server's sampler holds the backend, which refers to the service
    }

    void aStopSequenceEndsTheReply() {
        REQUIRE_SANDBOX();
        // The tiny model's reply, then a stop sequence taken from inside it.
        const std::vector<engine::ChatMessage> messages = {{engine::ChatRole::User, "Say something."}};
        const Turn full = direct(messages, 24);
        if (full.content.size() < 4) QSKIP("the tiny model's reply is too short to cut");
        std::size_t at = full.content.size() / 3;
        const auto ascii = [&](std::size_t i) { return static_cast<unsigned char>(full.content[i]) < 0x80; };
        while (at + 2 < full.content.size() && !(ascii(at) && ascii(at + 1))) ++at;
        if (at + 2 >= full.content.size()) QSKIP("the tiny model's reply has no ASCII pair to stop at");
        const std::string stop = full.content.substr(at, 2);
        auto r = registry(true);
        auto got = call(*r, "test__sample", {{"prompt", "Say something."}, {"max_tokens", 24}, {"stop", {stop}},
                                             {"temperature", 0.9}});
        QVERIFY2(got, got ? "" : got.error().message.c_str());
        QCOMPARE(got->text, full.content.substr(0, full.content.find(stop)));
        QCOMPARE(got->data["structuredContent"]["stopReason"].get<std::string>(), std::string("stopSequence"));
    }

    void aServerNotAllowedIsRefusedNamingTheSetting() {
        REQUIRE_SANDBOX();
        auto r = registry(false);
        auto caps = call(*r, "test__client_capabilities", json::object());
        QVERIFY(caps);
        QVERIFY2(!json::parse(caps->text).contains("sampling"), caps->text.c_str());
        auto got = call(*r, "test__sample", {{"prompt", "hi"}, {"max_tokens", 4}});
        QVERIFY(!got);
        const std::string& why = got.error().message;
        QVERIFY2(why.find("sampling refused: MCP server 'test' may not ask") != std::string::npos, why.c_str());
        QVERIFY2(why.find("\"sampling\": true in mcpServers.test") != std::string::npos, why.c_str());
        QVERIFY(why.find('\n') == std::string::npos);
        QCOMPARE(lastRecord()["allowed"].get<bool>(), false);
        QVERIFY(lastRecord().contains("error"));
        // The server goes on working.
        auto echo = call(*r, "test__echo", {{"text", "still here"}});
        QVERIFY(echo);
    }

    void imageContentAndNoModelAreRefused() {
        REQUIRE_SANDBOX();
        auto r = registry(true);
        auto image = call(*r, "test__sample", {{"prompt", "What is this?"}, {"max_tokens", 4}, {"image", true}});
        QVERIFY(!image);
        QVERIFY2(image.error().message.find("messages[0].content[1] is image content") != std::string::npos,
                 image.error().message.c_str());
        auto noModel = registry(true, kMcpSamplingDefaultMaxTokens, false);
        auto got = call(*noModel, "test__sample", {{"prompt", "hi"}, {"max_tokens", 4}});
        QVERIFY(!got);
        QVERIFY2(got.error().message.find("no local model is loaded") != std::string::npos,
                 got.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestMcpSampling)
#include "test_mcp_sampling.moc"
