#pragma once
// RemoteChatBackend: ChatBackend over an OpenAI-compatible /v1/chat/completions endpoint (vLLM,
// SGLang, llama.cpp's server, another Atelier's `serve`), with cpp-httplib. Streams with SSE by
// default; tool calls arrive whole once their arguments are complete. The URL's host must be
// in the HostAllowlist: it is checked before any name lookup or connection. cancel() shuts the
// connection down, so a turn never hangs on a silent server; a server that closes mid-stream
// gives an Error event.
// Threads: each turn runs on a thread of its own, which delivers the events.

#include <string>

#include "atelier/agents/chat_backend.h"
#include "atelier/agents/host_allowlist.h"

namespace atelier::agents {

struct RemoteEndpoint {
    std::string url;     // http(s)://host[:port][/base]; "/v1" when no base is given
    std::string model;   // sent as `model`; empty: omitted
    std::string apiKey;  // sent as `Authorization: Bearer`; empty: none
    bool stream = true;  // false: one JSON response per turn
    int connectTimeoutSeconds = 10;
    int readTimeoutSeconds = 300;  // the longest silence (e.g. a long prefill) tolerated
};

struct ParsedUrl {
    std::string scheme;  // http | https
    std::string host;
    int port = 0;
    std::string basePath;  // without a trailing '/'
};
Result<ParsedUrl> parseHttpUrl(const std::string& url);

class RemoteChatBackend : public ChatBackend {
public:
    RemoteChatBackend(RemoteEndpoint endpoint, HostAllowlist allowlist);

    Result<std::unique_ptr<TurnHandle>> start(ChatBackendRequest request,
                                            ChatEventSink sink) override;
    std::string modelName() const override { return m_endpoint.model; }

    // The JSON body a request is sent as (OpenAI's shape).
    static std::string requestJson(const ChatBackendRequest& request, const std::string& model,
                                   bool stream);

private:
    RemoteEndpoint m_endpoint;
    HostAllowlist m_allowlist;
};

}  // namespace atelier::agents
