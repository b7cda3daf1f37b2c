// The sessions database schema, one migration per step of its history. Never edit a released
// migration: add the next one.

#include "atelier/agents/session_store.h"

namespace atelier::agents {
namespace {

constexpr std::string_view kSessionsAndMessages = R"sql(
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL CHECK (kind IN ('chat', 'team')),
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    folder      TEXT    NOT NULL DEFAULT '',
    favourite   INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
    model       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_updated ON sessions (updated_ms DESC);
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL
                 CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    content      TEXT    NOT NULL DEFAULT '',
    reasoning    TEXT    NOT NULL DEFAULT '',
    tool_calls   TEXT    NOT NULL DEFAULT '' CHECK (tool_calls = '' OR json_valid(tool_calls)),
    tool_results TEXT    NOT NULL DEFAULT '',
    agent        TEXT    NOT NULL DEFAULT '',
    parent_id    INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX messages_by_session ON messages (session_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
)sql";

constexpr std::string_view kRunsStepsApprovals = R"sql(
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    team         TEXT    NOT NULL DEFAULT '',
    task         TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'running',
    started_ms   INTEGER NOT NULL,
    finished_ms  INTEGER
);
CREATE INDEX runs_by_session ON runs (session_id, id);
CREATE TABLE agent_steps (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    agent       TEXT    NOT NULL,
    step_index  INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    status      TEXT    NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL,
    UNIQUE (run_id, agent, step_index)
);
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    agent       TEXT    NOT NULL,
    tool        TEXT    NOT NULL,
    arguments   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(arguments)),
    decision    TEXT    NOT NULL CHECK (decision IN ('allow', 'deny')),
    decided_by  TEXT    NOT NULL DEFAULT '',
    decided_ms  INTEGER NOT NULL
);
CREATE INDEX approvals_by_run ON approvals (run_id, id);
)sql";

// An external-content FTS5 table: the text lives once, in `messages`; the index follows it
// through triggers (including deletes cascaded from a session). `rebuild` indexes the messages
// that a database migrated from version 2 already holds.
constexpr std::string_view kMessageSearch = R"sql(
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, reasoning, tool_calls, tool_results,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content, reasoning, tool_calls, tool_results)
    VALUES (new.id, new.content, new.reasoning, new.tool_calls, new.tool_results);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, reasoning, tool_calls, tool_results)
    VALUES ('delete', old.id, old.content, old.reasoning, old.tool_calls, old.tool_results);
END;
CREATE TRIGGER messages_fts_update
AFTER UPDATE OF content, reasoning, tool_calls, tool_results ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, reasoning, tool_calls, tool_results)
    VALUES ('delete', old.id, old.content, old.reasoning, old.tool_calls, old.tool_results);
    INSERT INTO messages_fts (rowid, content, reasoning, tool_calls, tool_results)
    VALUES (new.id, new.content, new.reasoning, new.tool_calls, new.tool_results);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
)sql";

// Where the audit log stood when each run finished (Run::audit): both or neither.
constexpr std::string_view kRunAuditHeads = R"sql(
ALTER TABLE runs ADD COLUMN audit_records INTEGER CHECK (audit_records IS NULL OR audit_records >= 0);
ALTER TABLE runs ADD COLUMN audit_head TEXT CHECK ((audit_head IS NULL) = (audit_records IS NULL));
)sql";

// Generation settings: a session's (the sampling panel) and the ones each reply was made with.
constexpr std::string_view kSamplingSettings = R"sql(
ALTER TABLE sessions ADD COLUMN sampling TEXT NOT NULL DEFAULT '' CHECK (sampling = '' OR json_valid(sampling));
ALTER TABLE messages ADD COLUMN sampling TEXT NOT NULL DEFAULT '' CHECK (sampling = '' OR json_valid(sampling));
)sql";

const base::Migration kMigrations[] = {
    {1, "sessions and messages", kSessionsAndMessages},
    {2, "runs, agent steps and approvals", kRunsStepsApprovals},
    {3, "full-text search over messages", kMessageSearch},
    {4, "audit heads of runs", kRunAuditHeads},
    {5, "sampling settings of sessions and replies", kSamplingSettings},
};

}  // namespace

const base::Schema& SessionStore::schema() {
    // "ATLS": the sessions database. Never reuse an application_id for another kind.
    static const base::Schema kSchema{"sessions", 0x41544C53, kMigrations};
    return kSchema;
}

}  // namespace atelier::agents
