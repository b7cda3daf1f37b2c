// OpenAiServer (openai_server.h): binding, authentication, error bodies and the lifecycle. The
// endpoints are in openai_routes.cpp.

#include "openai_server_impl.h"

#include <chrono>
#include <csignal>

#include "atelier/engine/log.h"

namespace atelier::agents {
namespace {

bool sameKey(const std::string& given, const std::string& expected) {
    // No early exit inside the key, so the time taken does not leak how much of it matched.
    if (given.size() != expected.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < given.size(); ++i) diff |= unsigned(given[i] ^ expected[i]);
    return diff == 0;
}

ApiError errorForStatus(int status) {
    switch (status) {
    case 404: return {404, "no such endpoint", "invalid_request_error", "not_found"};
    case 405: return {405, "method not allowed", "invalid_request_error", "method_not_allowed"};
    case 413:
        return {413, "the request body is too large", "invalid_request_error", "body_too_large"};
    case 414: return {414, "the request URI is too long", "invalid_request_error", "uri_too_long"};
    default:
        if (status < 500) return {status, "bad request", "invalid_request_error", "bad_request"};
        return {status, "internal server error", "server_error", "internal_error"};
    }
}

}  // namespace

bool isLoopbackHost(const std::string& host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
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
        return unexpected(Error{ErrorCode::PolicyDenied,
                                "refusing to serve on the non-loopback address " +
                                    s.options.host + " without --api-key"});
    // A client that hangs up mid-write must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    s.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    const int threads = std::max(2, s.options.connectionThreads);
    s.http.new_task_queue = [threads] { return new httplib::ThreadPool(std::size_t(threads)); };
    s.http.set_payload_max_length(s.options.maxBodyBytes);
    s.http.set_read_timeout(s.options.readTimeoutSeconds, 0);
    s.http.set_write_timeout(s.options.readTimeoutSeconds, 0);
    s.http.set_keep_alive_timeout(s.options.readTimeoutSeconds);
    s.http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
        if (s.options.apiKey.empty() ||
            sameKey(req.get_header_value("Authorization"), "Bearer " + s.options.apiKey))
            return httplib::Server::HandlerResponse::Unhandled;
        sendError(res, {401, "missing or wrong API key (Authorization: Bearer KEY)",
                        "authentication_error", "invalid_api_key"});
        return httplib::Server::HandlerResponse::Handled;
    });
    s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) sendError(res, errorForStatus(res.status));
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
    s.thread = std::thread([&s] { s.http.listen_after_bind(); });
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
