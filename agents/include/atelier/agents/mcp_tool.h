#pragma once
// McpTool: one tool of an MCP server, registered as `<server>__<tool>` with the server's
// inputSchema (so the registry validates arguments before anything reaches the server) and the
// capabilities Mcp | Subprocess, plus ReadFiles / WriteFiles when the server's sandbox holds
// such grants (approval modes see them as any other tool). On every call it checks each path
// the server's sandbox can see against the calling agent's policy through the ToolContext (so
// the decisions are audited, and a server started with wider grants than the caller has is
// refused), then calls the server and turns its content into a bounded ToolResult.
// Thread-safety: as Tool; calls to one server are serialised by its McpClient.

#include <memory>
#include <string>
#include <vector>

#include "atelier/agents/mcp_client.h"
#include "atelier/agents/mcp_config.h"
#include "atelier/agents/tool.h"
#include "atelier/agents/tool_registry.h"

namespace atelier::agents {

// The separator between server and tool in a registered name.
inline constexpr const char* kMcpNameSeparator = "__";

class McpTool final : public Tool {
public:
    McpTool(std::shared_ptr<McpClient> client, McpToolInfo info);
    std::string name() const override { return m_name; }
    std::string description() const override { return m_info.description; }
    nlohmann::json parameters() const override { return m_info.inputSchema; }
    std::uint32_t capabilities() const override;
    Result<ToolResult> run(const nlohmann::json& args, const ToolContext& ctx) const override;

private:
    std::shared_ptr<McpClient> m_client;  // shared by the server's tools; the last one stops it
    McpToolInfo m_info;
    std::string m_name;
};

// Starts every server in the sandbox under `policy`, lists its tools and adds each to
// `registry`. Returns the number of tools added. A server that cannot start, or answers
// wrongly, is an error naming it; a tool whose name or schema is unusable is skipped with a
// warning.
Result<int> addMcpTools(ToolRegistry& registry, const std::vector<McpServerConfig>& servers,
                        const Policy& policy, const McpOptions& options = {});

}  // namespace atelier::agents
