#pragma once
// McpServerConfig: one stdio MCP server from the standard configuration file that MCP clients
// share:
//   {"mcpServers": {"name": {"command": "...", "args": ["..."], "env": {"KEY": "value"}}}}
// Servers with "disabled": true are skipped; servers reached by URL (HTTP/SSE) are refused,
// since tools never get the network. Our own extension, ignored by other clients: a server may
// set its sandbox's limits,
//   "limits": {"processes": 64, "address_space_mb": 4096}
// (RLIMIT_NPROC and RLIMIT_AS, see SandboxSpec); a limit left out keeps SandboxSpec's default,
// and none can be switched off. Further extension fields (issue 20):
//   "network": true        the server may use the network (default: none, as every tool)
//   "state": true | "DIR"  a writable folder that persists across calls and runs: true gives
//                          <data dir>/mcp/<name>/, a string names the folder (relative: to the
//                          configuration's folder). HOME and ATELIER_MCP_STATE point at it, and
//                          "${ATELIER_MCP_STATE}" in args and env values is replaced by its path.
//   "timeouts": {"start_s": 15, "call_s": 60}   start-up (spawn + initialize, each tools/list
//                          page) and per-call limits in seconds, 0.001 to 86400.
//   "sampling": true | {"max_tokens": N}   the server may ask Atelier's model for a completion
//                          (sampling/createMessage) while one of its requests is in flight;
//                          its maxTokens is capped at N (default kMcpSamplingDefaultMaxTokens,
//                          1 to kMcpSamplingMaxTokensLimit). Default: refused.
// Thread-safe: pure functions.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::agents {

// The "limits" of a server's sandbox; unset: SandboxSpec's defaults.
struct McpServerLimits {
    std::optional<std::uint64_t> processes;          // SandboxSpec::maxProcesses
    std::optional<std::uint64_t> addressSpaceBytes;  // SandboxSpec::maxAddressSpaceBytes
};

// The most a configuration may ask for (larger numbers are typos or attempts to lift a limit).
inline constexpr std::uint64_t kMcpMaxProcessesLimit = 65536;
inline constexpr std::uint64_t kMcpMinAddressSpaceMb = 16;
inline constexpr std::uint64_t kMcpMaxAddressSpaceMb = std::uint64_t(1) << 24;  // 16 TiB
inline constexpr int kMcpSamplingDefaultMaxTokens = 1024;
inline constexpr int kMcpSamplingMaxTokensLimit = 1 << 20;

struct McpServerConfig {
    std::string name;     // [A-Za-z0-9_-], no "__": tools are registered as `<name>__<tool>`
    std::string command;  // an absolute path, or a program name found in the sandbox's /usr/bin
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // set inside the sandbox
    McpServerLimits limits;
    bool network = false;                   // "network": true
    bool state = false;                     // "state": true or a folder
    std::filesystem::path statePath;        // "state": "DIR" (absolute); empty: the default
    std::optional<std::chrono::milliseconds> startTimeout;  // "timeouts.start_s"
    std::optional<std::chrono::milliseconds> callTimeout;   // "timeouts.call_s"
    bool sampling = false;                  // "sampling": true or {"max_tokens": N}
    int samplingMaxTokens = kMcpSamplingDefaultMaxTokens;  // "sampling.max_tokens"
};

// Parses the JSON text of a configuration; `origin` names it in errors, and relative commands
// containing '/' are resolved against `baseDir`. Servers come out sorted by name.
Result<std::vector<McpServerConfig>> parseMcpConfig(const std::string& text, const std::string& origin,
                                                    const std::filesystem::path& baseDir = {});

// Reads and parses a configuration file (commands relative to its folder).
Result<std::vector<McpServerConfig>> readMcpConfig(const std::filesystem::path& file);

}  // namespace atelier::agents
