// AuditedToolContext: policy decisions and reads go to the audit log (see audited_tool_context.h).

#include "atelier/agents/audited_tool_context.h"

namespace atelier::agents {

Result<std::filesystem::path> AuditedToolContext::resolve(const std::string& path, Access access) const {
    auto resolved = m_inner.resolve(path, access);
    nlohmann::json decision = {{"path", path},
                               {"access", access == Access::Read ? "read" : "write"},
                               {"allowed", resolved.has_value()}};
    if (resolved)
        decision["resolved"] = resolved->string();
    else
        decision["reason"] = resolved.error().message;
    std::lock_guard lock(m_mutex);
    if (auto r = m_log.append(AuditKind::PolicyDecision, m_actor, decision); !r)
        return unexpected(Error::io("audit log: " + r.error().message + " (access refused)"));
    if (resolved && access == Access::Read) {
        if (auto r = m_log.append(AuditKind::FileRead, m_actor, {{"path", resolved->string()}}); !r)
            return unexpected(Error::io("audit log: " + r.error().message + " (access refused)"));
    }
    return resolved;
}

Result<void> AuditedToolContext::recordCall(const std::string& tool, const nlohmann::json& args,
                                            const Result<ToolResult>& result) const {
    nlohmann::json call = {{"tool", tool}, {"args", args}, {"ok", result.has_value()}};
    if (result) {
        call["truncated"] = result->truncated;
        call["sources"] = result->sources.size();
    } else {
        call["error"] = result.error().message;
    }
    std::lock_guard lock(m_mutex);
    auto r = m_log.append(AuditKind::ToolCall, m_actor, std::move(call));
    if (!r) return unexpected(r.error());
    return {};
}

}  // namespace atelier::agents
