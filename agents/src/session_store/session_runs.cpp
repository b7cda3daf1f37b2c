// SessionStore: team runs, their agent steps and the approvals asked during them.

#include "store_write.h"

namespace atelier::agents {
namespace store {

Run readRun(const base::Statement& s) {
    Run r;
    r.id = s.columnInt(0);
    r.sessionId = s.columnInt(1);
    r.team = s.columnText(2);
    r.task = s.columnText(3);
    r.status = s.columnText(4);
    r.startedMs = s.columnInt(5);
    if (!s.columnIsNull(6)) r.finishedMs = s.columnInt(6);
    if (!s.columnIsNull(7)) r.audit = AuditHead{s.columnInt(7), s.columnText(8)};
    return r;
}

AgentStep readStep(const base::Statement& s) {
    AgentStep r;
    r.id = s.columnInt(0);
    r.runId = s.columnInt(1);
    r.agent = s.columnText(2);
    r.stepIndex = s.columnInt(3);
    r.kind = s.columnText(4);
    r.payload = s.columnText(5);
    r.status = s.columnText(6);
    r.createdMs = s.columnInt(7);
    return r;
}

Approval readApproval(const base::Statement& s) {
    Approval r;
    r.id = s.columnInt(0);
    r.runId = s.columnInt(1);
    r.agent = s.columnText(2);
    r.tool = s.columnText(3);
    r.arguments = s.columnText(4);
    r.decision = s.columnText(5);
    r.decidedBy = s.columnText(6);
    r.decidedMs = s.columnInt(7);
    return r;
}

}  // namespace store

Result<std::int64_t> SessionStore::createRun(const Run& r) {
    return write([&]() -> Result<std::int64_t> {
        auto stmt = m_db.prepare(
            "INSERT INTO runs (session_id, team, task, status, started_ms, finished_ms, audit_records, "
            "audit_head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        std::optional<std::int64_t> auditRecords;
        std::optional<std::string> auditHead;
        if (r.audit) {
            auditRecords = r.audit->records;
            auditHead = r.audit->hash;
        }
        ATELIER_TRY_VOID(stmt->bindAll(r.sessionId, r.team, r.task, r.status,
                                       r.startedMs ? r.startedMs : nowMs(), r.finishedMs,
                                       auditRecords, auditHead));
        ATELIER_TRY_VOID(stmt->run());
        return m_db.lastInsertRowId();
    });
}

Result<void> SessionStore::finishRun(std::int64_t runId, std::string_view status,
                                     std::int64_t finishedMs, const std::optional<AuditHead>& audit) {
    return write([&]() -> Result<void> {
        // Without a new head the one recorded before (a resumed run's) stays.
        auto stmt = m_db.prepare(
            "UPDATE runs SET status = ?2, finished_ms = ?3, audit_records = coalesce(?4, audit_records), "
            "audit_head = coalesce(?5, audit_head) WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        std::optional<std::int64_t> auditRecords;
        std::optional<std::string> auditHead;
        if (audit) {
            auditRecords = audit->records;
            auditHead = audit->hash;
        }
        ATELIER_TRY_VOID(stmt->bindAll(runId, status, finishedMs ? finishedMs : nowMs(), auditRecords,
                                       auditHead));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no run " + std::to_string(runId)));
        return {};
    });
}

Result<std::vector<Run>> SessionStore::runs(std::int64_t sessionId) {
    return store::readAll<Run>(m_db,
                               "SELECT " + std::string(store::kRunColumns) +
                                   " FROM runs WHERE session_id = ?1 ORDER BY id",
                               sessionId, store::readRun);
}

Result<std::vector<Run>> SessionStore::auditedRuns() {
    // NULL >= 0 is not true: runs without a head are left out.
    return store::readAll<Run>(m_db,
                               "SELECT " + std::string(store::kRunColumns) +
                                   " FROM runs WHERE audit_records >= ?1 ORDER BY id",
                               0, store::readRun);
}

std::vector<AuditHeadClaim> SessionStore::auditClaims(const std::vector<Run>& audited) {
    std::vector<AuditHeadClaim> claims;
    for (const auto& r : audited)
        if (r.audit)
            claims.push_back({"run " + std::to_string(r.id) + " (session " + std::to_string(r.sessionId) + ")",
                              *r.audit});
    return claims;
}

Result<void> SessionStore::clearRunAudit(std::int64_t runId) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare("UPDATE runs SET audit_records = NULL, audit_head = NULL WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(runId));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no run " + std::to_string(runId)));
        return {};
    });
}

Result<std::int64_t> SessionStore::addStep(const AgentStep& s) {
    return write([&]() -> Result<std::int64_t> {
        auto stmt = m_db.prepare(
            "INSERT INTO agent_steps (run_id, agent, step_index, kind, payload, status, created_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(s.runId, s.agent, s.stepIndex, s.kind, s.payload, s.status,
                                       s.createdMs ? s.createdMs : nowMs()));
        ATELIER_TRY_VOID(stmt->run());
        return m_db.lastInsertRowId();
    });
}

Result<void> SessionStore::setStepStatus(std::int64_t stepId, std::string_view status) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare("UPDATE agent_steps SET status = ?2 WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(stepId, status));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no agent step " + std::to_string(stepId)));
        return {};
    });
}

Result<std::vector<AgentStep>> SessionStore::steps(std::int64_t runId) {
    return store::readAll<AgentStep>(m_db,
                                     "SELECT " + std::string(store::kStepColumns) +
                                         " FROM agent_steps WHERE run_id = ?1 ORDER BY id",
                                     runId, store::readStep);
}

Result<std::int64_t> SessionStore::addApproval(const Approval& a) {
    return write([&]() -> Result<std::int64_t> {
        auto stmt = m_db.prepare(
            "INSERT INTO approvals (run_id, agent, tool, arguments, decision, decided_by, decided_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(a.runId, a.agent, a.tool, a.arguments, a.decision,
                                       a.decidedBy, a.decidedMs ? a.decidedMs : nowMs()));
        ATELIER_TRY_VOID(stmt->run());
        return m_db.lastInsertRowId();
    });
}

Result<std::vector<Approval>> SessionStore::approvals(std::int64_t runId) {
    return store::readAll<Approval>(m_db,
                                    "SELECT " + std::string(store::kApprovalColumns) +
                                        " FROM approvals WHERE run_id = ?1 ORDER BY id",
                                    runId, store::readApproval);
}

}  // namespace atelier::agents
