// SessionStore: a whole session read at once (for export) and written at once (for import),
// and full-text search.

#include <map>

#include "store_write.h"

namespace atelier::agents {
namespace {

// Turns what the user typed into an FTS5 query that cannot be a syntax error: each word is
// quoted (quotes doubled), so operators and punctuation are plain text; a trailing * keeps
// its prefix meaning. Words are ANDed.
std::string ftsQuery(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        if (j > i) {
            std::string_view word = text.substr(i, j - i);
            const bool prefix = word.size() > 1 && word.back() == '*';
            if (prefix) word.remove_suffix(1);
            if (!out.empty()) out += ' ';
            out += '"';
            for (char c : word) {
                if (c == '"') out += '"';
                out += c;
            }
            out += '"';
            if (prefix) out += '*';
        }
        i = j;
    }
    return out;
}

}  // namespace

Result<std::vector<SearchHit>> SessionStore::search(std::string_view query, int limit) {
    const std::string match = ftsQuery(query);
    if (match.empty()) return std::vector<SearchHit>{};
    auto stmt = m_db.prepare(
        "SELECT m.session_id, m.id, s.title, "
        "       snippet(messages_fts, -1, '[', ']', '…', 16) "
        "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
        "JOIN sessions s ON s.id = m.session_id "
        "WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?2");
    if (!stmt) return unexpected(std::move(stmt.error()));
    ATELIER_TRY_VOID(stmt->bindAll(match, limit));
    std::vector<SearchHit> hits;
    for (;;) {
        auto row = stmt->step();
        if (!row) return unexpected(std::move(row.error()));
        if (!*row) break;
        hits.push_back({stmt->columnInt(0), stmt->columnInt(1), stmt->columnText(2),
                        stmt->columnText(3)});
    }
    return hits;
}

Result<SessionRecord> SessionStore::load(std::int64_t sessionId) {
    // One read transaction, so the record is a consistent snapshot while others write.
    const bool own = !m_db.inTransaction();
    if (own) ATELIER_TRY_VOID(m_db.exec("BEGIN"));
    auto finish = [&] {
        if (own) (void)m_db.exec("COMMIT");
    };
    SessionRecord record;
    auto fill = [&]() -> Result<void> {
        auto s = session(sessionId);
        if (!s) return unexpected(std::move(s.error()));
        record.session = std::move(*s);
        auto msgs = messages(sessionId);
        if (!msgs) return unexpected(std::move(msgs.error()));
        record.messages = std::move(*msgs);
        auto rs = runs(sessionId);
        if (!rs) return unexpected(std::move(rs.error()));
        for (auto& run : *rs) {
            RunRecord rr{std::move(run), {}, {}};
            auto st = steps(rr.run.id);
            if (!st) return unexpected(std::move(st.error()));
            rr.steps = std::move(*st);
            auto ap = approvals(rr.run.id);
            if (!ap) return unexpected(std::move(ap.error()));
            rr.approvals = std::move(*ap);
            record.runs.push_back(std::move(rr));
        }
        return {};
    };
    auto filled = fill();
    finish();
    if (!filled) return unexpected(std::move(filled.error()));
    return record;
}

Result<std::int64_t> SessionStore::insert(const SessionRecord& record) {
    return write([&]() -> Result<std::int64_t> {
        auto sessionId = createSession(record.session);
        if (!sessionId) return sessionId;
        std::map<std::int64_t, std::int64_t> messageIds;  // old id -> new id
        for (const auto& m : record.messages) {
            Message copy = m;
            copy.sessionId = *sessionId;
            if (m.parentId) {
                auto it = messageIds.find(*m.parentId);
                if (it == messageIds.end())
                    return unexpected(Error::badInput(
                        "message " + std::to_string(m.id) + " answers message " +
                        std::to_string(*m.parentId) + ", which is not an earlier message of the session"));
                copy.parentId = it->second;
            }
            auto id = addMessage(copy);
            if (!id) return id;
            messageIds[m.id] = *id;
        }
        for (const auto& rr : record.runs) {
            Run run = rr.run;
            run.sessionId = *sessionId;
            run.audit.reset();  // a head of the log the session came from, not of this one
            auto runId = createRun(run);
            if (!runId) return runId;
            for (auto step : rr.steps) {
                step.runId = *runId;
                auto id = addStep(step);
                if (!id) return id;
            }
            for (auto approval : rr.approvals) {
                approval.runId = *runId;
                auto id = addApproval(approval);
                if (!id) return id;
            }
        }
        // Adding messages bumped updated_ms; keep the record's own value.
        auto stmt = m_db.prepare("UPDATE sessions SET updated_ms = ?2 WHERE id = ?1");
        if (!stmt) return unexpected(std::move(stmt.error()));
        ATELIER_TRY_VOID(stmt->bindAll(*sessionId, record.session.updatedMs ? record.session.updatedMs
                                                                           : nowMs()));
        ATELIER_TRY_VOID(stmt->run());
        return *sessionId;
    });
}

}  // namespace atelier::agents
