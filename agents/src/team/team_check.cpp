// Checking a team tree: a child never exceeds its parent.

#include <algorithm>
#include <cstdlib>
#include <set>

#include "atelier/agents/remote_chat_backend.h"
#include "atelier/agents/team.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

void collect(const AgentSpec& a, std::vector<const AgentSpec*>& out) {
    out.push_back(&a);
    for (const auto& w : a.workers) collect(w, out);
}

int treeHeight(const AgentSpec& a) {
    int h = 0;
    for (const auto& w : a.workers) h = std::max(h, 1 + treeHeight(w));
    return h;
}

Result<void> checkAgent(const AgentSpec& a, const std::vector<std::string>& knownTools) {
    const std::string at = "agent '" + a.name + "'";
    if (a.name.empty()) return unexpected(Error::badInput("an agent has an empty name"));
    if (a.budgets.tokens < 0 || a.budgets.steps < 0 || a.budgets.wallSeconds < 0 ||
        a.budgets.delegationDepth < 0)
        return unexpected(Error::badInput(at + ": budgets must not be negative"));
    if (!knownTools.empty()) {
        for (const auto& t : a.tools)
            if (t != "delegate" && std::find(knownTools.begin(), knownTools.end(), t) == knownTools.end())
                return unexpected(Error::badInput(at + ": unknown tool '" + t + "'"));
    }
    const bool delegates = std::find(a.tools.begin(), a.tools.end(), "delegate") != a.tools.end();
    if (!a.workers.empty() && !delegates)
        return unexpected(Error::badInput(at + " has workers but not the 'delegate' tool"));
    if (treeHeight(a) > a.budgets.delegationDepth)
        return unexpected(Error::badInput(at + ": its workers go " + std::to_string(treeHeight(a)) +
                                          " levels deep, over its delegation depth of " +
                                          std::to_string(a.budgets.delegationDepth)));
    const Policy parentPolicy(a.grants);
    for (const auto& w : a.workers) {
        const std::string wat = "agent '" + w.name + "' (a worker of '" + a.name + "')";
        std::string why;
        if (!Policy(w.grants).isWithin(parentPolicy, &why))
            return unexpected(ErrorCode::Denied, wat + " asks for more than its parent: " + why);
        auto over = [&](std::int64_t child, std::int64_t parent, const char* what) -> Result<void> {
            if (parent > 0 && (child == 0 || child > parent))
                return unexpected(ErrorCode::Denied,
                                  wat + ": " + what + " budget " + (child == 0 ? "unlimited" : std::to_string(child)) +
                                      " exceeds its parent's " + std::to_string(parent));
            return {};
        };
        ATELIER_TRY_VOID(over(w.budgets.tokens, a.budgets.tokens, "token"));
        ATELIER_TRY_VOID(over(w.budgets.steps, a.budgets.steps, "step"));
        ATELIER_TRY_VOID(over(w.budgets.wallSeconds, a.budgets.wallSeconds, "wall-time"));
        if (w.budgets.delegationDepth >= a.budgets.delegationDepth)
            return unexpected(ErrorCode::Denied, wat + ": delegation depth " +
                                                           std::to_string(w.budgets.delegationDepth) +
                                                           " must be below its parent's " +
                                                           std::to_string(a.budgets.delegationDepth));
        if (int(w.approval) < int(a.approval))
            return unexpected(ErrorCode::Denied, wat + ": approval '" + approvalModeName(w.approval) +
                                                           "' is more permissive than its parent's '" +
                                                           approvalModeName(a.approval) + "'");
        ATELIER_TRY_VOID(checkAgent(w, knownTools));
    }
    return {};
}

// A server named in a team file is contacted only when the user allowed its host: the file
// itself never grants network access.
Result<void> checkBackend(const AgentSpec& a, const HostAllowlist& allowedHosts) {
    if (a.backend.kind != BackendKind::Remote) return {};
    const std::string at = "agent '" + a.name + "'";
    auto url = parseHttpUrl(a.backend.url);
    if (!url) return unexpected(Error::badInput(at + ": backend url: " + url.error().message));
    if (allowedHosts.allows(url->host)) return {};
    return unexpected(ErrorCode::Denied,
                      at + " runs on " + a.backend.url + ", but host '" + url->host +
                          "' is not allowed (a team file never grants network access; allow the host "
                          "with --allow-host " + url->host + " or in the remote settings)");
}

}  // namespace

std::string backendDescription(const BackendSpec& backend) {
    switch (backend.kind) {
    case BackendKind::Default: return "default";
    case BackendKind::Local: return "local";
    case BackendKind::Remote: return backend.url;
    }
    return "?";
}

std::vector<const AgentSpec*> Team::agents() const {
    std::vector<const AgentSpec*> out;
    collect(root, out);
    return out;
}

std::string approvalModeName(ApprovalMode mode) {
    switch (mode) {
    case ApprovalMode::Auto: return "auto";
    case ApprovalMode::AskForWrites: return "ask_writes";
    case ApprovalMode::AskForAll: return "ask_all";
    }
    return "?";
}

Result<void> checkTeam(const Team& team, const std::vector<std::string>& knownTools,
                       const HostAllowlist& allowedHosts) {
    std::set<std::string> names;
    for (const auto* a : team.agents())
        if (!names.insert(a->name).second)
            return unexpected(Error::badInput("two agents are named '" + a->name + "'"));
    ATELIER_TRY_VOID(checkAgent(team.root, knownTools));
    for (const auto* a : team.agents()) ATELIER_TRY_VOID(checkBackend(*a, allowedHosts));
    return {};
}

std::vector<fs::path> teamTemplateDirs(const fs::path& dataDir) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    if (const char* env = std::getenv("ATELIER_TEAMS_DIR"); env && *env) dirs.emplace_back(env);
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back((exe.parent_path() / "../share/atelier/teams").lexically_normal());  // installed and build tree
    if (!dataDir.empty()) dirs.push_back(dataDir / "teams");
    // Each folder is absolute: a relative one would be read from the current folder.
    for (auto& d : dirs) d = fs::absolute(d, ec);
    return dirs;
}

bool isTeamFilePath(const std::string& arg) {
    return arg.find('/') != std::string::npos || fs::path(arg).extension() == ".md";
}

Result<fs::path> findTeamFile(const std::string& nameOrPath, const fs::path& dataDir) {
    std::error_code ec;
    if (isTeamFilePath(nameOrPath)) {
        if (fs::is_regular_file(nameOrPath, ec)) return fs::path(nameOrPath);
        return unexpected(Error::notFound("no team file '" + nameOrPath + "'"));
    }
    const auto dirs = teamTemplateDirs(dataDir);
    std::string searched;
    if (!nameOrPath.empty() && nameOrPath != "." && nameOrPath != "..") {
        for (const auto& dir : dirs) {
            const fs::path candidate = dir / (nameOrPath + ".md");
            if (fs::is_regular_file(candidate, ec)) return fs::canonical(candidate, ec);
        }
    }
    for (const auto& dir : dirs) searched += (searched.empty() ? "" : ", ") + dir.string();
    return unexpected(Error::notFound("no team template named '" + nameOrPath + "' (looked in " + searched +
                                      "; built-in: document-analyst, review-team, repo-historian; name a "
                                      "file in the current folder as ./NAME.md)"));
}

}  // namespace atelier::agents
