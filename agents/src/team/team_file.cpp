// Reading team files: Markdown with YAML frontmatter (yaml-cpp). The YAML library throws;
// everything is caught here and turned into errors naming the file, agent and field.

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "atelier/agents/remote_chat_backend.h"
#include "atelier/agents/team.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

struct ParseError {
    std::string message;
};

std::string expandWorkspace(std::string path, const fs::path& workspace) {
    const std::string key = "${workspace}";
    for (std::size_t at; (at = path.find(key)) != std::string::npos;)
        path.replace(at, key.size(), workspace.string());
    return path;
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& where) {
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        throw ParseError{where + " has the wrong type"};
    }
}

void rejectUnknownKeys(const YAML::Node& node, const std::set<std::string>& known,
                       const std::string& where) {
    for (const auto& kv : node) {
        const auto key = kv.first.as<std::string>();
        if (!known.count(key)) throw ParseError{where + ": unknown field '" + key + "'"};
    }
}

ApprovalMode parseApproval(const std::string& text, const std::string& where) {
    if (text == "auto") return ApprovalMode::Auto;
    if (text == "ask_writes" || text == "ask-writes") return ApprovalMode::AskForWrites;
    if (text == "ask_all" || text == "ask-all") return ApprovalMode::AskForAll;
    throw ParseError{where + ": approval must be auto, ask_writes or ask_all, not '" + text + "'"};
}

// An environment variable a team file may name for a key: ATELIER_ and upper-case letters,
// digits and '_', so a shared team file cannot send an unrelated secret (AWS_SECRET_ACCESS_KEY,
// GITHUB_TOKEN) to a server.
bool isKeyVariableName(const std::string& name) {
    const std::string prefix = "ATELIER_";
    if (name.size() <= prefix.size() || name.rfind(prefix, 0) != 0) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// `backend: local` or `backend: {url, model, api_key_env}`. The file says where turns go, never
// with which key, and the host is checked against the user's allowlist later (checkTeam).
BackendSpec parseBackend(const YAML::Node& node, const std::string& at) {
    const std::string where = at + ".backend";
    const std::string shape = " must be 'local' or a mapping {url, model, api_key_env}";
    BackendSpec b;
    if (node.IsScalar()) {
        const auto text = scalar<std::string>(node, where);
        if (text != "local") throw ParseError{where + shape + ", not '" + text + "'"};
        b.kind = BackendKind::Local;
        return b;
    }
    if (!node.IsMap()) throw ParseError{where + shape};
    if (node["api_key"])
        throw ParseError{where + ".api_key: a team file never holds a key; it comes from the command "
                                 "line (--api-key, for --remote) or the window's settings, or name an "
                                 "environment variable with api_key_env: ATELIER_..."};
    rejectUnknownKeys(node, {"url", "model", "api_key_env"}, where);
    if (!node["url"]) throw ParseError{where + ": 'url' is required (or write backend: local)"};
    b.kind = BackendKind::Remote;
    b.url = scalar<std::string>(node["url"], where + ".url");
    if (auto url = parseHttpUrl(b.url); !url) throw ParseError{where + ".url: " + url.error().message};
    if (node["model"]) b.model = scalar<std::string>(node["model"], where + ".model");
    if (node["api_key_env"]) {
        b.apiKeyEnv = scalar<std::string>(node["api_key_env"], where + ".api_key_env");
        if (!isKeyVariableName(b.apiKeyEnv))
            throw ParseError{where + ".api_key_env: '" + b.apiKeyEnv +
                             "' is not ATELIER_ followed by upper-case letters, digits or '_'"};
    }
    return b;
}

AgentSpec parseAgent(const YAML::Node& node, const std::string& where, const fs::path& workspace) {
    if (!node.IsMap()) throw ParseError{where + " must be a mapping"};
    rejectUnknownKeys(node, {"name", "role", "tools", "grants", "budgets", "approval", "backend", "workers"}, where);
    AgentSpec a;
    if (!node["name"]) throw ParseError{where + ": 'name' is required"};
    a.name = scalar<std::string>(node["name"], where + ".name");
    const std::string at = "agent '" + a.name + "'";
    if (node["role"]) a.role = scalar<std::string>(node["role"], at + ".role");
    if (node["tools"]) {
        if (!node["tools"].IsSequence()) throw ParseError{at + ".tools must be a list"};
        for (const auto& t : node["tools"]) a.tools.push_back(scalar<std::string>(t, at + ".tools"));
    }
    if (node["grants"]) {
        if (!node["grants"].IsSequence()) throw ParseError{at + ".grants must be a list"};
        for (const auto& g : node["grants"]) {
            if (!g.IsMap() || !g["path"]) throw ParseError{at + ".grants: each grant needs a 'path'"};
            rejectUnknownKeys(g, {"path", "access"}, at + ".grants");
            fs::path p = expandWorkspace(scalar<std::string>(g["path"], at + ".grants.path"), workspace);
            if (p.is_relative()) p = workspace / p;
            const std::string access = g["access"] ? scalar<std::string>(g["access"], at + ".grants.access") : "read";
            if (access != "read" && access != "read-write" && access != "write")
                throw ParseError{at + ".grants.access must be read or read-write, not '" + access + "'"};
            a.grants.push_back({p.lexically_normal(), access == "read" ? Access::Read : Access::Write});
        }
    }
    if (node["budgets"]) {
        const auto b = node["budgets"];
        if (!b.IsMap()) throw ParseError{at + ".budgets must be a mapping"};
        rejectUnknownKeys(b, {"tokens", "steps", "wall_seconds", "depth"}, at + ".budgets");
        if (b["tokens"]) a.budgets.tokens = scalar<std::int64_t>(b["tokens"], at + ".budgets.tokens");
        if (b["steps"]) a.budgets.steps = scalar<int>(b["steps"], at + ".budgets.steps");
        if (b["wall_seconds"]) a.budgets.wallSeconds = scalar<int>(b["wall_seconds"], at + ".budgets.wall_seconds");
        if (b["depth"]) a.budgets.delegationDepth = scalar<int>(b["depth"], at + ".budgets.depth");
    }
    if (node["approval"]) a.approval = parseApproval(scalar<std::string>(node["approval"], at + ".approval"), at);
    if (node["backend"]) a.backend = parseBackend(node["backend"], at);
    if (node["workers"]) {
        if (!node["workers"].IsSequence()) throw ParseError{at + ".workers must be a list"};
        int i = 0;
        for (const auto& w : node["workers"])
            a.workers.push_back(parseAgent(w, at + ".workers[" + std::to_string(i++) + "]", workspace));
    }
    return a;
}

}  // namespace

