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
// Threads: every method may be called from any thread; requests are serialised (m_mutex), one
// in flight at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/agents/mcp_config.h"
#include "atelier/agents/policy.h"
#include "atelier/agents/sandbox.h"
#include "atelier/base/result.h"

namespace atelier::agents {

struct McpOptions {
    std::chrono::milliseconds startTimeout{15000};  // spawn + initialize, and each tools/list page
    std::chrono::milliseconds callTimeout{60000};   // one tools/call
    std::size_t maxMessageBytes = 4u << 20;         // one JSON-RPC line
    int maxMessageDepth = 64;                       // nesting of one JSON-RPC message
    int maxToolPages = 32;
    int maxTools = 256;                             // per server
};

// How `config`'s server is sandboxed under `policy`: its command line and environment, its
// program visible read-only, the first granted folder as working directory, and its limits.
SandboxSpec mcpSandboxSpec(const McpServerConfig& config, const Policy& policy);

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

    const std::string m_name;
    const std::vector<PathGrant> m_grants;
    const McpOptions m_options;
    mutable std::mutex m_mutex;
    std::unique_ptr<SandboxProcess> m_process;  // guarded by m_mutex
    std::int64_t m_nextId = 1;                  // guarded by m_mutex
    std::string m_failure;                      // guarded by m_mutex; set once broken
    nlohmann::json m_serverInfo;                // guarded by m_mutex
};

}  // namespace atelier::agents
