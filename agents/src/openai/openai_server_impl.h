#pragma once
// The state behind OpenAiServer (openai_server.h), shared by openai_server.cpp (lifecycle,
// authentication, errors) and the endpoints (openai_routes.cpp, openai_chat_route.cpp,
// openai_completions_route.cpp).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

#include "atelier/agents/openai_protocol.h"
#include "atelier/agents/openai_server.h"
#include "bounded_http_server.h"
#include "request_gate.h"

namespace atelier::agents {

struct OpenAiServer::Impl {
    Impl(ServeOptions o, engine::GenerationService& s, engine::Tokenizer t)
        : options(std::move(o)), service(s), tokenizer(t),
          backend(s, std::move(t), options.modelName), gate(options), http(limits(options)) {}

    static ConnectionLimits limits(const ServeOptions& options);

    ServeOptions options;
    engine::GenerationService& service;
    engine::Tokenizer tokenizer;
    LocalChatBackend backend;
    RequestGate gate;
    BoundedHttpServer http;
    std::thread thread;  // runs http.listen_after_bind()
    std::atomic<bool> listenEnded{false};  // set by `thread` when listening has returned
    int port = 0;
    std::int64_t created = 0;  // the /v1/models timestamp: server start
    std::atomic<std::uint64_t> counter{0};

    // Cancels the waiting (non-streamed) requests when the server stops; streams end by
    // themselves when the server shuts down.
    std::mutex waitingMutex;
    std::map<std::uint64_t, std::function<void()>> waiting;  // guarded by waitingMutex
    bool stopping = false;                                    // guarded by waitingMutex

    // Runs `wait` while `cancel` is registered for stop(); cancels at once if stopping.
    void waitCancellable(const std::function<void()>& cancel, const std::function<void()>& wait);

    std::string nextId(const char* prefix) { return prefix + std::to_string(++counter); }
    void routes();
    void chatCompletions(const httplib::Request& req, httplib::Response& res);
    void completions(const httplib::Request& req, httplib::Response& res);
    // Refuses a request naming another model (404); true when it may go on.
    bool checkModel(const std::string& model, httplib::Response& res) const;
};

// Writes an OpenAI error body with its status.
void sendError(httplib::Response& res, const ApiError& error);

}  // namespace atelier::agents
