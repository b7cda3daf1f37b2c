// RequestGate (request_gate.h).

#include "request_gate.h"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>

namespace atelier::agents {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool isAddressLiteral(const std::string& h) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool sameKey(const std::string& given, const std::string& expected) {
    // No early exit inside the key, so the time taken does not leak how much of it matched.
    if (given.size() != expected.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < given.size(); ++i) diff |= unsigned(given[i] ^ expected[i]);
    return diff == 0;
}

// A configured name or address as hostOf() would read it from a Host header ("::1" is bare).
std::string nameOf(const std::string& s) {
    const bool bareV6 = std::count(s.begin(), s.end(), ':') >= 2 && s.front() != '[';
    return RequestGate::hostOf(bareV6 ? "[" + s + "]" : s);
}

ApiError forbidden(std::string message, const char* code) {
    return {403, std::move(message), "permission_error", code};
}

}  // namespace

std::string RequestGate::hostOf(const std::string& hostHeader) {
    std::string h = lower(trim(hostHeader));
    if (!h.empty() && h.front() == '[') {
        const auto close = h.find(']');
        if (close == std::string::npos) return {};
        const std::string rest = h.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return {};
        h = h.substr(1, close - 1);
    } else if (std::count(h.begin(), h.end(), ':') == 1) {
        h = h.substr(0, h.find(':'));
    }
    while (!h.empty() && h.back() == '.') h.pop_back();
    return h;
}

RequestGate::RequestGate(const ServeOptions& options)
    : m_apiKey(options.apiKey), m_maxBody(options.maxBodyBytes) {
    m_hosts = {"localhost"};
    const std::string bound = nameOf(options.host);
    m_anyAddress = bound.empty() || bound == "0.0.0.0" || bound == "::";
    if (!bound.empty()) m_hosts.push_back(bound);
    for (const auto& h : options.allowedHostHeaders) {
        if (h == "*") m_anyHost = true;
        else if (!h.empty()) m_hosts.push_back(nameOf(h));
    }
    for (const auto& o : options.corsOrigins) {
        if (o == "*") m_anyOrigin = true;
        else m_origins.push_back(lower(trim(o)));
    }
}

bool RequestGate::hostAllowed(const std::string& host) const {
    if (m_anyHost) return true;
    if (host.empty()) return false;
    if (std::find(m_hosts.begin(), m_hosts.end(), host) != m_hosts.end()) return true;
    return isAddressLiteral(host) && (m_anyAddress || isLoopbackHost(host));
}

std::optional<ApiError> RequestGate::check(const httplib::Request& req, httplib::Response& res,
                                           bool& preflight) const {
    preflight = false;
    // Every browser sends Host; a client that sends none (HTTP/1.0) is no rebinding page.
    const std::string hostHeader = req.get_header_value("Host");
    if (req.get_header_value_count("Host") > 1)
        return ApiError{400, "more than one Host header", "invalid_request_error", "bad_request"};
    if (req.has_header("Host") && !hostAllowed(hostOf(hostHeader)))
        return forbidden("the Host header \"" + hostHeader +
                             "\" does not name this server (allow a name with "
                             "--allow-host-header NAME)",
                         "host_not_allowed");

    if (req.has_header("Origin")) {
        const std::string origin = lower(trim(req.get_header_value("Origin")));
        const std::string own = lower(trim(hostHeader));
        const bool same = !own.empty() && (origin == "http://" + own || origin == "https://" + own);
        if (!same) {
            const bool allowed = m_anyOrigin || std::find(m_origins.begin(), m_origins.end(),
                                                          origin) != m_origins.end();
            if (!allowed)
                return forbidden("cross-origin requests from \"" + req.get_header_value("Origin") +
                                     "\" are refused (allow a web page's origin with "
                                     "--cors ORIGIN)",
                                 "origin_not_allowed");
            res.set_header("Access-Control-Allow-Origin", req.get_header_value("Origin"));
            res.set_header("Vary", "Origin");
            if (req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method")) {
                res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
                res.set_header("Access-Control-Max-Age", "600");
                res.status = 204;
                preflight = true;
                return std::nullopt;
            }
        }
    }

    if (!m_apiKey.empty() && !sameKey(req.get_header_value("Authorization"), "Bearer " + m_apiKey))
        return ApiError{401, "missing or wrong API key (Authorization: Bearer KEY)",
                        "authentication_error", "invalid_api_key"};

    if (req.method == "POST") {
        if (req.has_header("Transfer-Encoding") || !req.has_header("Content-Length"))
            return ApiError{411, "a request body needs a Content-Length (no chunked bodies)",
                            "invalid_request_error", "length_required"};
        const std::string length = trim(req.get_header_value("Content-Length"));
        if (length.empty() || length.size() > 19 ||
            !std::all_of(length.begin(), length.end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; }))
            return ApiError{400, "the Content-Length is not a number", "invalid_request_error",
                            "bad_request"};
        if (std::stoull(length) > m_maxBody)
            return ApiError{413, "the request body is too large (at most " +
                                     std::to_string(m_maxBody) + " bytes)",
                            "invalid_request_error", "body_too_large"};
        const std::string type = req.get_header_value("Content-Type");
        if (lower(trim(type.substr(0, type.find(';')))) != "application/json")
            return ApiError{415,
                            "the body must be sent with Content-Type: application/json (got \"" +
                                type + "\")",
                            "invalid_request_error", "unsupported_media_type"};
    }
    return std::nullopt;
}

}  // namespace atelier::agents
