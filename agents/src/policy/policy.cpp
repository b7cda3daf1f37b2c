#include "atelier/agents/policy.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <cstdlib>
#include <system_error>

namespace atelier::agents {
namespace fs = std::filesystem;

namespace {

// Canonical form of `p`: absolute, `..` resolved, every existing symlink followed. Parts that
// do not exist yet (a file about to be written) are appended lexically.
fs::path canonicalOf(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (ec) c = fs::absolute(p, ec).lexically_normal();
    return c;
}

bool isWithinRoot(const fs::path& path, const fs::path& root) {
    auto r = root.begin(), p = path.begin();
    for (; r != root.end(); ++r, ++p) {
        if (r->empty()) continue;  // trailing separator
        if (p == path.end() || *p != *r) return false;
    }
    return true;
}

bool matchComponents(const std::vector<std::string>& pat, std::size_t pi,
                     const std::vector<std::string>& path, std::size_t si) {
    if (pi == pat.size()) return si == path.size();
    if (pat[pi] == "**") {
        for (std::size_t k = si; k <= path.size(); ++k)
            if (matchComponents(pat, pi + 1, path, k)) return true;
        return false;
    }
    if (si == path.size()) return false;
    if (::fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    return matchComponents(pat, pi + 1, path, si + 1);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : s) {
        if (ch == '/') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(ch);
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string expandHome(const std::string& glob) {
    if (glob.rfind("~/", 0) != 0) return glob;
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + glob.substr(1);
}

}  // namespace

bool globMatch(const std::string& pattern, const std::string& path) {
    return matchComponents(split(pattern), 0, split(path), 0);
}

const std::vector<std::string>& Policy::defaultDenyGlobs() {
    static const std::vector<std::string> globs = {
        "**/.ssh/**",     "**/.ssh",        "**/.gnupg/**",  "**/.env",        "**/.env.*",
        "**/*.pem",       "**/*.key",       "**/id_rsa*",    "**/id_ed25519*", "**/id_ecdsa*",
        "**/*.p12",       "**/*.pfx",       "**/.netrc",     "**/_netrc",      "/proc/**",
        "/sys/**",        "/dev/**",        "~/.ssh/**",
        // Tokens in remote URLs and credential helpers' stores.
        "**/.git/config", "**/.git/modules/**/config", "**/.git-credentials",
        "**/.config/git/credentials", "**/.config/gh/hosts.yml",
        // Package registries' and cloud tools' credentials.
        "**/.npmrc",      "**/.pypirc",     "**/.cargo/credentials", "**/.cargo/credentials.toml",
        "**/.aws/**",     "**/.config/gcloud/**", "**/.azure/**", "**/.kube/**",
        "**/.docker/config.json",
    };
    return globs;
}

Policy::Policy(std::vector<PathGrant> grants, fs::path dataDir, std::vector<std::string> extra)
    : m_grants(std::move(grants)), m_dataDir(dataDir.empty() ? fs::path{} : canonicalOf(dataDir)) {
    for (auto& g : m_grants) g.root = canonicalOf(g.root);
    for (const auto& g : defaultDenyGlobs()) m_denyGlobs.push_back(expandHome(g));
    for (auto& g : extra) m_denyGlobs.push_back(expandHome(g));
}

PolicyDecision Policy::checkPath(const fs::path& requested, Access access,
                                 const fs::path& base) const {
    PolicyDecision d;
    if (requested.empty()) {
        d.reason = "empty path";
        return d;
    }
    const fs::path joined = requested.is_absolute() || base.empty() ? requested : base / requested;
    d.resolved = canonicalOf(joined);
    const std::string resolvedText = d.resolved.string();
    // The path as named, before symlinks are followed: a `.env` symlink to a harmless file is
    // still a `.env`, and a git tool judging a path from history sees it as the tree names it.
    std::error_code ec;
    const std::string namedText = fs::absolute(joined, ec).lexically_normal().string();

    if (!m_dataDir.empty() && isWithinRoot(d.resolved, m_dataDir)) {
        d.reason = "'" + resolvedText + "' is inside Atelier's own data folder";
        return d;
    }
    for (const auto& glob : m_denyGlobs) {
        for (const std::string* text : {&resolvedText, &namedText}) {
            if (globMatch(glob, *text)) {
                d.reason = "'" + *text + "' matches the denied pattern '" + glob + "'";
                return d;
            }
        }
    }
    const PathGrant* grant = nullptr;
    for (const auto& g : m_grants) {
        if (!isWithinRoot(d.resolved, g.root)) continue;
        if (access == Access::Write && g.access != Access::Write) {
            if (!grant) grant = &g;  // remember for the message
            continue;
        }
        grant = &g;
        break;
    }
    if (!grant) {
        d.reason = "'" + resolvedText + "' is outside every granted folder";
        return d;
    }
    if (access == Access::Write && grant->access != Access::Write) {
        d.reason = "'" + resolvedText + "' is granted read-only (under '" + grant->root.string() + "')";
        return d;
    }
    struct stat st {};
    struct stat rootSt {};
    if (::stat(d.resolved.c_str(), &st) == 0 && ::stat(grant->root.c_str(), &rootSt) == 0) {
        if (st.st_dev != rootSt.st_dev) {
            d.reason = "'" + resolvedText + "' is on another file system than '" +
                       grant->root.string() + "' (a mount point inside the grant)";
            return d;
        }
        if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
            d.reason = "'" + resolvedText + "' is a hard-linked file (it may alias a file outside "
                       "the grant)";
            return d;
        }
    }
    d.allowed = true;
    d.reason = std::string(access == Access::Write ? "write" : "read") + " granted under '" +
               grant->root.string() + "'";
    return d;
}

bool Policy::isWithin(const Policy& parent, std::string* why) const {
    for (const auto& g : m_grants) {
        bool covered = false;
        for (const auto& pg : parent.m_grants) {
            if (isWithinRoot(g.root, pg.root) &&
                (g.access == Access::Read || pg.access == Access::Write)) {
                covered = true;
                break;
            }
        }
        if (!covered) {
            if (why)
                *why = std::string(g.access == Access::Write ? "read-write" : "read") +
                       " grant '" + g.root.string() + "' is not within the parent's grants";
            return false;
        }
    }
    return true;
}

}  // namespace atelier::agents
