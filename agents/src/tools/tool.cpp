#include "atelier/agents/tool.h"

namespace atelier::agents {

nlohmann::json SourceRef::toJson() const {
    nlohmann::json j{{"kind", kind}, {"path", path}};
    if (firstLine > 0) {
        j["first_line"] = firstLine;
        j["last_line"] = lastLine;
    }
    if (page > 0) j["page"] = page;
    if (!commit.empty()) j["commit"] = commit;
    return j;
}

nlohmann::json ToolResult::toJson() const {
    nlohmann::json j{{"text", text}, {"truncated", truncated}};
    if (!data.is_null()) j["data"] = data;
    nlohmann::json src = nlohmann::json::array();
    for (const auto& s : sources) src.push_back(s.toJson());
    j["sources"] = std::move(src);
    if (!next.is_null()) j["next"] = next;
    return j;
}

Result<std::filesystem::path> PolicyToolContext::resolve(const std::string& path, Access access) const {
    const PolicyDecision d = m_policy.checkPath(path, access, m_workspace);
    if (!d.allowed) return unexpected(ErrorCode::Denied, "policy: " + d.reason);
    return d.resolved;
}

}  // namespace atelier::agents
