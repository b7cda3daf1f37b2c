// ctest-labels: unit
// ctest-libs: PkgConfig::CPP_HTTPLIB
// The remote backend against Atelier's own server over loopback (real HTTP both ways), with a
// tiny random-weight model: streamed, non-streamed and in-process turns give the same reply
// and honest usage; a tool call (forced by a scripted constraint) arrives in OpenAI's shape;
// cancelling stops the server's generation; a server that dies mid-stream gives a clean error;
// a host outside the allowlist is refused before any connection is made; every failure on the
// wire or from the server is one line naming where and what.

#include <QtTest>

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "atelier/agents/remote_chat_backend.h"
#include "openai_test_support.h"

using namespace openai_test;

namespace {

// Every event of one turn; filled on the backend's thread, read after the turn's wait().
struct Collected {
    std::mutex mutex;
    std::condition_variable changed;
    std::string reasoning, content;
    std::vector<engine::ChatToolCall> calls;
    std::vector<engine::ChatToolCall> pieces;  // the calls as assembled from ToolCallDelta
    int callPieces = 0;
    ChatUsage usage;
    std::string finish;
    std::optional<Error> error;
    int deltas = 0, ends = 0;

    ChatEventSink sink() {
        return [this](const ChatEvent& e) {
            std::lock_guard lock(mutex);
            switch (e.kind) {
            case ChatEventKind::ReasoningDelta: reasoning += e.text; ++deltas; break;
            case ChatEventKind::ContentDelta: content += e.text; ++deltas; break;
            case ChatEventKind::ToolCall: calls.push_back(e.toolCall); break;
            case ChatEventKind::ToolCallDelta:
                if (pieces.size() <= e.toolIndex) pieces.resize(e.toolIndex + 1);
                if (!e.toolCall.name.empty()) pieces[e.toolIndex].name = e.toolCall.name;
                if (!e.toolCall.id.empty()) pieces[e.toolIndex].id = e.toolCall.id;
                pieces[e.toolIndex].arguments += e.text;
                ++callPieces;
                break;
            case ChatEventKind::Usage: usage = e.usage; break;
            case ChatEventKind::Done: finish = turnFinishName(e.finish); ++ends; break;
            case ChatEventKind::Error: error = e.error; ++ends; break;
            case ChatEventKind::Token:
            case ChatEventKind::Progress: break;
            }
            changed.notify_all();
        };
    }
    bool waitDeltas(int n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(30), [&] { return deltas >= n || ends; });
    }
};

ChatBackendRequest question(int maxTokens, const std::string& text = "Say something.") {
    ChatBackendRequest r;
    engine::ChatMessage system;
    system.role = engine::ChatRole::System;
    system.content = "You are terse.";
    engine::ChatMessage user;
    user.role = engine::ChatRole::User;
    user.content = text;
    r.messages = {system, user};
    r.sampling.temperature = 0.0f;
    r.sampling.maxTokens = maxTokens;
    return r;
}

// A question whose answer must be a call of the weather tool (forced by tool_choice).
ChatBackendRequest weatherCall(int maxTokens) {
    auto r = question(maxTokens, "Weather in Paris?");
    auto tool = nlohmann::ordered_json::parse(kWeatherTool);
    r.messages[0].toolSchemas = {tool["function"].dump()};
    r.toolChoice = ToolChoice::Function;
    r.toolChoiceName = "get_weather";
    return r;
}

void runTurn(ChatBackend& backend, ChatBackendRequest r, Collected& out) {
    auto turn = backend.start(std::move(r), out.sink());
    QVERIFY2(turn.has_value(), turn ? "" : turn.error().message.c_str());
    (*turn)->wait();
    QCOMPARE(out.ends, 1);
}

int listeningSocket(int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0)
        qFatal("cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    return fd;
}

bool connectionPending(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
}

// One turn against http://127.0.0.1:port with the given read timeout; returns its error message.
std::string failingTurn(int port, int readTimeoutSeconds = 30) {
    RemoteEndpoint e;
    e.url = "http://127.0.0.1:" + std::to_string(port);
    e.readTimeoutSeconds = readTimeoutSeconds;
    RemoteChatBackend backend(e, HostAllowlist({"127.0.0.1"}));
    Collected c;
    auto turn = backend.start(question(4), c.sink());
    if (!turn) return "start failed: " + turn.error().message;
    (*turn)->wait();
    return c.error ? c.error->message : "no error";
}

// A peer on `fd` that accepts one connection, reads the request and then does `then` with it.
std::thread onePeer(int fd, std::function<void(int)> then) {
    return std::thread([fd, then = std::move(then)] {
        const int conn = ::accept(fd, nullptr, nullptr);
        char buffer[65536];
        pollfd p{conn, POLLIN, 0};
        while (::poll(&p, 1, 500) > 0 && ::recv(conn, buffer, sizeof buffer, 0) > 0) {
        }
        then(conn);
        ::close(conn);
    });
}

}  // namespace

