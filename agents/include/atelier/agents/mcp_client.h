#pragma once
// McpClient: one stdio MCP server (JSON-RPC 2.0, one message per line) running in the sandbox.
// start() spawns it under the policy's grants and performs `initialize` and
// `notifications/initialized`; listTools() follows `nextCursor` pages; callTool() runs
// `tools/call`. Every wait has a deadline. A server that exits, closes its output or writes
// something that is not a JSON-RPC message is killed and every later call fails with that
// reason (and the tail of its stderr); a call that times out is cancelled
// (`notifications/cancelled`) and its late answer ignored. A message nested deeper than
// maxMessageDepth is malformed (it is refused before a tree is built: copies and dumps of deep
// trees recurse), and errors are one line (the server's stderr tail is joined with " | ").
// While a request waits, the server's own requests are answered: ping, and sampling/createMessage
// (mcp_sampling.h) through McpOptions::sampler for a server whose configuration allows sampling
// (the capability is declared to that server only), an error naming the setting otherwise.
// Threads: every method may be called from any thread; requests are serialised (m_mutex), one
// in flight at a time.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/mcp_config.h"
#include "atelier/agents/mcp_sampling.h"
#include "atelier/agents/policy.h"
#include "atelier/agents/sandbox.h"
#include "atelier/base/result.h"

namespace atelier::agents {

// One `notifications/progress` of a running tools/call.
struct McpProgress {
    std::string server, tool;
    double progress = 0;
    std::optional<double> total;
    std::string message;
};

struct McpOptions {
    std::chrono::milliseconds startTimeout{15000};  // spawn + initialize, and each tools/list page
    std::chrono::milliseconds callTimeout{60000};   // one tools/call
    std::size_t maxMessageBytes = 4u << 20;         // one JSON-RPC line
    int maxMessageDepth = 64;                       // nesting of one JSON-RPC message
    int maxToolPages = 32;
    int maxTools = 256;                             // per server
    // Where the servers' "state": true folders go (<data dir>/mcp): <stateRoot>/<name>/.
    // Empty: such a server is refused (there is no data folder to keep state in).
    std::filesystem::path stateRoot;
    // Called (on the calling thread, while the call waits) for each progress notification of a
    // tools/call; every call sends a progressToken. Empty: progress is only logged.
    std::function<void(const McpProgress&)> onProgress;
    // Answers the sampling/createMessage requests of the servers whose configuration allows
    // sampling (mcp_sampling.h), on the calling thread while their request waits. Empty: such a
    // request gets an error saying that no model is loaded.
    McpSampler sampler;
    // Called for every sampling/createMessage, answered or refused, with what the audit log
    // records: {"mcp_server", "sampling": true, "allowed", "max_tokens", "prompt_tokens",
    // "completion_tokens", "stop_reason"} or {..., "error"}.
    std::function<void(const nlohmann::json&)> onSampling;
};

// What a server's command needs in the sandbox beyond the system folders (issue 20). The
// command is looked up on `searchPath` (the host's PATH) when it is a bare name, and every
// symlink resolved. Read-only install trees: for a file under .../node_modules/..., the folder
// that holds the outermost node_modules (its package and every dependency); for any other file
// outside the system folders, its own folder, plus <prefix>/lib beside a <prefix>/bin (an
// interpreter's modules). The same for the interpreter of a `#!` script (`#!/usr/bin/env node`
// is looked up on `searchPath`, and its folder put first on the sandbox's PATH) and for every
// argument that names an existing file by absolute path (`node /srv/server.js`). argv[0] is the
// command with its folder resolved (so a node_modules/.bin link stays a link inside its bound
// tree), or the resolved target where the link's folder is not visible. A tree that is /, /tmp,
// a home folder or an ancestor of one, or holds Atelier's data folder, is refused: the server
// belongs in its own folder.
struct McpLaunch {
    std::vector<std::string> argv;
    std::vector<std::filesystem::path> readOnly;  // canonical, no duplicates, none inside another
    std::vector<std::filesystem::path> pathDirs;  // put before the sandbox's PATH
};
Result<McpLaunch> resolveMcpLaunch(const McpServerConfig& config, const std::string& searchPath,
                                   const std::filesystem::path& dataDir = {});

// How `config`'s server is sandboxed under `policy`: its resolved command line (above) and
// environment, its install trees read-only, its state folder (created) read-write, network only
// when asked for, the first granted folder as working directory, and its limits. Refuses a
// launcher that downloads its package at start (npx, uvx, ...) when the server has no network.
Result<SandboxSpec> mcpSandboxSpec(const McpServerConfig& config, const Policy& policy,
                                   const McpOptions& options = {});

struct McpToolInfo {
    std::string name;
    std::string description;
    nlohmann::json inputSchema;  // a JSON schema object
};

class McpClient {
public:
    static Result<std::shared_ptr<McpClient>> start(const McpServerConfig& config, const Policy& policy,
                                                    const McpOptions& options = {});
    ~McpClient();
    McpClient(const McpClient&) = delete;
    McpClient& operator=(const McpClient&) = delete;

