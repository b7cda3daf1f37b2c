// ctest-labels: unit
// ctest-libs: PkgConfig::CPP_HTTPLIB
// The OpenAI-compatible server over real HTTP: errors in OpenAI's {"error":{..}} shape with the
// right status (400 malformed JSON and wrong field types, 404 unknown route or model, 413 body
// too large, 401 missing key); a non-loopback host without a key is refused; slow clients that
// never finish their request do not stop others from being served; completions streamed and
// not agree; concurrent requests are all answered; stopping the server cancels a request that
// waits for its whole reply; n choices on both endpoints and several prompts on
// /v1/completions are each the reply of a request for that prompt alone at its seed, whole and
// streamed; reasoning tokens are counted. The attacks of issue 21 are refused or bounded: JSON
// nested 100,000 deep (400, it used to crash the server), bodies not sent as application/json (415),
// a Host that does not name the server (DNS rebinding, 403), a cross-origin browser request
// (403 unless --cors allows the origin), connections trickling headers or a body (closed at
// their deadline while a client with the key is still answered), a flood of header lines
// (closed), every connection busy (503), a host name that only looks like loopback (refused).
// After every abuse the server still answers.

#include <QtTest>

#include <arpa/inet.h>
#include <future>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "atelier/agents/local_chat_backend.h"
#include "atelier/agents/openai_sse.h"
#include "openai_test_support.h"

using namespace openai_test;

namespace {

int rawConnect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) qFatal("connect");
    return fd;
}

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void sendAll(int fd, const std::string& text) {
    ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);  // errors show as a closed socket
}

// Whether the server has closed `fd` (end of file or reset); an answer before it is dropped.
bool peerClosed(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return true;
        if (n < 0) return false;
    }
    return false;
}

// Sends `piece` on every socket each `every` until the server closes it; how long after the
// start each one was closed (`limit` when it never was).
std::vector<milliseconds> trickle(std::vector<int> fds, std::string piece, milliseconds every,
                                  milliseconds limit) {
    const auto t0 = Clock::now();
    std::vector<milliseconds> closedAfter(fds.size(), limit);
    std::vector<bool> open(fds.size(), true);
    while (Clock::now() - t0 < limit && std::count(open.begin(), open.end(), true) > 0) {
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!open[i]) continue;
            if (peerClosed(fds[i])) {
                open[i] = false;
                closedAfter[i] = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
            } else {
                sendAll(fds[i], piece);
            }
        }
        std::this_thread::sleep_for(every);
    }
    for (int fd : fds) ::close(fd);
    return closedAfter;
}

// Waits until the server closes `fd`; how long that took (`limit` when it did not).
milliseconds closedWithin(int fd, milliseconds limit) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < limit) {
        if (peerClosed(fd)) return std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
        std::this_thread::sleep_for(milliseconds(20));
    }
    return limit;
}

// A constraint that never lets the model end, so that a stream runs until its client leaves.
class NeverEnds : public engine::TokenConstraint {
public:
    explicit NeverEnds(std::int32_t eos) : m_eos(eos) {}
    void maskLogits(std::span<float> logits) override {
        logits[std::size_t(m_eos)] = -std::numeric_limits<float>::infinity();
    }
    void accept(std::int32_t) override {}

private:
    std::int32_t m_eos;
};

void checkErrorShape(const httplib::Result& r, int status, const char* code = nullptr) {
    QVERIFY(r);
    QCOMPARE(r->status, status);
    const auto j = parseJson(r->body);
    QVERIFY(j.contains("error"));
    QVERIFY(j["error"]["message"].is_string());
    QVERIFY(!j["error"]["message"].get<std::string>().empty());
    QVERIFY(j["error"]["type"].is_string());
    QVERIFY(j["error"].contains("code"));
    if (code) QCOMPARE(j["error"]["code"].get<std::string>(), std::string(code));
}

}  // namespace

class OpenAiServerTest : public QObject {
    Q_OBJECT
    Fixture f;

