#pragma once
// AuditedToolContext: a ToolContext that records every policy decision a tool asks for, and
// every path granted for reading, in the audit log before the tool sees the answer. It fails
// closed: when the record cannot be written, the path is refused. Tools never see the AuditLog
// itself (ToolContext has no way to reach it).
// Threads: resolve() may be called from several threads; appends are serialised by a mutex:
// its own, or one shared by every context that appends to the same AuditLog (several tool runs
// at once on one SQLite connection).

#include <mutex>
#include <string>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/tool.h"

namespace atelier::agents {

class AuditedToolContext final : public ToolContext {
public:
    AuditedToolContext(const ToolContext& inner, AuditLog& log, std::string actor)
        : m_inner(inner), m_log(log), m_actor(std::move(actor)), m_mutex(m_ownMutex) {}
    AuditedToolContext(const ToolContext& inner, AuditLog& log, std::string actor, std::mutex& logMutex)
        : m_inner(inner), m_log(log), m_actor(std::move(actor)), m_mutex(logMutex) {}

    Result<std::filesystem::path> resolve(const std::string& path, Access access) const override;
    const std::filesystem::path& workspace() const override { return m_inner.workspace(); }
    Clock::time_point deadline() const override { return m_inner.deadline(); }

    // Records one finished tool call: name, arguments, outcome (ok or the error), truncation.
    Result<void> recordCall(const std::string& tool, const nlohmann::json& args,
                            const Result<ToolResult>& result) const;

private:
    const ToolContext& m_inner;
    AuditLog& m_log;         // guarded by m_mutex
    std::string m_actor;
    mutable std::mutex m_ownMutex;
    std::mutex& m_mutex;
};

}  // namespace atelier::agents