class OpenAiRemoteTest : public QObject {
    Q_OBJECT
    Fixture f;

    RemoteChatBackend remote(bool stream) {
        RemoteEndpoint e;
        e.url = f.url();
        e.model = "atelier-tiny";
        e.stream = stream;
        e.readTimeoutSeconds = 300;  // a non-streamed reply under a sanitizer is slow
        return RemoteChatBackend(e, HostAllowlist({"127.0.0.1"}));
    }

private slots:
    void initTestCase() { f.start(); }
    void cleanupTestCase() { f.server.reset(); }

    void streamedNonStreamedAndLocalAgree() {
        Collected streamed, whole, local;
        auto s = remote(true), w = remote(false);
        runTurn(s, question(24), streamed);
        runTurn(w, question(24), whole);
        LocalChatBackend direct(*f.service, *f.tokenizer, "atelier-tiny");
        runTurn(direct, question(24), local);
        QVERIFY(!streamed.error && !whole.error && !local.error);
        QVERIFY(streamed.deltas > 1);  // really streamed in pieces
        QCOMPARE(streamed.content, local.content);
        QCOMPARE(whole.content, local.content);
        QCOMPARE(streamed.reasoning, local.reasoning);
        QCOMPARE(streamed.finish, local.finish);
        QCOMPARE(whole.finish, local.finish);
        // Usage: the prompt is the rendered conversation, counted independently here.
        auto text = engine::encodeChat(question(1).messages, engine::ChatEncodeOptions{engine::ChatMode::Chat});
        QVERIFY(text.has_value());
        const auto promptTokens = std::int64_t(f.tokenizer->encode(*text, true).size());
        QCOMPARE(streamed.usage.promptTokens, promptTokens);
        QCOMPARE(whole.usage.promptTokens, promptTokens);
        QCOMPARE(streamed.usage.completionTokens, local.usage.completionTokens);
        QVERIFY(local.usage.completionTokens > 0 && local.usage.completionTokens <= 24);
    }

    void cachedTokensAreReportedForASharedPrefix() {
        // A prompt of several prefix blocks, sent twice: the second is served from the cache.
        std::string longText;
        // Just past the first prefill chunk end (512), where the service saves the prefix.
        for (int i = 0; f.tokenizer->encode(longText, true).size() < 540; ++i)
            longText += "word" + std::to_string(i) + " ";
        Collected first, second;
        auto s = remote(true);
        runTurn(s, question(2, longText), first);
        runTurn(s, question(2, longText), second);
        QVERIFY(first.usage.promptTokens > 2 * engine::kPrefixBlock);
        QCOMPARE(second.usage.promptTokens, first.usage.promptTokens);
        QVERIFY2(second.usage.cachedTokens >= engine::kPrefixBlock,
                 qPrintable(QString::number(second.usage.cachedTokens)));
        QVERIFY(second.usage.cachedTokens < second.usage.promptTokens);
    }

    void toolCallsArriveInOpenAiShape() {
        for (bool stream : {true, false}) {
            auto r = weatherCall(200);
            Collected c;
            auto backend = remote(stream);
            runTurn(backend, r, c);
            QVERIFY2(!c.error, c.error ? c.error->message.c_str() : "");
            QCOMPARE(c.calls.size(), std::size_t(1));
            QCOMPARE(c.calls[0].name, std::string("get_weather"));
            QVERIFY(!c.calls[0].id.empty());
            QCOMPARE(parseJson(c.calls[0].arguments), nlohmann::json({{"city", "Paris"}}));
            QCOMPARE(c.finish, std::string("tool_calls"));
            if (stream) {
                // The call arrived in pieces, named first, that add up to the whole call.
                QVERIFY2(c.callPieces >= 3, qPrintable(QString::number(c.callPieces)));
                QCOMPARE(c.pieces.size(), std::size_t(1));
                QCOMPARE(c.pieces[0].name, c.calls[0].name);
                QCOMPARE(c.pieces[0].id, c.calls[0].id);
                QCOMPARE(c.pieces[0].arguments, c.calls[0].arguments);
            } else {
                QCOMPARE(c.callPieces, 0);
            }
        }
    }

    void aCallCutByMaxTokensIsLengthWithNoCall() {
        for (bool stream : {true, false}) {
            auto r = weatherCall(6);
            Collected c;
            auto backend = remote(stream);
            runTurn(backend, r, c);
            QVERIFY2(!c.error, c.error ? c.error->message.c_str() : "");
            QCOMPARE(c.finish, std::string("length"));
            QCOMPARE(c.calls.size(), std::size_t(0));
        }
    }

