#pragma once
// Private helpers shared by the SessionStore sources: the write-transaction wrapper and the
// row readers. Each reader expects the columns in the order of its k...Columns string.

#include "atelier/agents/session_store.h"

namespace atelier::agents {

// Runs `fn` inside a transaction (or inside the caller's, when one is open, as during an
// import) and commits only when it succeeded.
template <typename Fn>
auto SessionStore::write(Fn&& fn) -> decltype(fn()) {
    if (m_db.inTransaction()) return fn();
    auto tx = base::Transaction::begin(m_db);
    if (!tx) return unexpected(std::move(tx.error()));
    auto result = fn();
    if (!result) return result;  // tx rolls back
    auto committed = tx->commit();
    if (!committed) return unexpected(std::move(committed.error()));
    return result;
}

namespace store {

inline constexpr std::string_view kSessionColumns =
    "id, title, kind, created_ms, updated_ms, folder, favourite, model, sampling";
inline constexpr std::string_view kMessageColumns =
    "id, session_id, role, content, reasoning, tool_calls, tool_results, agent, parent_id, "
    "created_ms, sampling";
inline constexpr std::string_view kRunColumns =
    "id, session_id, team, task, status, started_ms, finished_ms, audit_records, audit_head";
inline constexpr std::string_view kStepColumns =
    "id, run_id, agent, step_index, kind, payload, status, created_ms";
inline constexpr std::string_view kApprovalColumns =
    "id, run_id, agent, tool, arguments, decision, decided_by, decided_ms";

Session readSession(const base::Statement& s);
Message readMessage(const base::Statement& s);
Run readRun(const base::Statement& s);
AgentStep readStep(const base::Statement& s);
Approval readApproval(const base::Statement& s);

// Runs `sql` (with `id` bound to ?1) and reads every row with `read`.
template <typename T, typename Read>
Result<std::vector<T>> readAll(base::Database& db, const std::string& sql, std::int64_t id,
                               Read read) {
    auto stmt = db.prepare(sql);
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bind(1, id));
    std::vector<T> rows;
    for (;;) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) break;
        rows.push_back(read(*stmt));
    }
    return rows;
}

}  // namespace store
}  // namespace atelier::agents