    const std::string& serverName() const { return m_name; }
    const std::vector<PathGrant>& grants() const { return m_grants; }  // what the server can see
    nlohmann::json serverInfo() const;  // from the initialize result
    bool network() const { return m_network; }  // started with the network ("network": true)
    bool sampling() const { return m_sampling; }  // may ask for completions ("sampling")
    // Its install trees (read-only) and its state folder (writable; empty: none).
    const std::vector<std::filesystem::path>& readOnlyTrees() const { return m_readOnly; }
    const std::filesystem::path& statePath() const { return m_statePath; }

    Result<std::vector<McpToolInfo>> listTools();
    // The `tools/call` result object ({"content": [...], "isError": ...}). The call ends at
    // callTimeout or at `deadline` (the tool call's, ToolContext::deadline), whichever is first.
    Result<nlohmann::json> callTool(const std::string& tool, const nlohmann::json& arguments,
                                    SandboxProcess::Clock::time_point deadline = SandboxProcess::Clock::time_point::max());

private:
    McpClient(std::string name, std::vector<PathGrant> grants, McpOptions options)
        : m_name(std::move(name)), m_grants(std::move(grants)), m_options(options) {}
    Result<void> initialize();
    // Callers hold m_mutex.
    Result<nlohmann::json> request(const std::string& method, nlohmann::json params,
                                   std::chrono::milliseconds timeout);
    Result<void> send(const nlohmann::json& message, SandboxProcess::Clock::time_point deadline);
    Result<nlohmann::json> awaitResponse(std::int64_t id, const std::string& method,
                                         SandboxProcess::Clock::time_point deadline);
    Error broken(const std::string& what);  // kills the server and remembers why
    void progress(const nlohmann::json& params);  // a notifications/progress for the call in flight
    // The reply to a sampling/createMessage request `msg` (result or error).
    nlohmann::json sample(const nlohmann::json& msg);

    const std::string m_name;
    const std::vector<PathGrant> m_grants;
    const McpOptions m_options;
    mutable std::mutex m_mutex;
    std::unique_ptr<SandboxProcess> m_process;  // guarded by m_mutex
    std::int64_t m_nextId = 1;                  // guarded by m_mutex
    std::string m_failure;                      // guarded by m_mutex; set once broken
    nlohmann::json m_serverInfo;                // guarded by m_mutex
    std::int64_t m_progressToken = 0;           // guarded by m_mutex; the call in flight, 0: none
    std::string m_progressTool;                 // guarded by m_mutex
    bool m_network = false;                     // set before the client is shared
    bool m_sampling = false;                    // set before the client is shared
    int m_samplingMaxTokens = 0;
    std::vector<std::filesystem::path> m_readOnly;
    std::filesystem::path m_statePath;
};

}  // namespace atelier::agents
