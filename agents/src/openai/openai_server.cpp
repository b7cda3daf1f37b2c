// OpenAiServer (openai_server.h): binding, authentication, error bodies and the lifecycle. The
// endpoints are in openai_routes.cpp, openai_chat_route.cpp and openai_completions_route.cpp.

#include "openai_server_impl.h"

#include <chrono>
#include <csignal>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "atelier/base/log.h"

namespace atelier::agents {
namespace {

ApiError errorForStatus(int status) {
    switch (status) {
    case 404: return {404, "no such endpoint", "invalid_request_error", "not_found"};
    case 405: return {405, "method not allowed", "invalid_request_error", "method_not_allowed"};
    case 413:
        return {413, "the request body is too large", "invalid_request_error", "body_too_large"};
    case 503:
        return {503, "the server is busy (every connection is in use); retry", "server_error",
                "server_busy"};
    case 414: return {414, "the request URI is too long", "invalid_request_error", "uri_too_long"};
    default:
        if (status < 500) return {status, "bad request", "invalid_request_error", "bad_request"};
        return {status, "internal server error", "server_error", "internal_error"};
    }
}

bool isLoopbackAddress(const sockaddr* a) {
    if (a->sa_family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr) >> 24) == 127;
    if (a->sa_family != AF_INET6) return false;
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

}  // namespace

bool isLoopbackHost(const std::string& host) {
    std::string name = host;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
        name = name.substr(1, name.size() - 2);
    if (name.empty()) return false;  // every address
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || !found) return false;
    bool loopback = true;
    for (const addrinfo* a = found; a; a = a->ai_next)
        loopback = loopback && isLoopbackAddress(a->ai_addr);
    ::freeaddrinfo(found);
    return loopback;
}

ConnectionLimits OpenAiServer::Impl::limits(const ServeOptions& options) {
    ConnectionLimits l;
    l.maxConnections = std::max(1, options.connectionThreads);
    l.headerTimeout = options.headerTimeout;
    l.bodyTimeout = options.bodyTimeout;
    l.idleTimeout = std::chrono::seconds(std::max(1, options.readTimeoutSeconds));
    l.busyBody = apiErrorJson(errorForStatus(503));
    return l;
}

void sendError(httplib::Response& res, const ApiError& error) {
    res.status = error.status;
    res.set_content(apiErrorJson(error), "application/json");
}

bool OpenAiServer::Impl::checkModel(const std::string& model, httplib::Response& res) const {
    if (model.empty() || model == options.modelName) return true;
    sendError(res, {404, "the model \"" + model + "\" does not exist; this server has \"" +
                             options.modelName + "\"",
                    "invalid_request_error", "model_not_found"});
    return false;
}

void OpenAiServer::Impl::waitCancellable(const std::function<void()>& cancel,
                                         const std::function<void()>& wait) {
    const std::uint64_t key = ++counter;
    {
        std::lock_guard lock(waitingMutex);
        if (stopping) cancel();
        else waiting.emplace(key, cancel);
    }
    wait();
    std::lock_guard lock(waitingMutex);
    waiting.erase(key);
}

OpenAiServer::OpenAiServer(ServeOptions options, engine::GenerationService& service,
                           engine::Tokenizer tokenizer)
    : m_impl(std::make_unique<Impl>(std::move(options), service, std::move(tokenizer))) {}

OpenAiServer::~OpenAiServer() { stop(); }

LocalChatBackend& OpenAiServer::chatBackend() { return m_impl->backend; }
int OpenAiServer::port() const { return m_impl->port; }

Result<int> OpenAiServer::start() {
    Impl& s = *m_impl;
    if (!isLoopbackHost(s.options.host) && s.options.apiKey.empty())
        return unexpected(Error{ErrorCode::Denied,
                                "refusing to serve on " + s.options.host +
                                    " (not only loopback addresses) without --api-key"});
    // A client that hangs up mid-write must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    s.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    s.http.set_payload_max_length(s.options.maxBodyBytes);
    s.http.set_read_timeout(s.options.readTimeoutSeconds, 0);
    s.http.set_write_timeout(s.options.readTimeoutSeconds, 0);
    s.http.set_keep_alive_timeout(s.options.readTimeoutSeconds);
    // Runs once the headers are in, before the body is read.
    s.http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
        bool preflight = false;
        auto refusal = s.gate.check(req, res, preflight);
        if (!refusal && !preflight) return httplib::Server::HandlerResponse::Unhandled;
        if (refusal) sendError(res, *refusal);
        // The body, if any, is unread: it must not be taken for the next request.
        BoundedHttpServer::closeAfterResponse();
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
    });
    s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) sendError(res, errorForStatus(res.status));
        BoundedHttpServer::closeAfterResponse();
        res.set_header("Connection", "close");
    });
    s.http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
            sendError(res, {500, "internal server error", "server_error", "internal_error"});
        });
    s.routes();
    if (s.options.port == 0) {
        s.port = s.http.bind_to_any_port(s.options.host);
    } else if (s.http.bind_to_port(s.options.host, s.options.port)) {
        s.port = s.options.port;
    } else {
        s.port = -1;
    }
    if (s.port <= 0)
        return unexpected(Error::io("cannot listen on " + s.options.host + ":" +
                                    std::to_string(s.options.port)));
    // The name may have resolved otherwise when bound: decide on the address bound.
    const std::string bound = s.http.boundAddress();
    if (!isLoopbackHost(bound) && s.options.apiKey.empty()) {
        s.http.unbind();
        return unexpected(Error{ErrorCode::Denied,
                                "refusing to serve on the non-loopback address " + bound + " (" +
                                    s.options.host + ") without --api-key"});
    }
    s.listenEnded = false;
    s.thread = std::thread([&s] {
        s.http.listen_after_bind();
        s.listenEnded = true;
    });
    // httplib's stop() does nothing until the listening loop runs: a stop() right after start()
    // would leave the thread listening forever. Return only once it runs (or failed to).
    while (!s.http.is_running() && !s.listenEnded)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    logger("agents")->info("serving {} on {}:{}", s.options.modelName, s.options.host, s.port);
    return s.port;
}

void OpenAiServer::stop() {
    Impl& s = *m_impl;
    if (!s.thread.joinable()) return;
    {
        std::lock_guard lock(s.waitingMutex);
        s.stopping = true;
        for (auto& [key, cancel] : s.waiting) cancel();
    }
    s.http.stop();
    s.thread.join();
}

}  // namespace atelier::agents
