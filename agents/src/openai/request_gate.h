#pragma once
// RequestGate: what OpenAiServer checks on a request's headers, before reading its body:
// - Host names this server (a loopback name or address, the bound host, a name allowed with
//   --allow-host-header, any address when bound to all of them): a page whose own name was
//   rebound to 127.0.0.1 (DNS rebinding) still sends its own name;
// - a browser's Origin is the server's own or one allowed with --cors (which also answers the
//   CORS preflight and labels responses for that origin);
// - the API key, when one is set;
// - a POST body has a Content-Length within the limit and Content-Type application/json (a
//   cross-site form can post text/plain without a preflight, never application/json).
// Any thread; const after construction.

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "atelier/agents/openai_protocol.h"
#include "atelier/agents/openai_server.h"

namespace atelier::agents {

class RequestGate {
public:
    explicit RequestGate(const ServeOptions& options);

    // A refusal, or nothing when the request may go on. Sets the CORS headers on `res` for an
    // allowed cross origin; `preflight` is set for an allowed CORS preflight, answered in full.
    std::optional<ApiError> check(const httplib::Request& req, httplib::Response& res,
                                  bool& preflight) const;

    // "Example.COM:8080" -> "example.com", "[::1]:80" -> "::1" (empty when malformed).
    static std::string hostOf(const std::string& hostHeader);

private:
    bool hostAllowed(const std::string& host) const;

    std::vector<std::string> m_hosts;  // normalized names and addresses accepted in Host
    bool m_anyAddress = false;         // bound to 0.0.0.0 or ::: any address literal
    bool m_anyHost = false;            // --allow-host-header '*'
    std::vector<std::string> m_origins;
    bool m_anyOrigin = false;          // --cors '*'
    std::string m_apiKey;
    std::size_t m_maxBody;
};

}  // namespace atelier::agents
