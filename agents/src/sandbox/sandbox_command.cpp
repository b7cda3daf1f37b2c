// The bwrap command line of a sandboxed run (see sandbox.h): the minimal system, the policy's
// grants and the masks over what the policy denies inside them.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

#include "atelier/agents/sandbox.h"
#include "atelier/base/log.h"

namespace atelier::agents::sandbox {
namespace fs = std::filesystem;

namespace {

// A grant tree larger than this is refused rather than bound without its denied files masked.
constexpr std::size_t kMaxScannedEntries = 200000;

Error refused(const std::string& why) {
    return Error{ErrorCode::Denied,
                 "subprocess tools are refused: " + why +
                     " (install the Debian package 'bubblewrap' on a system that allows "
                     "unprivileged user namespaces)"};
}

void systemMounts(std::vector<std::string>& a) {
    a.insert(a.end(), {"--ro-bind", "/usr", "/usr"});
    std::error_code ec;
    for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
        if (fs::is_symlink(dir, ec)) {
            a.insert(a.end(), {"--symlink", fs::read_symlink(dir, ec).string(), dir});
        } else if (fs::is_directory(dir, ec)) {
            a.insert(a.end(), {"--ro-bind", dir, dir});
        }
    }
    // Only what the dynamic loader and common runtimes read; no passwd, no credentials.
    for (const char* etc : {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                            "/etc/alternatives", "/etc/localtime"})
        a.insert(a.end(), {"--ro-bind-try", etc, etc});
    a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});
}

// Masks every entry below `root` that the policy refuses (denied globs, the data folder, hard
// links, other mounts): an empty read-only tmpfs over folders, /dev/null over files.
Result<void> maskDenied(const fs::path& root, Access access, const Policy& policy,
                        std::vector<std::string>& a) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return {};
    std::size_t seen = 0;
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return unexpected(Error::io("cannot scan grant " + root.string() + ": " + ec.message()));
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) return unexpected(Error::io("cannot scan grant " + root.string() + ": " + ec.message()));
        if (++seen > kMaxScannedEntries)
            return unexpected(ErrorCode::Denied,
                              "grant " + root.string() + " holds over " +
                                  std::to_string(kMaxScannedEntries) +
                                  " entries, too many to mask its denied files for a subprocess tool");
        const fs::path& p = it->path();
        if (it->is_symlink(ec)) continue;  // the target is bound (and masked) on its own or not at all
        if (policy.checkPath(p, access).allowed) continue;
        const bool dir = it->is_directory(ec);
        if (dir) {
            a.insert(a.end(), {"--tmpfs", p.string(), "--remount-ro", p.string()});
            it.disable_recursion_pending();
        } else {
            a.insert(a.end(), {"--ro-bind", "/dev/null", p.string()});
        }
    }
    return {};
}

bool contains(const fs::path& outer, const fs::path& inner) {
    const auto rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
}

// The grants to bind, canonical, outermost first (a later mount covers an earlier one); a grant
// inside another with at least its access is left out, as are grants the policy itself refuses
// (the data folder, a denied glob) and grants that do not exist.
std::vector<PathGrant> bindableGrants(const Policy& policy) {
    std::vector<PathGrant> roots;
    for (const auto& g : policy.grants()) {
        std::error_code ec;
        const fs::path root = fs::canonical(g.root, ec);
        if (ec) {
            logger("agents")->warn("sandbox: grant {} does not exist, not bound", g.root.string());
            continue;
        }
        if (const auto decision = policy.checkPath(root, g.access); !decision.allowed) {
            logger("agents")->warn("sandbox: grant {} not bound: {}", g.root.string(), decision.reason);
            continue;
        }
        roots.push_back({root, g.access});
    }
    std::stable_sort(roots.begin(), roots.end(), [](const PathGrant& x, const PathGrant& y) {
        return x.root.string().size() < y.root.string().size();
    });
    std::vector<PathGrant> out;
    for (const auto& g : roots) {
        const bool covered = std::any_of(out.begin(), out.end(), [&](const PathGrant& o) {
            return contains(o.root, g.root) && (o.access == Access::Write || g.access == Access::Read);
        });
        if (!covered) out.push_back(g);
    }
    return out;
}

Result<void> grantMounts(const Policy& policy, std::vector<std::string>& a) {
    for (const auto& g : bindableGrants(policy)) {
        const bool write = g.access == Access::Write;
        a.insert(a.end(), {write ? "--bind" : "--ro-bind", g.root.string(), g.root.string()});
        if (auto m = maskDenied(g.root, g.access, policy, a); !m) return m;
    }
    return {};
}

}  // namespace

Result<fs::path> findBwrap() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        if (!dir.empty()) {
            const fs::path candidate = fs::path(dir) / "bwrap";
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        start = end + 1;
    }
    return unexpected(refused("bubblewrap (bwrap) is not on PATH"));
}

