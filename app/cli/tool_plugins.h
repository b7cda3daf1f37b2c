#pragma once
// The tool plugins `tool` and `team run` offer. Main thread only.

#include "atelier/agents/tool_registry.h"
#include "atelier/engine/result.h"

namespace atelier::cli {

// Loads the plugins of the first default plugin folder that has any (installed or build tree).
Result<void> loadToolPlugins(agents::ToolRegistry& registry);

}  // namespace atelier::cli
