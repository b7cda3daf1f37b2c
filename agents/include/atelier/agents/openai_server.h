#pragma once
// OpenAiServer: the OpenAI-compatible HTTP server of `atelier-cli serve` (CLI.md "Serving"),
// on cpp-httplib. Routes: GET /v1/models, POST /v1/chat/completions (SSE streaming ending in
// `data: [DONE]`, tool calls, reasoning_content, usage with cached tokens), POST
// /v1/completions (text or token ids). Every request runs on the one GenerationService, so
// concurrent requests share its batching and prefix cache. Errors use OpenAI's
// {"error":{..}} shape: 400 malformed (or JSON nested deeper than 128), 401 bad key, 403 a Host
// that does not name this server or a cross-origin browser request not allowed by corsOrigins,
// 404 unknown route or model, 411 no Content-Length, 413 body too large, 415 a body not sent
// as application/json, 503 every connection busy. A client that disconnects mid-stream cancels
// its generation. Slow clients are bounded: the request line and headers must arrive within
// headerTimeout, the body within bodyTimeout after them; past connectionThreads connections
// the one waiting longest for its request is dropped.
// Threads: start()/stop() from one controlling thread; requests run on the server's own pool.

#include <cstddef>
#include <memory>
#include <chrono>
#include <string>
#include <vector>

#include "atelier/agents/local_chat_backend.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/generation_service.h"
#include "atelier/base/result.h"
#include "atelier/engine/tokenizer.h"

namespace atelier::agents {

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 8080;                          // 0: any free port
    std::string apiKey;                       // empty: no authentication (loopback only)
    std::string modelName = "atelier";        // the id /v1/models reports
    engine::ChatMode defaultMode = engine::ChatMode::Chat;
    std::size_t maxBodyBytes = 8u << 20;      // larger bodies get 413
    int connectionThreads = 64;               // concurrent connections served
    int readTimeoutSeconds = 10;              // a client silent this long is dropped
    std::chrono::milliseconds headerTimeout{10000};  // request line and headers, in all
    std::chrono::milliseconds bodyTimeout{60000};    // the body, after the headers
    // Host header names accepted besides localhost, loopback addresses and `host` ("*": any).
    std::vector<std::string> allowedHostHeaders;
    // Browser origins allowed cross-origin, e.g. "http://localhost:3000" ("*": any).
    std::vector<std::string> corsOrigins;
};

// Whether `host` resolves only to loopback addresses (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104):
// decided on the resolved addresses, so "127.example.com" is not loopback. False when it does
// not resolve. May block on name resolution for a name that is not an address.
bool isLoopbackHost(const std::string& host);

class OpenAiServer {
public:
    // `service` must outlive the server.
    OpenAiServer(ServeOptions options, engine::GenerationService& service,
                 engine::Tokenizer tokenizer);
    ~OpenAiServer();  // stops
    OpenAiServer(const OpenAiServer&) = delete;
    OpenAiServer& operator=(const OpenAiServer&) = delete;

    // Binds (refusing a non-loopback host without an API key: Denied) and serves on a
    // thread of its own. Returns the bound port.
    Result<int> start();
    // Stops accepting, ends open streams (their generations are cancelled) and joins.
    void stop();
    int port() const;

    // The backend chat requests run on (e.g. to set a constraint factory before start()).
    LocalChatBackend& chatBackend();

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::agents
