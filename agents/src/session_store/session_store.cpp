// SessionStore: opening, sessions and messages.

#include <chrono>

#include "atelier/base/log.h"
#include "store_write.h"

namespace atelier::agents {

std::string_view toString(SessionKind kind) { return kind == SessionKind::Team ? "team" : "chat"; }

std::optional<SessionKind> sessionKindFromString(std::string_view text) {
    if (text == "chat") return SessionKind::Chat;
    if (text == "team") return SessionKind::Team;
    return std::nullopt;
}

std::int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace store {

Session readSession(const base::Statement& s) {
    Session r;
    r.id = s.columnInt(0);
    r.title = s.columnText(1);
    r.kind = sessionKindFromString(s.columnTextView(2)).value_or(SessionKind::Chat);
    r.createdMs = s.columnInt(3);
    r.updatedMs = s.columnInt(4);
    r.folder = s.columnText(5);
    r.favourite = s.columnInt(6) != 0;
    r.model = s.columnText(7);
    r.sampling = s.columnText(8);
    return r;
}

Message readMessage(const base::Statement& s) {
    Message m;
    m.id = s.columnInt(0);
    m.sessionId = s.columnInt(1);
    m.role = s.columnText(2);
    m.content = s.columnText(3);
    m.reasoning = s.columnText(4);
    m.toolCalls = s.columnText(5);
    m.toolResults = s.columnText(6);
    m.agent = s.columnText(7);
    if (!s.columnIsNull(8)) m.parentId = s.columnInt(8);
    m.createdMs = s.columnInt(9);
    m.sampling = s.columnText(10);
    return m;
}

}  // namespace store

Result<SessionStore> SessionStore::open(const std::filesystem::path& file,
                                        const base::OpenOptions& options) {
    auto db = base::openMigrated(file, schema(), options);
    if (!db) return unexpected(std::move(db.error()));
    return SessionStore(std::move(*db));
}

Result<std::int64_t> SessionStore::createSession(const Session& s) {
    return write([&]() -> Result<std::int64_t> {
        auto stmt = m_db.prepare(
            "INSERT INTO sessions (title, kind, created_ms, updated_ms, folder, favourite, model, "
            "sampling) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        const std::int64_t created = s.createdMs ? s.createdMs : nowMs();
        ATELIER_TRY_VOID(stmt->bindAll(s.title, toString(s.kind), created,
                                       s.updatedMs ? s.updatedMs : created, s.folder, s.favourite,
                                       s.model, s.sampling));
        ATELIER_TRY_VOID(stmt->run());
        return m_db.lastInsertRowId();
    });
}

Result<void> SessionStore::updateSession(const Session& s) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare(
            "UPDATE sessions SET title = ?2, kind = ?3, folder = ?4, favourite = ?5, model = ?6, "
            "updated_ms = max(updated_ms, ?7), sampling = ?8 WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(s.id, s.title, toString(s.kind), s.folder, s.favourite,
                                       s.model, nowMs(), s.sampling));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no session " + std::to_string(s.id)));
        return {};
    });
}

Result<void> SessionStore::deleteSession(std::int64_t id) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare("DELETE FROM sessions WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bind(1, id));
        ATELIER_TRY_VOID(stmt->run());  // messages, runs, steps, approvals cascade
        if (m_db.changes() == 0) return unexpected(Error::notFound("no session " + std::to_string(id)));
        return {};
    });
}

Result<Session> SessionStore::session(std::int64_t id) {
    auto rows = store::readAll<Session>(
        m_db, "SELECT " + std::string(store::kSessionColumns) + " FROM sessions WHERE id = ?1", id,
        store::readSession);
    if (!rows) return unexpected(std::move(rows.error()));
    if (rows->empty()) return unexpected(Error::notFound("no session " + std::to_string(id)));
    return std::move(rows->front());
}

Result<std::vector<SessionSummary>> SessionStore::listSessions() {
    auto stmt = m_db.prepare(
        "SELECT " + std::string(store::kSessionColumns) +
        ", (SELECT count(*) FROM messages m WHERE m.session_id = sessions.id) FROM sessions "
        "ORDER BY updated_ms DESC, id DESC");
    if (!stmt) return unexpected(std::move(stmt.error()));
    std::vector<SessionSummary> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) break;
        out.push_back({store::readSession(*stmt), stmt->columnInt(9)});
    }
    return out;
}

Result<std::int64_t> SessionStore::addMessage(const Message& m) {
    return write([&]() -> Result<std::int64_t> {
        const std::int64_t created = m.createdMs ? m.createdMs : nowMs();
        auto touch = m_db.prepare("UPDATE sessions SET updated_ms = max(updated_ms, ?2) WHERE id = ?1");
        if (!touch) return unexpected(std::move(touch.error()));
        ATELIER_TRY_VOID(touch->bindAll(m.sessionId, created));
        ATELIER_TRY_VOID(touch->run());
        if (m_db.changes() == 0)
            return unexpected(Error::notFound("no session " + std::to_string(m.sessionId)));
        auto stmt = m_db.prepare(
            "INSERT INTO messages (session_id, role, content, reasoning, tool_calls, tool_results, "
            "agent, parent_id, created_ms, sampling) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(m.sessionId, m.role, m.content, m.reasoning, m.toolCalls,
                                       m.toolResults, m.agent, m.parentId, created, m.sampling));
        ATELIER_TRY_VOID(stmt->run());
        return m_db.lastInsertRowId();
    });
}

Result<void> SessionStore::updateMessage(const Message& m) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare(
            "UPDATE messages SET content = ?2, reasoning = ?3, tool_calls = ?4, tool_results = ?5 "
            "WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(m.id, m.content, m.reasoning, m.toolCalls, m.toolResults));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no message " + std::to_string(m.id)));
        return {};
    });
}

Result<void> SessionStore::deleteMessage(std::int64_t id) {
    return write([&]() -> Result<void> {
        auto stmt = m_db.prepare("DELETE FROM messages WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bind(1, id));
        ATELIER_TRY_VOID(stmt->run());
        if (m_db.changes() == 0) return unexpected(Error::notFound("no message " + std::to_string(id)));
        return {};
    });
}

Result<std::vector<Message>> SessionStore::messages(std::int64_t sessionId) {
    return store::readAll<Message>(m_db,
                                   "SELECT " + std::string(store::kMessageColumns) +
                                       " FROM messages WHERE session_id = ?1 ORDER BY id",
                                   sessionId, store::readMessage);
}

}  // namespace atelier::agents
