// HostAllowlist (host_allowlist.h).

#include "atelier/agents/host_allowlist.h"

#include <algorithm>
#include <cctype>

namespace atelier::agents {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // "[::1]" and "::1" name the same host.
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

HostAllowlist::HostAllowlist(std::vector<std::string> hosts) {
    for (auto& h : hosts)
        if (!h.empty()) m_hosts.push_back(lower(std::move(h)));
}

bool HostAllowlist::allows(const std::string& host) const {
    const std::string h = lower(host);
    return !h.empty() && std::find(m_hosts.begin(), m_hosts.end(), h) != m_hosts.end();
}

Result<void> HostAllowlist::check(const std::string& host) const {
    if (allows(host)) return {};
    return Error{ErrorCode::Denied,
                 "host \"" + host + "\" is not in the allowlist" +
                     (m_hosts.empty() ? std::string(" (empty; add it with --allow-host)") : "")};
}

}  // namespace atelier::agents