Result<void> available() {
    auto bwrap = findBwrap();
    if (!bwrap) return unexpected(bwrap.error());
    static std::mutex mutex;
    static std::map<fs::path, std::string> probed;  // guarded by mutex; "" means it works
    {
        std::lock_guard lock(mutex);
        if (auto it = probed.find(*bwrap); it != probed.end()) {
            if (it->second.empty()) return {};
            return unexpected(refused(it->second));
        }
    }
    // A trivial run through the real code path; the probe itself must not recurse into
    // available(), so it builds the command line directly.
    SandboxSpec spec;
    spec.argv = {"true"};
    spec.timeLimit = std::chrono::seconds(10);
    spec.maxOutputBytes = 2048;
    auto probe = detail::runUnchecked(spec, Policy({}), {});
    std::string why;
    if (!probe) why = probe.error().message;
    else if (probe->exitCode != 0)
        why = bwrap->string() + " cannot create a sandbox here: " +
              (probe->err.empty() ? "exit status " + std::to_string(probe->exitCode) : probe->err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    {
        std::lock_guard lock(mutex);
        probed[*bwrap] = why;
    }
    if (why.empty()) return {};
    logger("agents")->warn("sandbox unavailable: {}", why);
    return unexpected(refused(why));
}

namespace {

constexpr const char* kPrlimit = "/usr/bin/prlimit";  // util-linux, essential on Debian

// `prlimit --nproc=N --as=M --` before the command when the spec asks for limits.
Result<void> resourceLimits(const SandboxSpec& spec, std::vector<std::string>& a) {
    if (spec.maxProcesses == 0 && spec.maxAddressSpaceBytes == 0) return {};
    if (::access(kPrlimit, X_OK) != 0)
        return unexpected(ErrorCode::Denied,
                          std::string("subprocess tools are refused: ") + kPrlimit +
                              " (util-linux) is missing, so their process and memory limits cannot be set");
    if (spec.maxProcesses > 0 && ::geteuid() == 0) {
        static std::once_flag warned;
        std::call_once(warned, [] {
            logger("agents")->warn("sandbox: running as root, where Linux does not apply "
                                   "RLIMIT_NPROC; only the time limit bounds a process's children");
        });
    }
    a.push_back(kPrlimit);
    if (spec.maxProcesses > 0) a.push_back("--nproc=" + std::to_string(spec.maxProcesses));
#if !defined(__SANITIZE_ADDRESS__)
    if (spec.maxAddressSpaceBytes > 0) a.push_back("--as=" + std::to_string(spec.maxAddressSpaceBytes));
#else
    // An AddressSanitizer build's children (the test MCP server) reserve terabytes of shadow
    // memory at start-up, which any address-space limit refuses: sanitizer builds go without.
#endif
    a.push_back("--");
    return {};
}

}  // namespace

Result<std::vector<std::string>> commandLine(const SandboxSpec& spec, const Policy& policy) {
    if (spec.argv.empty() || spec.argv.front().empty())
        return unexpected(Error::usage("sandbox: no command to run"));
    auto bwrap = findBwrap();
    if (!bwrap) return unexpected(bwrap.error());
    std::vector<std::string> a = {bwrap->string(), "--unshare-all", spec.network ? "--share-net" : "--unshare-net",
                                  "--die-with-parent", "--new-session", "--cap-drop", "ALL"};
    systemMounts(a);
    if (spec.network) {
        // Name resolution and TLS roots; nothing else of /etc.
        for (const char* etc : {"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf",
                                "/etc/ssl", "/etc/ca-certificates", "/etc/pki"})
            a.insert(a.end(), {"--ro-bind-try", etc, etc});
    }
    const auto extras = [&a](const std::vector<fs::path>& paths, const char* bind) -> Result<void> {
        for (const auto& extra : paths) {
            std::error_code ec;
            const fs::path p = fs::canonical(extra, ec);
            if (ec) return unexpected(Error::notFound("sandbox: " + extra.string() + " does not exist"));
            a.insert(a.end(), {bind, p.string(), p.string()});
        }
        return {};
    };
    if (auto e = extras(spec.extraReadOnly, "--ro-bind"); !e) return unexpected(e.error());
    if (auto g = grantMounts(policy, a); !g) return unexpected(g.error());
    if (auto e = extras(spec.extraWritable, "--bind"); !e) return unexpected(e.error());
    a.insert(a.end(), {"--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                       "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"});
    for (const auto& [key, value] : spec.env) a.insert(a.end(), {"--setenv", key, value});
    a.insert(a.end(), {"--chdir", spec.workdir.empty() ? "/tmp" : spec.workdir.string(), "--"});
    if (auto limits = resourceLimits(spec, a); !limits) return unexpected(limits.error());
    a.insert(a.end(), spec.argv.begin(), spec.argv.end());
    return a;
}

}  // namespace atelier::agents::sandbox
