#pragma once
// McpServerConfig: one stdio MCP server from the standard configuration file that MCP clients
// share:
//   {"mcpServers": {"name": {"command": "...", "args": ["..."], "env": {"KEY": "value"}}}}
// Servers with "disabled": true are skipped; servers reached by URL (HTTP/SSE) are refused,
// since tools never get the network. Thread-safe: pure functions.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "atelier/engine/result.h"

namespace atelier::agents {

struct McpServerConfig {
    std::string name;     // [A-Za-z0-9_-], no "__": tools are registered as `<name>__<tool>`
    std::string command;  // an absolute path, or a program name found in the sandbox's /usr/bin
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // set inside the sandbox
};

// Parses the JSON text of a configuration; `origin` names it in errors, and relative commands
// containing '/' are resolved against `baseDir`. Servers come out sorted by name.
Result<std::vector<McpServerConfig>> parseMcpConfig(const std::string& text, const std::string& origin,
                                                    const std::filesystem::path& baseDir = {});

// Reads and parses a configuration file (commands relative to its folder).
Result<std::vector<McpServerConfig>> readMcpConfig(const std::filesystem::path& file);

}  // namespace atelier::agents
