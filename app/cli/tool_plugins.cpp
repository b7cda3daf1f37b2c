#include "cli/tool_plugins.h"

#include <iostream>
#include <sstream>

#include "atelier/agents/data_paths.h"
#include "atelier/agents/mcp_config.h"
#include "atelier/agents/mcp_tool.h"

namespace atelier::cli {

void printMcpProgress(const agents::McpProgress& p) {
    std::ostringstream line;
    line << "progress: " << p.server << agents::kMcpNameSeparator << p.tool << " " << p.progress;
    if (p.total) line << "/" << *p.total;
    if (!p.message.empty()) line << ": " << p.message;
    line << "\n";
    std::cerr << line.str() << std::flush;
}

Result<void> loadToolPlugins(agents::ToolRegistry& registry) {
    for (const auto& dir : agents::ToolRegistry::defaultPluginDirs()) {
        auto n = registry.loadPlugins(dir);
        if (!n) return unexpected(n.error());
        if (*n > 0) break;  // the first folder that has plugins wins (installed or build tree)
    }
    return {};
}

Result<void> addMcpServers(agents::ToolRegistry& registry, const std::string& mcpConfig,
                           const agents::Policy& policy, const std::filesystem::path& dataDir,
                           agents::AuditLog* audit, agents::McpSampler sampler) {
    if (mcpConfig.empty()) return {};
    auto servers = agents::readMcpConfig(mcpConfig);
    if (!servers) return unexpected(servers.error());
    if (audit) {
        for (const auto& s : *servers) {
            if (!s.network && !s.state && !s.sampling) continue;
            nlohmann::json decision = {{"mcp_server", s.name}, {"allowed", true}, {"network", s.network},
                                       {"reason", "granted by the MCP configuration " + mcpConfig}};
            if (s.sampling) decision["sampling_max_tokens"] = s.samplingMaxTokens;
            if (s.state) decision["state"] = s.statePath.empty() ? (dataDir / "mcp" / s.name).string() : s.statePath.string();
            if (auto r = audit->append(agents::AuditKind::PolicyDecision, "cli", std::move(decision)); !r)
                return unexpected(r.error());
        }
    }
    agents::McpOptions options;
    options.onProgress = printMcpProgress;
    if (!dataDir.empty()) options.stateRoot = dataDir / "mcp";
    options.sampler = std::move(sampler);
    if (audit && !dataDir.empty()) {
        // Tool calls (and so sampling requests) may come from an agent's thread: an AuditLog is
        // one connection per thread, so each record opens the log.
        options.onSampling = [auditDb = agents::DataPaths{dataDir}.auditDb()](const nlohmann::json& record) {
            auto log = agents::AuditLog::open(auditDb);
            const bool answered = !record.contains("error");
            Result<agents::AuditRecord> r = log ? log->append(answered ? agents::AuditKind::Prompt
                                                                       : agents::AuditKind::PolicyDecision,
                                                              "cli", record)
                                                : unexpected(log.error());
            if (!r) std::cerr << "atelier-cli: warning: the audit log did not record an MCP sampling request: "
                              << r.error().message << "\n";
        };
    }
    auto added = agents::addMcpTools(registry, *servers, policy, options);
    if (!added) return unexpected(added.error());
    return {};
}

}  // namespace atelier::cli