Result<Team> parseTeam(const std::string& text, const fs::path& source, const fs::path& workspace) {
    const std::string file = source.empty() ? std::string("team file") : source.string();
    // Frontmatter: the file starts with a '---' line and the YAML ends at the next '---' line.
    if (text.rfind("---", 0) != 0)
        return unexpected(Error::badInput(file + ": a team file starts with YAML frontmatter ('---')"));
    const std::size_t yamlStart = text.find('\n');
    const std::size_t yamlEnd = text.find("\n---", yamlStart == std::string::npos ? 0 : yamlStart);
    if (yamlStart == std::string::npos || yamlEnd == std::string::npos)
        return unexpected(Error::badInput(file + ": the frontmatter is not closed by a '---' line"));
    const std::string yaml = text.substr(yamlStart + 1, yamlEnd - yamlStart);
    std::size_t bodyStart = text.find('\n', yamlEnd + 1);
    std::string body = bodyStart == std::string::npos ? "" : text.substr(bodyStart + 1);
    while (!body.empty() && (body.front() == '\n' || body.front() == ' ')) body.erase(0, 1);
    try {
        const YAML::Node root = YAML::Load(yaml);
        if (!root.IsMap()) return unexpected(Error::badInput(file + ": the frontmatter must be a mapping"));
        rejectUnknownKeys(root, {"name", "description", "agent"}, file);
        Team team;
        team.source = source;
        if (!root["name"]) return unexpected(Error::badInput(file + ": 'name' is required"));
        team.name = scalar<std::string>(root["name"], file + ": name");
        if (root["description"]) team.description = scalar<std::string>(root["description"], file + ": description");
        if (!root["agent"]) return unexpected(Error::badInput(file + ": 'agent' (the root agent) is required"));
        team.root = parseAgent(root["agent"], file + ": agent", workspace);
        if (team.root.role.empty()) team.root.role = body;  // the Markdown body is the root's role
        return team;
    } catch (const ParseError& e) {
        // Errors inside an agent name the agent; the file is put in front of them here.
        return unexpected(Error::badInput(e.message.rfind(file, 0) == 0 ? e.message : file + ": " + e.message));
    } catch (const YAML::Exception& e) {
        return unexpected(Error::badInput(file + ": YAML error at line " + std::to_string(e.mark.line + 2) +
                                          ": " + e.msg));
    }
}

Result<Team> loadTeam(const fs::path& path, const fs::path& workspace) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return unexpected(Error::notFound("cannot open team file '" + path.string() + "'"));
    std::stringstream ss;
    ss << in.rdbuf();
    return parseTeam(ss.str(), path, workspace);
}

}  // namespace atelier::agents
