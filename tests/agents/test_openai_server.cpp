// ctest-labels: unit
// ctest-libs: PkgConfig::CPP_HTTPLIB
// The OpenAI-compatible server over real HTTP: errors in OpenAI's {"error":{..}} shape with the
// right status (400 malformed JSON and wrong field types, 404 unknown route or model, 413 body
// too large, 401 missing key); a non-loopback host without a key is refused; slow clients that
// never finish their request do not stop others from being served; completions streamed and
// not agree; concurrent requests are all answered; stopping the server cancels a request that
// waits for its whole reply. After every abuse the server still answers.

#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

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
        checkErrorShape(post(path, R"({"messages":[{"role":"user","content":"x"}],"n":2})"), 400);
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
            const std::string part = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess";
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

    void nonLoopbackWithoutKeyIsRefused() {
        ServeOptions o;
        o.host = "0.0.0.0";
        auto s = f.makeServer(o);
        auto port = s->start();
        QVERIFY(!port.has_value());
        QCOMPARE(port.error().code, ErrorCode::PolicyDenied);
    }
};

QTEST_APPLESS_MAIN(OpenAiServerTest)
#include "test_openai_server.moc"
