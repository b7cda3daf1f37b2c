#pragma once
// Team: a tree of agent specs (ARCHITECTURE.md "Team"), read from a Markdown file with YAML
// frontmatter. The frontmatter's `agent:` is the root (the manager); each agent may list
// `workers:`. A child never exceeds its parent: its path grants lie within the parent's, its
// budgets are no larger, and its approval mode is no more permissive.
// An agent may name where its turns run (`backend:`): the run's default, the local model, or an
// OpenAI-compatible server. A team file never grants network access: a server's host must be
// in the allowlist the user gave (checkTeam), and no key is ever written in the file.
// Thread-safety: value types; parse and check from any thread.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "atelier/agents/host_allowlist.h"
#include "atelier/agents/policy.h"
#include "atelier/base/result.h"

namespace atelier::agents {

// How tool calls are approved. Ordered from most to least permissive; persisted: never reuse.
enum class ApprovalMode : std::uint8_t { Auto = 0, AskForWrites = 1, AskForAll = 2 };

struct Budgets {
    std::int64_t tokens = 0;       // generated + prompt tokens the agent may spend
    int steps = 0;                 // model turns
    int wallSeconds = 0;
    int delegationDepth = 0;       // how many levels below this agent may exist
};

// Where an agent's turns run: the team file's `backend:` key.
enum class BackendKind {
    Default,  // no key: the run's own backend (`--model`, or `--remote`)
    Local,    // `backend: local`: the local model
    Remote,   // `backend: {url: ..., model: ..., api_key_env: ...}`
};

struct BackendSpec {
    BackendKind kind = BackendKind::Default;
    std::string url;        // Remote: http(s)://host[:port][/base]
    std::string model;      // Remote: the model name to ask for; empty: the server's default
    std::string apiKeyEnv;  // Remote: the environment variable holding its key (ATELIER_*); empty: none
};

struct AgentSpec {
    std::string name;
    std::string role;                       // the role prompt
    std::vector<std::string> tools;         // tool names; "delegate" lets it hand work down
    std::vector<PathGrant> grants;          // resolved against the workspace
    Budgets budgets;
    ApprovalMode approval = ApprovalMode::AskForWrites;
    BackendSpec backend;
    std::vector<AgentSpec> workers;
};

struct Team {
    std::string name;
    std::string description;
    AgentSpec root;
    std::filesystem::path source;           // the file it came from

    // Every agent, depth-first from the root.
    std::vector<const AgentSpec*> agents() const;
};

// Parses a team file. `${workspace}` in grant paths becomes `workspace`; relative grant paths
// are taken relative to it. Errors name the file, the agent and the field.
Result<Team> parseTeam(const std::string& text, const std::filesystem::path& source,
                       const std::filesystem::path& workspace);
Result<Team> loadTeam(const std::filesystem::path& file, const std::filesystem::path& workspace);

// Checks the tree: unique agent names, every child within its parent (grants, budgets,
// approval), delegation depth consistent with the tree, `knownTools` (when not empty) covers
// every tool named, and every remote backend's host is in `allowedHosts` (the user's allowlist:
// `--allow-host`, or the window's remote settings; empty by default, so a team that names a
// server is refused until the user allows its host). The error names the offending agent and
// what it asks for (for a backend, the host); callers prefix the file. Backend errors are
// Denied.
Result<void> checkTeam(const Team& team, const std::vector<std::string>& knownTools,
                       const HostAllowlist& allowedHosts = {});

// Whether `arg` names a team file by path (it contains a '/' or ends in ".md") rather than a
// template by name. Only a path is read relative to the current folder.
bool isTeamFilePath(const std::string& arg);

// A team file path, or the name of a template (`document-analyst`, `review-team`,
// `repo-historian`) looked up in teamTemplateDirs() in order, never in the current folder: a
// file there named like a template does not override it.
Result<std::filesystem::path> findTeamFile(const std::string& nameOrPath,
                                           const std::filesystem::path& dataDir = {});
// The template search path: the built-in templates ($ATELIER_TEAMS_DIR when set, then
// share/atelier/teams beside the executable), then `dataDir`/teams (the user's own).
std::vector<std::filesystem::path> teamTemplateDirs(const std::filesystem::path& dataDir = {});

std::string approvalModeName(ApprovalMode mode);
// "default", "local", or the server's URL.
std::string backendDescription(const BackendSpec& backend);

}  // namespace atelier::agents
