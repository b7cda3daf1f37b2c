#pragma once
// Policy: the deterministic, deny-by-default rules every tool call passes (ARCHITECTURE.md
// "Policy"). Grants are path roots with read or read-write access; some globs are denied
// everywhere; paths are checked after resolving `..`, symlinks and mount points. Network is
// never granted to tools. Thread-safe after construction: all methods are const.

#include <filesystem>
#include <string>
#include <vector>

namespace atelier::agents {

enum class Access { Read, Write };

struct PathGrant {
    std::filesystem::path root;  // a folder (or file) the agent may use
    Access access = Access::Read;
};

struct PolicyDecision {
    bool allowed = false;
    std::string reason;                // why not, or which grant allowed it
    std::filesystem::path resolved;    // the canonical path that was checked
};

class Policy {
public:
    // `dataDir` is Atelier's own data folder, denied everywhere (empty: none).
    explicit Policy(std::vector<PathGrant> grants, std::filesystem::path dataDir = {},
                    std::vector<std::string> extraDenyGlobs = {});

    // Checks `requested` (absolute, or relative to `base`) for `access`. Resolves `..` and every
    // symlink (of the path and of the grant roots) first; refuses paths outside every grant,
    // matching a denied glob, crossing a mount point below the grant root, or naming a hard-
    // linked regular file (it could alias a file outside the grant).
    PolicyDecision checkPath(const std::filesystem::path& requested, Access access,
                             const std::filesystem::path& base = {}) const;

    // Whether every grant of `this` lies within a grant of `parent` with at least the same
    // access (a child never exceeds its parent). `why` receives the first offending grant.
    bool isWithin(const Policy& parent, std::string* why = nullptr) const;

    const std::vector<PathGrant>& grants() const { return m_grants; }
    // Atelier's own data folder (canonical), denied everywhere; empty: none.
    const std::filesystem::path& dataDir() const { return m_dataDir; }

    // Globs denied whatever the grants say: private keys, .env files, ~/.ssh, kernel and device
    // file systems. Matched against the canonical path ("**" spans folders).
    static const std::vector<std::string>& defaultDenyGlobs();

private:
    std::vector<PathGrant> m_grants;            // roots canonicalised at construction
    std::vector<std::string> m_denyGlobs;
    std::filesystem::path m_dataDir;
};

// Glob match on '/'-separated paths: '*' and '?' stay within one component, '**' spans any
// number of components, '[...]' classes as fnmatch.
bool globMatch(const std::string& pattern, const std::string& path);

}  // namespace atelier::agents
