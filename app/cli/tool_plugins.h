#pragma once
// The tool plugins `tool` and `team run` offer. Main thread only.

#include <string>

#include "atelier/agents/policy.h"
#include "atelier/agents/tool_registry.h"
#include "atelier/base/result.h"

namespace atelier::cli {

// Loads the plugins of the first default plugin folder that has any (installed or build tree).
Result<void> loadToolPlugins(agents::ToolRegistry& registry);

// Adds the tools of every server in the mcpServers JSON file `mcpConfig` (nothing when empty),
// each server started in the sandbox under `policy`.
Result<void> addMcpServers(agents::ToolRegistry& registry, const std::string& mcpConfig,
                           const agents::Policy& policy);

}  // namespace atelier::cli