    void stillUp() {
        auto r = f.client().Get("/v1/models");
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(parseJson(r->body)["data"][0]["id"].get<std::string>(), std::string("atelier-tiny"));
    }
    httplib::Result post(const std::string& path, const std::string& body) {
        return f.client().Post(path.c_str(), body, "application/json");
    }

private slots:
    void initTestCase() {
        ServeOptions o;
        o.maxBodyBytes = 64 << 10;
        o.readTimeoutSeconds = 2;
        o.connectionThreads = 8;
        f.start(o);
    }
    void cleanupTestCase() { f.server.reset(); }

    void malformedRequestsGet400() {
        const std::string path = "/v1/chat/completions";
        checkErrorShape(post(path, "{\"messages\": ["), 400);
        checkErrorShape(post(path, "[1,2,3]"), 400);
        checkErrorShape(post(path, "{\"messages\": 5}"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":7}]})"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"wizard","content":"x"}]})"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":"x"}],"max_tokens":-1})"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":"x"}],"n":129})"), 400);
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"nope"}}})"), 400);
        checkErrorShape(post("/v1/completions", R"({"prompt":[1,-2]})"), 400);
        checkErrorShape(post("/v1/completions", R"({"prompt":[99999999]})"), 400);
        checkErrorShape(post("/v1/completions", R"({"prompt":[1],"max_tokens":100000000})"), 400,
                        "context_length_exceeded");
        stillUp();
    }

    void unknownRoutesAndModelsGet404() {
        checkErrorShape(f.client().Get("/v1/nothing"), 404, "not_found");
        checkErrorShape(post("/v1/chat/completions",
                             R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})"),
                        404, "model_not_found");
        stillUp();
    }

    void hugeBodiesGet413() {
        const std::string huge(200 << 10, ' ');
        checkErrorShape(post("/v1/chat/completions", "{\"messages\":[]" + huge + "}"), 413,
                        "body_too_large");
        stillUp();
    }

    void slowClientsDoNotStopOthers() {
        // More stalled connections than the server has threads, each sending half a request.
        std::vector<int> fds;
        for (int i = 0; i < 12; ++i) {
            fds.push_back(rawConnect(f.port));
            const std::string part = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mess";
            QVERIFY(::send(fds.back(), part.data(), part.size(), MSG_NOSIGNAL) > 0);
        }
        // The read timeout (2 s) drops them; meanwhile and afterwards requests are served.
        const auto t0 = std::chrono::steady_clock::now();
        stillUp();
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(15));
        for (int fd : fds) ::close(fd);
        stillUp();
    }

    void completionsStreamedAndNotAgree() {
        const std::string body = R"({"prompt":"Once upon","max_tokens":12,"temperature":0})";
        auto whole = post("/v1/completions", body);
        QVERIFY(whole && whole->status == 200);
        const auto j = parseJson(whole->body);
        const std::string text = j["choices"][0]["text"];
        QCOMPARE(j["usage"]["prompt_tokens"].get<std::int64_t>(),
                 std::int64_t(f.tokenizer->encode("Once upon", true).size()));

        auto streamed = post("/v1/completions", R"({"prompt":"Once upon","max_tokens":12,"temperature":0,"stream":true})");
        QVERIFY(streamed && streamed->status == 200);
        SseDecoder sse;
        std::string joined, last;
        std::string finish;
        for (const auto& data : sse.feed(streamed->body)) {
            last = data;
            if (data == "[DONE]") continue;
            const auto chunk = parseJson(data);
            joined += chunk["choices"][0]["text"].get<std::string>();
            if (chunk["choices"][0]["finish_reason"].is_string())
                finish = chunk["choices"][0]["finish_reason"];
        }
        QCOMPARE(last, std::string("[DONE]"));
        QCOMPARE(finish, j["choices"][0]["finish_reason"].get<std::string>());
        // The streamed pieces are the raw token texts; compare as the JSON layer writes them.
        QCOMPARE(parseJson(nlohmann::json(joined).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).get<std::string>(), text);
    }

    // LangChain's OpenAI class sends its prompts as one list, with n: choice k is prompt k / n's
    // (k % n)-th completion, sampled with seed + k % n, so each is the reply a request for that
    // prompt alone gives at that seed; usage counts each prompt once. Streamed, each choice's
    // pieces carry its index and end with its own finish_reason.
    void completionsServeSeveralPromptsAndChoices() {
        const std::vector<std::string> prompts = {"Once upon", "Hello there"};
        auto alone = [&](const std::string& prompt, int seed) {
            auto r = post("/v1/completions", nlohmann::json{{"prompt", prompt}, {"max_tokens", 6},
                                                            {"temperature", 1}, {"seed", seed}}.dump());
            if (!r || r->status != 200) qFatal("a single completion failed");
            return parseJson(r->body);
        };
        const std::string body = R"({"prompt":["Once upon","Hello there"],"n":2,"max_tokens":6,"temperature":1,"seed":4)";
        auto whole = post("/v1/completions", body + "}");
        QVERIFY(whole && whole->status == 200);
        const auto j = parseJson(whole->body);
        QCOMPARE(j["choices"].size(), std::size_t(4));
        std::int64_t promptTokens = 0, completionTokens = 0;
        std::vector<std::string> texts;
        for (std::size_t k = 0; k < 4; ++k) {
            const auto single = alone(prompts[k / 2], 4 + int(k % 2));
            QCOMPARE(j["choices"][k]["index"].get<std::size_t>(), k);
            QCOMPARE(j["choices"][k]["text"], single["choices"][0]["text"]);
            QCOMPARE(j["choices"][k]["finish_reason"], single["choices"][0]["finish_reason"]);
            if (k % 2 == 0) promptTokens += single["usage"]["prompt_tokens"].get<std::int64_t>();
            completionTokens += single["usage"]["completion_tokens"].get<std::int64_t>();
            texts.push_back(j["choices"][k]["text"]);
        }
        QVERIFY(texts[0] != texts[1] && texts[2] != texts[3]);
        QCOMPARE(j["usage"]["prompt_tokens"].get<std::int64_t>(), promptTokens);
        QCOMPARE(j["usage"]["completion_tokens"].get<std::int64_t>(), completionTokens);

        auto streamed = post("/v1/completions", body + R"(,"stream":true,"stream_options":{"include_usage":true}})");
        QVERIFY(streamed && streamed->status == 200);
        SseDecoder sse;
        std::vector<std::string> joined(4);
        std::vector<int> finishes(4, 0);
        nlohmann::json usage;
        std::string last;
        for (const auto& data : sse.feed(streamed->body)) {
            last = data;
            if (data == "[DONE]") continue;
            const auto chunk = parseJson(data);
            if (chunk["choices"].empty()) {
                usage = chunk["usage"];
                continue;
            }
            QVERIFY2(usage.is_null(), "a chunk after the usage chunk");
            const std::size_t k = chunk["choices"][0]["index"].get<std::size_t>();
            QVERIFY(k < 4);
            QCOMPARE(finishes[k], 0);  // nothing after a choice's finish_reason
            joined[k] += chunk["choices"][0]["text"].get<std::string>();
            if (chunk["choices"][0]["finish_reason"].is_string()) ++finishes[k];
        }
        QCOMPARE(last, std::string("[DONE]"));
        QCOMPARE(finishes, (std::vector<int>{1, 1, 1, 1}));
        for (std::size_t k = 0; k < 4; ++k)
            QCOMPARE(parseJson(nlohmann::json(joined[k]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).get<std::string>(), texts[k]);
        QCOMPARE(usage["completion_tokens"].get<std::int64_t>(), completionTokens);
        QCOMPARE(usage["prompt_tokens"].get<std::int64_t>(), promptTokens);
        // A prompt the context cannot hold fails the whole request, naming the context.
        checkErrorShape(post("/v1/completions", R"({"prompt":["a",[1]],"n":2,"max_tokens":100000000})"), 400,
                        "context_length_exceeded");
        stillUp();
    }

    // n on /v1/chat/completions (LangChain's ChatOpenAI n): choice j is the turn the same
    // request with n = 1 gives at seed + j, whole and streamed (each choice opening with its
    // role chunk and ending with its own finish_reason); usage counts the prompt once.
    void chatServesNChoices() {
        const std::string body = R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":6,"temperature":1,"logprobs":true)";
        auto alone = [&](int seed) {
            auto r = post("/v1/chat/completions", body + R"(,"seed":)" + std::to_string(seed) + "}");
            if (!r || r->status != 200) qFatal("a single chat completion failed");
            return parseJson(r->body);
        };
        auto whole = post("/v1/chat/completions", body + R"(,"seed":6,"n":3})");
        QVERIFY(whole && whole->status == 200);
        const auto j = parseJson(whole->body);
        QCOMPARE(j["choices"].size(), std::size_t(3));
        std::int64_t completionTokens = 0;
        std::vector<std::string> texts;
        for (std::size_t k = 0; k < 3; ++k) {
            const auto single = alone(6 + int(k));
            QCOMPARE(j["choices"][k]["index"].get<std::size_t>(), k);
            QCOMPARE(j["choices"][k]["message"], single["choices"][0]["message"]);
            QCOMPARE(j["choices"][k]["finish_reason"], single["choices"][0]["finish_reason"]);
            QCOMPARE(j["choices"][k]["logprobs"], single["choices"][0]["logprobs"]);
            QCOMPARE(j["usage"]["prompt_tokens"], single["usage"]["prompt_tokens"]);
            completionTokens += single["usage"]["completion_tokens"].get<std::int64_t>();
            texts.push_back(j["choices"][k]["message"]["content"]);
        }
        QVERIFY(texts[0] != texts[1] && texts[1] != texts[2]);
        QCOMPARE(j["usage"]["completion_tokens"].get<std::int64_t>(), completionTokens);

        auto streamed = post("/v1/chat/completions", body + R"(,"seed":6,"n":3,"stream":true,"stream_options":{"include_usage":true}})");
        QVERIFY(streamed && streamed->status == 200);
        SseDecoder sse;
        std::vector<std::string> joined(3);
        std::vector<int> roles(3, 0), finishes(3, 0);
        nlohmann::json usage;
        for (const auto& data : sse.feed(streamed->body)) {
            if (data == "[DONE]") continue;
            const auto chunk = parseJson(data);
            if (chunk["choices"].empty()) {
                usage = chunk["usage"];
                continue;
            }
            const std::size_t k = chunk["choices"][0]["index"].get<std::size_t>();
            QVERIFY(k < 3 && finishes[k] == 0);
            const auto& delta = chunk["choices"][0]["delta"];
            if (delta.contains("role")) ++roles[k];
            joined[k] += delta.value("content", std::string());
            if (chunk["choices"][0]["finish_reason"].is_string()) ++finishes[k];
        }
        QCOMPARE(roles, (std::vector<int>{1, 1, 1}));
        QCOMPARE(finishes, (std::vector<int>{1, 1, 1}));
        for (std::size_t k = 0; k < 3; ++k) QCOMPARE(joined[k], texts[k]);
        QCOMPARE(usage["completion_tokens"].get<std::int64_t>(), completionTokens);
        stillUp();
    }

    // usage.completion_tokens_details.reasoning_tokens (LangChain's output_token_details
    // .reasoning) counts the tokens that began inside the reasoning, </think> included: a
    // thinking turn forced to "Let me see.</think>Yes." has those of "Let me see." and one
    // more; a chat turn has none, and the HTTP usage carries the field.
    void reasoningTokensAreCounted() {
        LocalChatBackend backend(*f.service, *f.tokenizer, "atelier-tiny");
        const auto script = f.tokenizer->encode("Let me see.</think>Yes.", true);
        const auto thinking = f.tokenizer->encode("Let me see.", false);
        QCOMPARE(script.size(), thinking.size() + 1 + f.tokenizer->encode("Yes.", false).size());
        for (const auto mode : {engine::ChatMode::Thinking, engine::ChatMode::Chat}) {
            ChatBackendRequest request;
            request.messages = {{engine::ChatRole::User, "Hi"}};
            request.mode = mode;
            request.sampling.maxTokens = 40;
            const auto eos = f.tokenizer->eosId();
            request.constraint = [&](const engine::Tokenizer&) {
                return std::make_shared<ScriptedConstraint>(script, eos, std::make_shared<std::atomic<int>>(0), true);
            };
            ChatUsage usage;
            std::string reasoning, content;
            auto turn = backend.start(request, [&](const ChatEvent& e) {
                if (e.kind == ChatEventKind::Done) usage = e.usage;
                if (e.kind == ChatEventKind::ReasoningDelta) reasoning += e.text;
                if (e.kind == ChatEventKind::ContentDelta) content += e.text;
            });
            QVERIFY(turn.has_value());
            (*turn)->wait();
            QCOMPARE(usage.completionTokens, std::int64_t(script.size() + 1));  // and the EOS
            if (mode == engine::ChatMode::Thinking) {
                QCOMPARE(reasoning, std::string("Let me see."));
                QCOMPARE(content, std::string("Yes."));
                QCOMPARE(usage.reasoningTokens, std::int64_t(thinking.size() + 1));
            } else {
                QCOMPARE(usage.reasoningTokens, std::int64_t(0));
            }
        }
        auto r = post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":3})");
        QVERIFY(r && r->status == 200);
        QCOMPARE(parseJson(r->body)["usage"]["completion_tokens_details"]["reasoning_tokens"].get<int>(), 0);
        // A thinking turn starts inside the reasoning: its first token is a reasoning token.
        auto t = post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"chat_template_kwargs":{"thinking":true}})");
        QVERIFY(t && t->status == 200);
        const auto tu = parseJson(t->body)["usage"];
        const int thought = tu["completion_tokens_details"]["reasoning_tokens"].get<int>();
        QVERIFY2(thought >= 1 && thought <= tu["completion_tokens"].get<int>(), t->body.c_str());
    }

    void concurrentRequestsAreAllAnswered() {
        std::vector<std::thread> clients;
        std::atomic<int> ok{0};
        for (int i = 0; i < 6; ++i)
            clients.emplace_back([&, i] {
                auto r = f.client().Post("/v1/chat/completions",
                                         R"({"messages":[{"role":"user","content":"hello )" +
                                             std::to_string(i) + R"("}],"max_tokens":6})",
                                         "application/json");
                if (r && r->status == 200 &&
                    parseJson(r->body)["usage"]["completion_tokens"].get<int>() > 0)
                    ++ok;
            });
        for (auto& t : clients) t.join();
        QCOMPARE(int(ok), 6);
    }

    void apiKeyIsRequiredWhenSet() {
        ServeOptions o;
        o.apiKey = "sekrit";
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(port.has_value());
        httplib::Client c("127.0.0.1", *port);
        checkErrorShape(c.Get("/v1/models"), 401, "invalid_api_key");
        checkErrorShape(c.Get("/v1/models", {{"Authorization", "Bearer sekrit2"}}), 401);
        auto ok = c.Get("/v1/models", {{"Authorization", "Bearer sekrit"}});
        QVERIFY(ok && ok->status == 200);
    }

    void stoppingEndsAWaitingRequest() {
        auto s = f.makeServer({});
        auto port = s->start();
        QVERIFY(port.has_value());
        std::atomic<bool> answered{false};
        std::thread client([&] {
            httplib::Client c("127.0.0.1", *port);
            c.set_read_timeout(60, 0);
            c.Post("/v1/chat/completions",
                   R"({"messages":[{"role":"user","content":"go on"}],"max_tokens":5000})",
                   "application/json");
            answered = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        const auto t0 = std::chrono::steady_clock::now();
        s->stop();  // cancels the generation instead of waiting 5000 tokens
        client.join();
        QVERIFY(answered);
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
        stillUp();
    }

    void deeplyNestedJsonGets400AndTheServerStaysUp() {
        // 100,000 levels in 200 KB: the recursive copy of the parsed body overflowed the stack.
        ServeOptions o;
        o.maxBodyBytes = 1 << 20;
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(port.has_value());
        httplib::Client c("127.0.0.1", *port);
        const std::string nest = std::string(100000, '[') + std::string(100000, ']');
        for (const char* path : {"/v1/chat/completions", "/v1/completions"}) {
            auto r = c.Post(path, R"({"messages":)" + nest + R"(,"prompt":)" + nest + "}",
                            "application/json");
            checkErrorShape(r, 400);
            QVERIFY(r->body.find("deeper than 128") != std::string::npos);
        }
        auto up = c.Get("/v1/models");
        QVERIFY(up && up->status == 200);
    }

    void bodiesNotSentAsJsonGet415() {
        // A cross-site form posts text/plain (or urlencoded) without a CORS preflight.
        const std::string body = R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1})";
        for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/jsonx"})
            checkErrorShape(f.client().Post("/v1/chat/completions", body, type), 415,
                            "unsupported_media_type");
        httplib::Headers none;
        auto noType = f.client().Post("/v1/chat/completions", none, body, "");
        checkErrorShape(noType, 415, "unsupported_media_type");
        auto charset =
            f.client().Post("/v1/chat/completions", body, "Application/JSON; charset=utf-8");
        QVERIFY(charset && charset->status == 200);
        stillUp();
    }

    void requestsWithoutALengthGet411() {
        const int fd = rawConnect(f.port);
        sendAll(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                    "application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"pro\r\n");
        char buf[512] = {};
        pollfd p{fd, POLLIN, 0};
        QVERIFY(::poll(&p, 1, 5000) == 1);
        QVERIFY(::recv(fd, buf, sizeof buf - 1, 0) > 0);
        QVERIFY2(std::string(buf).rfind("HTTP/1.1 411", 0) == 0, buf);
        ::close(fd);
        stillUp();
    }

    void foreignHostHeadersGet403() {
        // DNS rebinding: a page at evil.example, its name rebound to 127.0.0.1, sends its name.
        for (const char* host : {"evil.example", "evil.example:8080", "127.0.0.1.evil.example",
                                 "localhost.evil.example", "[::1].evil.example"}) {
            auto r = f.client().Get("/v1/models", {{"Host", host}});
            QVERIFY2(r && r->status == 403, host);
            checkErrorShape(r, 403, "host_not_allowed");
        }
        const std::string port = std::to_string(f.port);
        for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST",
                                        "[::1]:" + port, "127.0.0.2"}) {
            auto r = f.client().Get("/v1/models", {{"Host", host}});
            QVERIFY2(r && r->status == 200, host.c_str());
        }
        ServeOptions o;
        o.allowedHostHeaders = {"atelier.lan"};
        auto s = f.makeServer(o);
        auto p = s->start();
        QVERIFY(p.has_value());
        httplib::Client c("127.0.0.1", *p);
        auto named = c.Get("/v1/models", {{"Host", "atelier.lan:" + std::to_string(*p)}});
        QVERIFY(named && named->status == 200);
        checkErrorShape(c.Get("/v1/models", {{"Host", "other.lan"}}), 403, "host_not_allowed");
        stillUp();
    }

    void crossOriginRequestsGet403UnlessAllowed() {
        const std::string body = R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1})";
        const httplib::Headers evil{{"Origin", "http://evil.example"}};
        checkErrorShape(f.client().Get("/v1/models", evil), 403, "origin_not_allowed");
        checkErrorShape(f.client().Post("/v1/chat/completions", evil, body, "application/json"),
                        403, "origin_not_allowed");
        checkErrorShape(f.client().Get("/v1/models", {{"Origin", "null"}}), 403);
        // The server's own page is same-origin.
        auto own = f.client().Get("/v1/models", {{"Origin", f.url()}});
        QVERIFY(own && own->status == 200);

        ServeOptions o;
        o.corsOrigins = {"http://app.example:3000"};
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(port.has_value());
        httplib::Client c("127.0.0.1", *port);
        const httplib::Headers app{{"Origin", "http://app.example:3000"}};
        auto allowed = c.Post("/v1/chat/completions", app, body, "application/json");
        QVERIFY(allowed && allowed->status == 200);
        QCOMPARE(allowed->get_header_value("Access-Control-Allow-Origin"),
                 std::string("http://app.example:3000"));
        auto preflight = c.Options("/v1/chat/completions",
                                   {{"Origin", "http://app.example:3000"},
                                    {"Access-Control-Request-Method", "POST"},
                                    {"Access-Control-Request-Headers", "content-type"}});
        QVERIFY(preflight && preflight->status == 204);
        QVERIFY(preflight->get_header_value("Access-Control-Allow-Headers").find("Content-Type") !=
                std::string::npos);
        checkErrorShape(c.Get("/v1/models", evil), 403, "origin_not_allowed");
        stillUp();
    }

    void slowHeadersAndBodiesAreCutOffWhileTheKeyHolderIsServed() {
        // Slowloris: more connections than the cap, each sending a header line (or a body
        // byte) now and then. They are closed at their deadline; a client with the key is
        // answered at once meanwhile (the connection waiting longest for its request makes room).
        ServeOptions o;
        o.apiKey = "k";
        o.connectionThreads = 8;
        o.headerTimeout = milliseconds(3000);
        o.bodyTimeout = milliseconds(1000);
        o.readTimeoutSeconds = 5;
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(port.has_value());
        std::vector<int> headerFds, bodyFds;
        for (int i = 0; i < 12; ++i) {
            headerFds.push_back(rawConnect(*port));
            sendAll(headerFds.back(), "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        }
        for (int i = 0; i < 3; ++i) {
            bodyFds.push_back(rawConnect(*port));
            sendAll(bodyFds.back(), "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Authorization: Bearer k\r\nContent-Type: application/json\r\n"
                                    "Content-Length: 1000\r\n\r\n{");
        }
        auto headers = std::async(std::launch::async, trickle, headerFds, std::string("X-Slow: 1\r\n"),
                                  milliseconds(250), milliseconds(8000));
        auto bodies = std::async(std::launch::async, trickle, bodyFds, std::string(" "),
                                 milliseconds(200), milliseconds(8000));
        std::this_thread::sleep_for(milliseconds(300));
        httplib::Client c("127.0.0.1", *port);
        c.set_read_timeout(5, 0);
        const auto t0 = Clock::now();
        auto r = c.Get("/v1/models", {{"Authorization", "Bearer k"}});
        QVERIFY(r && r->status == 200);
        // Well before the header deadline: not because a slow one timed out.
        QVERIFY(Clock::now() - t0 < milliseconds(2000));
        for (auto t : headers.get()) QVERIFY2(t <= milliseconds(4500), std::to_string(t.count()).c_str());
        for (auto t : bodies.get()) QVERIFY2(t <= milliseconds(4500), std::to_string(t.count()).c_str());
        auto after = c.Get("/v1/models", {{"Authorization", "Bearer k"}});
        QVERIFY(after && after->status == 200);
    }

    void aFloodOfHeaderLinesIsCutOff() {
        // httplib bounds each header line, not their number: a client sending header lines
        // without end is closed at 64 KiB, long before the 10 s header deadline.
        const int fd = rawConnect(f.port);
        sendAll(fd, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        std::atomic<bool> stop{false};
        std::thread sender([&] {
            const std::string lines = [] {
                std::string l;
                for (int i = 0; i < 64; ++i) l += "X-Pad: " + std::string(56, 'a') + "\r\n";
                return l;
            }();
            while (!stop && ::send(fd, lines.data(), lines.size(), MSG_NOSIGNAL) > 0)
                std::this_thread::sleep_for(milliseconds(5));
        });
        const auto took = closedWithin(fd, milliseconds(4000));
        stop = true;
        sender.join();
        ::close(fd);
        QVERIFY2(took < milliseconds(4000), "the flood was never cut off");
        stillUp();
    }

    void everyConnectionAnsweringGets503() {
        ServeOptions o;
        o.connectionThreads = 2;
        auto s = f.makeServer(o);
        const auto eos = f.tokenizer->eosId();
        s->chatBackend().setConstraintFactory(
            [eos](const ChatBackendRequest&, const engine::Tokenizer&) {
                return std::make_shared<NeverEnds>(eos);
            });
        auto port = s->start();
        QVERIFY(port.has_value());
        const std::string body =
            R"({"messages":[{"role":"user","content":"go on"}],"max_tokens":5000,"stream":true})";
        std::vector<int> streams;
        for (int i = 0; i < 2; ++i) {
            streams.push_back(rawConnect(*port));
            sendAll(streams.back(), "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Content-Type: application/json\r\nContent-Length: " +
                                        std::to_string(body.size()) + "\r\n\r\n" + body);
            char buf[64] = {};
            pollfd p{streams.back(), POLLIN, 0};
            QVERIFY(::poll(&p, 1, 10000) == 1);
            QVERIFY(::recv(streams.back(), buf, sizeof buf - 1, 0) > 0);
            QVERIFY2(std::string(buf).rfind("HTTP/1.1 200", 0) == 0, buf);
        }
        httplib::Client c("127.0.0.1", *port);
        checkErrorShape(c.Get("/v1/models"), 503, "server_busy");
        for (int fd : streams) ::close(fd);  // the streams end, their generations cancelled
        bool served = false;
        for (int i = 0; i < 50 && !served; ++i) {
            auto r = c.Get("/v1/models");
            served = r && r->status == 200;
            if (!served) std::this_thread::sleep_for(milliseconds(100));
        }
        QVERIFY(served);
        stillUp();
    }

    void loopbackIsDecidedOnTheResolvedAddress() {
        QVERIFY(isLoopbackHost("127.0.0.1"));
        QVERIFY(isLoopbackHost("127.3.4.5"));
        QVERIFY(isLoopbackHost("::1"));
        QVERIFY(isLoopbackHost("[::1]"));
        QVERIFY(isLoopbackHost("localhost"));
        QVERIFY(isLoopbackHost("0x7f000001"));  // 127.0.0.1 in another spelling
        QVERIFY(!isLoopbackHost("0.0.0.0"));
        QVERIFY(!isLoopbackHost("::"));
        QVERIFY(!isLoopbackHost(""));
        QVERIFY(!isLoopbackHost("10.1.2.3"));
        // A name that starts like a loopback address is a name: it does not resolve here, and
        // elsewhere it resolves to whatever its owner likes.
        QVERIFY(!isLoopbackHost("127.0.0.1.example.invalid"));
        ServeOptions o;
        o.host = "127.0.0.1.example.invalid";
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(!port.has_value());
        QCOMPARE(port.error().code, ErrorCode::Denied);
    }

    void nonLoopbackWithoutKeyIsRefused() {
        ServeOptions o;
        o.host = "0.0.0.0";
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(!port.has_value());
        QCOMPARE(port.error().code, ErrorCode::Denied);
    }
};

QTEST_APPLESS_MAIN(OpenAiServerTest)
#include "test_openai_server.moc"
