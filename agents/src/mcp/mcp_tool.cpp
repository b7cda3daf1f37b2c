// MCP tools in the registry (see mcp_tool.h).

#include "atelier/agents/mcp_tool.h"

#include <algorithm>
#include <cctype>

#include "atelier/agents/tool_progress.h"
#include "atelier/agents/tool_schema.h"
#include "atelier/base/log.h"
#include "atelier/base/utf8.h"

namespace atelier::agents {
using nlohmann::json;

namespace {

constexpr std::size_t kMaxDescriptionBytes = 2048;

bool usableToolName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

// Why `schema` cannot serve as a tool's argument schema, or empty. The bounds come first (depth,
// size, $ref cycles, patterns), so a hostile schema never reaches the validator's parser.
std::string schemaProblem(const json& schema) {
    if (!schema.is_object()) return "inputSchema is not an object";
    if (schema.contains("type") && schema["type"] != "object") return "inputSchema's type is not \"object\"";
    if (auto ok = checkToolSchema(schema); !ok) return "inputSchema: " + ok.error().message;
    auto probe = ToolRegistry::validateArguments(schema, json::object());
    if (!probe && probe.error().code == ErrorCode::Internal) return probe.error().message;
    return {};
}

std::string stringField(const json& obj, const char* key) {
    return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
}

// What the model reads of one content item (MCP: text, image, audio, resource, resource_link).
std::string itemText(const json& item) {
    if (!item.is_object()) return {};
    const std::string type = stringField(item, "type");
    if (type == "text") return stringField(item, "text");
    if (type == "image" || type == "audio")
        return "[" + type + " (" + stringField(item, "mimeType") + ") not shown]";
    if (type == "resource" && item.contains("resource") && item["resource"].is_object()) {
        const json& r = item["resource"];
        const std::string text = stringField(r, "text");
        return text.empty() ? "[resource " + stringField(r, "uri") + "]" : text;
    }
    if (type == "resource_link") return "[resource " + stringField(item, "uri") + "]";
    return "[" + (type.empty() ? std::string("unknown") : type) + " content]";
}

}  // namespace

McpTool::McpTool(std::shared_ptr<McpClient> client, McpToolInfo info)
    : m_client(std::move(client)), m_info(std::move(info)) {
    m_name = m_client->serverName() + kMcpNameSeparator + m_info.name;
    m_info.description = base::truncateUtf8(m_info.description, kMaxDescriptionBytes);
    if (m_info.description.empty()) m_info.description = "MCP tool " + m_info.name;
    m_info.description += " (MCP server " + m_client->serverName() +
                          (m_client->network() ? ", with network access" : "") +
                          (m_client->sampling() ? ", may ask the model for completions" : "") + ")";
}

std::uint32_t McpTool::capabilities() const {
    std::uint32_t caps = std::uint32_t(Capability::Mcp) | std::uint32_t(Capability::Subprocess);
    for (const auto& g : m_client->grants())
        caps |= std::uint32_t(g.access == Access::Write ? Capability::WriteFiles : Capability::ReadFiles);
    return caps;
}

Result<ToolResult> McpTool::run(const json& args, const ToolContext& ctx) const {
    // The server sees exactly its sandbox's grants: each must be allowed to this caller.
    for (const auto& g : m_client->grants()) {
        if (auto allowed = ctx.resolve(g.root.string(), g.access); !allowed)
            return unexpected(ErrorCode::Denied,
                              m_name + ": the MCP server can reach " + g.root.string() +
                                  ", which this agent may not: " + allowed.error().message);
    }
    auto answer = m_client->callTool(m_info.name, args, ctx.deadline());
    if (!answer) return unexpected(answer.error().code, m_name + ": " + answer.error().message);
    ToolResult result;
    const json& content = answer->contains("content") ? (*answer)["content"] : json();
    if (content.is_array()) {
        for (const auto& item : content) {
            if (!result.text.empty()) result.text += "\n";
            result.text += itemText(item);
            if (result.text.size() > kMaxResultBytes) break;
        }
    }
    const bool isError = answer->contains("isError") && (*answer)["isError"] == true;
    if (isError) {
        // A result is cut and marked by ToolRegistry::call (cutting it here too garbled the
        // mark when the cut fell inside a character); an error's text is cut here.
        if (result.text.size() > kMaxResultBytes) {
            result.text = base::truncateUtf8(result.text, kMaxResultBytes);
            result.text += "\n[... result truncated at " + std::to_string(kMaxResultBytes) + " bytes]";
        }
        // A write refused by the read-only sandbox: say what would make it writable, first.
        const bool readOnly = result.text.find("EROFS") != std::string::npos ||
                              result.text.find("ead-only file system") != std::string::npos;
        const std::string hint =
            readOnly && m_client->statePath().empty()
                ? " (the sandbox gives this server no writable folder: set \"state\": true in its MCP "
                  "configuration and point its data files at ${ATELIER_MCP_STATE})"
                : std::string();
        return unexpected(Error::badInput(m_name + " failed" + hint + ": " + result.text));
    }
    result.data = {{"server", m_client->serverName()}, {"tool", m_info.name}};
    if (answer->contains("structuredContent") &&
        (*answer)["structuredContent"].dump().size() <= kMaxResultBytes)
        result.data["structuredContent"] = (*answer)["structuredContent"];
    SourceRef source;
    source.kind = "mcp";
    source.path = m_client->serverName() + "/" + m_info.name;
    result.sources.push_back(std::move(source));
    return result;
}

Result<int> addMcpTools(ToolRegistry& registry, const std::vector<McpServerConfig>& servers,
                        const Policy& policy, const McpOptions& options) {
    // Progress of a call made inside a ToolProgressScope (a team run's tool call) goes to that
    // scope; any other goes to the caller's onProgress.
    McpOptions routed = options;
    routed.onProgress = [outer = options.onProgress](const McpProgress& p) {
        if (reportToolProgress({p.progress, p.total, p.message})) return;
        if (outer) outer(p);
    };
    int added = 0;
    for (const auto& server : servers) {
        auto client = McpClient::start(server, policy, routed);
        if (!client) return unexpected(client.error());
        auto tools = (*client)->listTools();
        if (!tools) return unexpected(tools.error());
        for (auto& info : *tools) {
            const std::string problem = usableToolName(info.name) ? schemaProblem(info.inputSchema)
                                                                  : "its name is not [A-Za-z0-9_.-]{1,64}";
            if (!problem.empty()) {
                logger("agents")->warn("MCP server '{}': skipping tool '{}': {}", server.name, info.name, problem);
                continue;
            }
            if (auto r = registry.add(std::make_unique<McpTool>(*client, std::move(info))); !r)
                return unexpected(Error::badInput("MCP server '" + server.name + "': " + r.error().message));
            ++added;
        }
    }
    return added;
}

}  // namespace atelier::agents
