#pragma once
// McpServerConfig: one stdio MCP server from the standard configuration file that MCP clients
// share:
//   {"mcpServers": {"name": {"command": "...", "args": ["..."], "env": {"KEY": "value"}}}}
// Servers with "disabled": true are skipped; servers reached by URL (HTTP/SSE) are refused,
// since tools never get the network. Our own extension, ignored by other clients: a server may
// set its sandbox's limits,
//   "limits": {"processes": 64, "address_space_mb": 4096}
// (RLIMIT_NPROC and RLIMIT_AS, see SandboxSpec); a limit left out keeps SandboxSpec's default,
// and none can be switched off. Thread-safe: pure functions.

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

struct McpServerConfig {
    std::string name;     // [A-Za-z0-9_-], no "__": tools are registered as `<name>__<tool>`
    std::string command;  // an absolute path, or a program name found in the sandbox's /usr/bin
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // set inside the sandbox
    McpServerLimits limits;
};

// Parses the JSON text of a configuration; `origin` names it in errors, and relative commands
// containing '/' are resolved against `baseDir`. Servers come out sorted by name.
Result<std::vector<McpServerConfig>> parseMcpConfig(const std::string& text, const std::string& origin,
                                                    const std::filesystem::path& baseDir = {});

// Reads and parses a configuration file (commands relative to its folder).
Result<std::vector<McpServerConfig>> readMcpConfig(const std::filesystem::path& file);

}  // namespace atelier::agents
