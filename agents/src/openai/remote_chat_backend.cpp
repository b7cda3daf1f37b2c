// RemoteChatBackend (remote_chat_backend.h): the transport (one thread per turn, cpp-httplib)
// and the assembly of OpenAI responses and stream chunks into ChatEvents.

#include "atelier/agents/remote_chat_backend.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "atelier/agents/openai_sse.h"
#include "atelier/base/utf8.h"

namespace atelier::agents {
namespace {

using PlainJson = nlohmann::json;  // parsed replies: their key order is not kept

constexpr std::size_t kMaxErrorBody = 64u << 10;
constexpr std::size_t kMaxBody = 64u << 20;

std::string stringField(const PlainJson& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t intField(const PlainJson& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

// A server's text on one line of at most 300 bytes: runs of whitespace (newlines in an HTML error
// page or a stack trace) become one space.
std::string oneLine(const std::string& text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return base::validUtf8(base::truncateUtf8(out, 300));
}

// Collects one turn's chunks (or its one response) and emits ChatEvents. Reader thread only.
struct Assembler {
    ChatEventSink sink;
    std::map<std::int64_t, engine::ChatToolCall> calls;  // by OpenAI tool-call index
    ChatUsage usage;
    std::string finish;

    void text(ChatEventKind kind, const PlainJson& holder, const char* key) {
        std::string t = stringField(holder, key);
        if (t.empty()) return;
        ChatEvent e;
        e.kind = kind;
        e.text = std::move(t);
        sink(e);
    }

    void toolCalls(const PlainJson& list, bool whole) {
        if (!list.is_array()) return;
        for (std::size_t k = 0; k < list.size(); ++k) {
            const PlainJson& c = list[k];
            if (!c.is_object()) continue;
            const auto index = whole || !c.contains("index") ? std::int64_t(k) : intField(c, "index");
            const bool first = !calls.contains(index);
            auto& call = calls[index];
            if (auto id = stringField(c, "id"); !id.empty()) call.id = id;
            std::string piece;
            if (auto fn = c.find("function"); fn != c.end() && fn->is_object()) {
                call.name += stringField(*fn, "name");
                piece = stringField(*fn, "arguments");
                call.arguments += piece;
            }
            if (!whole && (first || !piece.empty())) {
                // Passed on live; the whole call still follows at the end of the turn.
                ChatEvent e;
                e.kind = ChatEventKind::ToolCallDelta;
                e.toolIndex = std::size_t(index);
                if (first) e.toolCall = {call.id, call.name, {}};
                e.text = std::move(piece);
                sink(e);
            }
        }
    }

    // One chunk (`delta`) or one whole response (`message`).
    Result<void> take(const PlainJson& j, const char* part) {
        if (!j.is_object()) return Error::badInput("remote: a response that is not an object");
        if (auto err = j.find("error"); err != j.end())
            return Error::io("remote: " + oneLine(err->is_object() ? stringField(*err, "message")
                                                                    : err->dump()));
        if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
            usage.promptTokens = intField(*u, "prompt_tokens");
            usage.completionTokens = intField(*u, "completion_tokens");
            if (auto d = u->find("prompt_tokens_details"); d != u->end() && d->is_object())
                usage.cachedTokens = intField(*d, "cached_tokens");
            if (auto d = u->find("completion_tokens_details"); d != u->end() && d->is_object())
                usage.reasoningTokens = intField(*d, "reasoning_tokens");
        }
        auto choices = j.find("choices");
        if (choices == j.end() || !choices->is_array() || choices->empty()) return {};
        const PlainJson& choice = (*choices)[0];
        if (!choice.is_object()) return {};
        if (auto f = stringField(choice, "finish_reason"); !f.empty()) finish = f;
        auto body = choice.find(part);
        if (body == choice.end() || !body->is_object()) return {};
        text(ChatEventKind::ReasoningDelta, *body, "reasoning_content");
        text(ChatEventKind::ContentDelta, *body, "content");
        if (auto tc = body->find("tool_calls"); tc != body->end())
            toolCalls(*tc, std::string_view(part) == "message");
        return {};
    }

    void finishTurn(bool cancelled) {
        for (auto& [index, call] : calls) {
            // A turn cut by max_tokens may end inside a call: only whole ones are calls.
            if ((cancelled || finish == "length") && !PlainJson::accept(call.arguments)) continue;
            ChatEvent e;
            e.kind = ChatEventKind::ToolCall;
            e.toolIndex = std::size_t(index);
            e.toolCall = std::move(call);
            sink(e);
        }
        ChatEvent u;
        u.kind = ChatEventKind::Usage;
        u.usage = usage;
        sink(u);
        ChatEvent done;
        done.kind = ChatEventKind::Done;
        done.usage = usage;
        done.finish = cancelled ? TurnFinish::Cancelled : turnFinishFromName(finish);
        sink(done);
    }
};

Error statusError(int status, const std::string& body) {
    const PlainJson j = PlainJson::parse(body, nullptr, false);
    std::string message = body;
    if (j.is_object() && j.contains("error") && j["error"].is_object())
        message = stringField(j["error"], "message");
    message = oneLine(message);
    if (message.empty()) message = "(no message)";
    const ErrorCode code = status == 401 || status == 403 ? ErrorCode::Denied
                           : status == 404               ? ErrorCode::NotFound
                           : status == 400 || status == 413 ? ErrorCode::BadInput
                                                            : ErrorCode::Io;
    return {code, "remote: HTTP " + std::to_string(status) + ": " + message};
}

// One line saying what went wrong on the wire, in words a user can act on (httplib's own names,
// "Connection" or "Read", say neither where nor what).
Error transportError(httplib::Error err, const std::string& where, const RemoteEndpoint& endpoint,
                     double seconds) {
    using E = httplib::Error;
    std::string what;
    switch (err) {
    case E::Connection:
        what = "cannot connect to " + where + " (connection refused, or the host is unreachable)";
        break;
    case E::ConnectionTimeout:
        what = "no connection to " + where + " within " +
               std::to_string(endpoint.connectTimeoutSeconds) + " s";
        break;
    case E::Read:
        what = seconds + 0.5 >= endpoint.readTimeoutSeconds
                   ? where + " sent nothing for " + std::to_string(endpoint.readTimeoutSeconds) +
                         " s (the read timeout)"
                   : where + " closed the connection before the response was complete";
        break;
    case E::Write: what = "could not send the request to " + where + " (the connection closed)"; break;
    case E::SSLConnection: what = "the TLS handshake with " + where + " failed"; break;
    case E::SSLServerVerification:
        what = where + "'s TLS certificate could not be verified";
        break;
    case E::SSLLoadingCerts: what = "the system's CA certificates could not be loaded"; break;
    case E::ExceedRedirectCount: what = where + " redirected too often"; break;
    default: what = httplib::to_string(err) + " error talking to " + where; break;
    }
    return Error::io("remote: " + what);
}

class RemoteTurn : public TurnHandle {
public:
    RemoteTurn(const RemoteEndpoint& endpoint, const ParsedUrl& url, std::string body,
               ChatEventSink sink)
        : m_client(url.scheme + "://" + (url.host.find(':') != std::string::npos
                                             ? "[" + url.host + "]"
                                             : url.host) +
                   ":" + std::to_string(url.port)),
          m_where(url.scheme + "://" + url.host + ":" + std::to_string(url.port)),
          m_path(url.basePath + "/chat/completions"), m_body(std::move(body)),
          m_stream(endpoint.stream), m_endpoint(endpoint) {
        m_assembler.sink = std::move(sink);
        m_client.set_connection_timeout(endpoint.connectTimeoutSeconds, 0);
        m_client.set_read_timeout(endpoint.readTimeoutSeconds, 0);
        m_client.set_follow_location(false);  // a redirect could leave the allowlist
        if (!endpoint.apiKey.empty()) m_client.set_bearer_token_auth(endpoint.apiKey);
        m_thread = std::thread([this] { run(); });
    }
    ~RemoteTurn() override {
        cancel();
        wait();
    }
    void cancel() override {
        m_cancelled = true;
        m_client.stop();
    }
    void wait() override {
        std::lock_guard lock(m_joinMutex);
        if (m_thread.joinable()) m_thread.join();
    }

private:
    void run();
    bool receive(const char* data, std::size_t size);

    httplib::Client m_client;
    std::string m_where;  // scheme://host:port, for messages
    std::string m_path;
    std::string m_body;
    bool m_stream;
    RemoteEndpoint m_endpoint;  // its timeouts, for messages
    std::atomic<bool> m_cancelled{false};
    std::mutex m_joinMutex;
    std::thread m_thread;
    // Reader thread only:
    Assembler m_assembler;
    SseDecoder m_sse;
    int m_status = 0;
    std::string m_raw;  // the whole body (non-streaming or an error status)
    bool m_sawDone = false;
    std::optional<Error> m_error;
};

bool RemoteTurn::receive(const char* data, std::size_t size) {
    if (m_cancelled) return false;
    if (m_status != 200 || !m_stream) {
        if (m_raw.size() + size > (m_status == 200 ? kMaxBody : kMaxErrorBody)) return false;
        m_raw.append(data, size);
        return true;
    }
    for (const auto& payload : m_sse.feed({data, size})) {
        if (payload == "[DONE]") {
            m_sawDone = true;
            continue;
        }
        auto r = m_assembler.take(PlainJson::parse(payload, nullptr, false), "delta");
        if (!r) {
            m_error = r.error();
            return false;
        }
    }
    if (m_sse.failed()) m_error = Error::badInput("remote: an SSE event over the size limit");
    return !m_sse.failed();
}

void RemoteTurn::run() {
    httplib::Request req;
    req.method = "POST";
    req.path = m_path;
    req.body = m_body;
    req.set_header("Content-Type", "application/json");
    req.set_header("Accept", m_stream ? "text/event-stream" : "application/json");
    req.response_handler = [this](const httplib::Response& res) {
        m_status = res.status;
        return !m_cancelled.load();
    };
    req.content_receiver = [this](const char* d, std::size_t n, std::uint64_t, std::uint64_t) {
        return receive(d, n);
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    if (m_cancelled) return m_assembler.finishTurn(true);
    const auto started = std::chrono::steady_clock::now();
    const bool sent = m_client.send(req, res, err);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (m_cancelled) return m_assembler.finishTurn(true);
    if (!m_error && m_status != 0 && m_status != 200) m_error = statusError(m_status, m_raw);
    if (!m_error && !sent)
        m_error = transportError(err, m_where, m_endpoint, seconds);
    if (!m_error && !m_stream) {
        auto r = m_assembler.take(PlainJson::parse(m_raw, nullptr, false), "message");
        if (!r) m_error = r.error();
    }
    if (!m_error && m_stream && !m_sawDone)
        m_error = Error::io("remote: the stream ended before data: [DONE]");
    if (m_error) {
        ChatEvent e;
        e.kind = ChatEventKind::Error;
        e.error = *m_error;
        m_assembler.sink(e);
        return;
    }
    m_assembler.finishTurn(false);
}

}  // namespace

RemoteChatBackend::RemoteChatBackend(RemoteEndpoint endpoint, HostAllowlist allowlist)
    : m_endpoint(std::move(endpoint)), m_allowlist(std::move(allowlist)) {}

Result<std::unique_ptr<TurnHandle>> RemoteChatBackend::start(ChatBackendRequest request,
                                                           ChatEventSink sink) {
    auto url = parseHttpUrl(m_endpoint.url);
    if (!url) return unexpected(url.error());
    // Policy first: nothing outside the allowlist is resolved or contacted.
    if (auto allowed = m_allowlist.check(url->host); !allowed) return unexpected(allowed.error());
    std::string body = requestJson(request, m_endpoint.model, m_endpoint.stream);
    return std::unique_ptr<TurnHandle>(
        std::make_unique<RemoteTurn>(m_endpoint, *url, std::move(body), std::move(sink)));
}

}  // namespace atelier::agents
