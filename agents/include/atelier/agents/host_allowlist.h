#pragma once
// HostAllowlist: the policy for outgoing connections (remote backends). Nothing outside it is
// contacted; the default list is empty, so nothing is. Entries are host names or IP literals,
// compared case-insensitively with the host of a URL before any name lookup or connection.
// Immutable after construction; any thread.

#include <string>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::agents {

class HostAllowlist {
public:
    HostAllowlist() = default;
    explicit HostAllowlist(std::vector<std::string> hosts);

    bool allows(const std::string& host) const;
    // Ok, or a Denied error naming the host.
    Result<void> check(const std::string& host) const;
    const std::vector<std::string>& hosts() const { return m_hosts; }

private:
    std::vector<std::string> m_hosts;  // lower case
};

}  // namespace atelier::agents
