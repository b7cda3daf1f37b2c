#include "cli/tool_plugins.h"

#include "atelier/agents/mcp_config.h"
#include "atelier/agents/mcp_tool.h"

namespace atelier::cli {

Result<void> loadToolPlugins(agents::ToolRegistry& registry) {
    for (const auto& dir : agents::ToolRegistry::defaultPluginDirs()) {
        auto n = registry.loadPlugins(dir);
        if (!n) return unexpected(n.error());
        if (*n > 0) break;  // the first folder that has plugins wins (installed or build tree)
    }
    return {};
}

Result<void> addMcpServers(agents::ToolRegistry& registry, const std::string& mcpConfig,
                           const agents::Policy& policy) {
    if (mcpConfig.empty()) return {};
    auto servers = agents::readMcpConfig(mcpConfig);
    if (!servers) return unexpected(servers.error());
    auto added = agents::addMcpTools(registry, *servers, policy);
    if (!added) return unexpected(added.error());
    return {};
}

}  // namespace atelier::cli