    void cancellingStopsTheServersGeneration() {
        Collected c;
        auto backend = remote(true);
        const int before = *f.sampled;
        auto r = question(4000);
        r.sampling.temperature = 1.0f;
        r.toolChoice = ToolChoice::None;
        // A counting (not forcing) constraint: the factory sees no function choice.
        auto turn = backend.start(r, c.sink());
        QVERIFY(turn.has_value());
        QVERIFY(c.waitDeltas(3));
        const auto t0 = std::chrono::steady_clock::now();
        (*turn)->cancel();
        (*turn)->wait();
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
        QCOMPARE(c.finish, std::string("cancelled"));
        // The server notices the closed connection and cancels within a few tokens.
        int last = -1;
        for (int i = 0; i < 50 && last != *f.sampled; ++i) {
            last = *f.sampled;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        QCOMPARE(int(*f.sampled), last);
        QVERIFY2(last - before < 1000, qPrintable(QString::number(last - before)));
    }

    void aServerDyingMidStreamGivesACleanError() {
        auto dying = f.makeServer({});
        auto port = dying->start();
        QVERIFY(port.has_value());
        RemoteEndpoint e;
        e.url = "http://127.0.0.1:" + std::to_string(*port);
        e.readTimeoutSeconds = 30;
        RemoteChatBackend backend(e, HostAllowlist({"127.0.0.1"}));
        Collected c;
        auto r = question(4000);
        r.sampling.temperature = 1.0f;
        auto turn = backend.start(r, c.sink());
        QVERIFY(turn.has_value());
        QVERIFY(c.waitDeltas(2));
        const auto t0 = std::chrono::steady_clock::now();
        dying.reset();  // stops the server mid-stream
        (*turn)->wait();
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
        QCOMPARE(c.ends, 1);
        QVERIFY2(c.error.has_value(), c.finish.c_str());
        QVERIFY(c.finish.empty());
    }

    void aHostOutsideTheAllowlistIsNeverContacted() {
        int port = 0;
        const int fd = listeningSocket(port);
        RemoteEndpoint e;
        e.url = "http://127.0.0.1:" + std::to_string(port);
        for (auto list : {std::vector<std::string>{}, std::vector<std::string>{"example.org"}}) {
            RemoteChatBackend backend(e, HostAllowlist(list));
            Collected c;
            auto turn = backend.start(question(4), c.sink());
            QVERIFY(!turn.has_value());
            QCOMPARE(turn.error().code, ErrorCode::Denied);
            QVERIFY(!connectionPending(fd, 300));
        }
        // Control: allowed, it does connect; the peer hangs up and the turn fails cleanly.
        RemoteChatBackend allowed(e, HostAllowlist({"127.0.0.1"}));
        Collected c;
        auto turn = allowed.start(question(4), c.sink());
        QVERIFY(turn.has_value());
        QVERIFY(connectionPending(fd, 5000));
        ::close(::accept(fd, nullptr, nullptr));
        (*turn)->wait();
        QVERIFY(c.error.has_value());
        ::close(fd);
    }

    void transportAndServerErrorsAreOneLineNamingWhereAndWhat() {
        // Nothing listens on the port: refused.
        int port = 0;
        ::close(listeningSocket(port));
        std::string m = failingTurn(port);
        const std::string where = "http://127.0.0.1:" + std::to_string(port);
        QVERIFY2(m == "remote: cannot connect to " + where +
                          " (connection refused, or the host is unreachable)",
                 m.c_str());

        // A peer that hangs up without answering, and one that says nothing past the timeout.
        int fd = listeningSocket(port);
        std::thread peer = onePeer(fd, [](int) {});
        m = failingTurn(port);
        peer.join();
        QVERIFY2(m == "remote: http://127.0.0.1:" + std::to_string(port) +
                          " closed the connection before the response was complete",
                 m.c_str());
        peer = onePeer(fd, [](int) { std::this_thread::sleep_for(std::chrono::milliseconds(2500)); });
        m = failingTurn(port, 1);
        peer.join();
        QVERIFY2(m == "remote: http://127.0.0.1:" + std::to_string(port) +
                          " sent nothing for 1 s (the read timeout)",
                 m.c_str());

        // An error page over several lines, and an OpenAI error object with a multi-line message.
        for (const std::string& body :
             {std::string("<html>\n<h1>Bad gateway</h1>\n\n  upstream down\n</html>\n"),
              std::string(R"({"error":{"message":"model overloaded\nretry later","type":"x"}})")}) {
            peer = onePeer(fd, [&body](int conn) {
                const std::string response = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: " +
                                             std::to_string(body.size()) +
                                             "\r\nConnection: close\r\n\r\n" + body;
                (void)::send(conn, response.data(), response.size(), MSG_NOSIGNAL);
            });
            m = failingTurn(port);
            peer.join();
            QVERIFY2(m.find('\n') == std::string::npos, m.c_str());
            QVERIFY2(m == "remote: HTTP 502: <html> <h1>Bad gateway</h1> upstream down </html>" ||
                         m == "remote: HTTP 502: model overloaded retry later",
                     m.c_str());
        }
        ::close(fd);
    }
};

QTEST_APPLESS_MAIN(OpenAiRemoteTest)
#include "test_openai_remote.moc"
