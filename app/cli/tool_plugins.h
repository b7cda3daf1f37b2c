#pragma once
// The tool plugins `tool` and `team run` offer. Main thread only.

#include <filesystem>
#include <string>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/mcp_client.h"
#include "atelier/agents/policy.h"
#include "atelier/agents/tool_registry.h"
#include "atelier/base/result.h"

namespace atelier::cli {

// Loads the plugins of the first default plugin folder that has any (installed or build tree).
Result<void> loadToolPlugins(agents::ToolRegistry& registry);

// Adds the tools of every server in the mcpServers JSON file `mcpConfig` (nothing when empty),
// each server started in the sandbox under `policy`, with its "state" folders under
// <dataDir>/mcp/. With `audit`, what each server is given beyond the policy (network, state
// folder, sampling) is recorded as a policy decision before it starts. A server whose
// configuration allows sampling has its sampling/createMessage requests answered by `sampler`
// (empty: "no local model is loaded"); with `audit`, each request, answered (kind prompt, with
// its token counts) or refused (policy_decision), is recorded in <dataDir>/audit.db from the
// thread that makes the tool call.
Result<void> addMcpServers(agents::ToolRegistry& registry, const std::string& mcpConfig,
                           const agents::Policy& policy, const std::filesystem::path& dataDir,
                           agents::AuditLog* audit = nullptr, agents::McpSampler sampler = {});

// A line on stderr for one MCP progress notification ("progress: SERVER__TOOL 2/5: message").
void printMcpProgress(const agents::McpProgress& progress);

}  // namespace atelier::cli
