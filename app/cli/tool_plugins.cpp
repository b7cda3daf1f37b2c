#include "cli/tool_plugins.h"

namespace atelier::cli {

Result<void> loadToolPlugins(agents::ToolRegistry& registry) {
    for (const auto& dir : agents::ToolRegistry::defaultPluginDirs()) {
        auto n = registry.loadPlugins(dir);
        if (!n) return unexpected(n.error());
        if (*n > 0) break;  // the first folder that has plugins wins (installed or build tree)
    }
    return {};
}

}  // namespace atelier::cli
