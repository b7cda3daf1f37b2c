#pragma once
// SessionStore: chats and team runs in `<data-dir>/atelier.db` — sessions, their messages
// (with reasoning, tool calls and tool results), runs, agent steps and user approvals, and a
// full-text index over messages. Built on the engine's SQLite layer: WAL, every write in one
// transaction, numbered migrations with a backup first, refusal of a newer schema.
//
// Threads: one SessionStore per thread (it owns one SQLite connection). Several stores on the
// same file, in threads or processes, are safe: SQLite's WAL serialises their writes.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/agents/audit_log.h"
#include "atelier/base/result.h"
#include "atelier/base/schema_migrations.h"
#include "atelier/base/sqlite.h"

namespace atelier::agents {

// Stored as text ("chat", "team"): never reuse or rename a value.
enum class SessionKind { Chat, Team };
std::string_view toString(SessionKind kind);
std::optional<SessionKind> sessionKindFromString(std::string_view text);

// Times are milliseconds since the Unix epoch, UTC.
struct Session {
    std::int64_t id = 0;
    std::string title;
    SessionKind kind = SessionKind::Chat;
    std::int64_t createdMs = 0;  // 0 on create: now
    std::int64_t updatedMs = 0;  // 0 on create: createdMs; bumped by every message added
    std::string folder;          // the attached folder or workspace, "" for none
    bool favourite = false;
    std::string model;           // the model path or name the session used
    // The session's generation settings (the window's sampling panel) as JSON text, "" for the
    // defaults. Opaque to the store.
    std::string sampling;
};

struct SessionSummary {
    Session session;
    std::int64_t messageCount = 0;
};

// Roles as stored: "system", "developer", "user", "assistant", "tool".
struct Message {
    std::int64_t id = 0;
    std::int64_t sessionId = 0;
    std::string role;
    std::string content;
    std::string reasoning;                // the thinking text, "" when none
    std::string toolCalls;                // JSON text (an array of calls), "" when none
    std::string toolResults;              // the tool's output for role "tool", "" otherwise
    std::string agent;                    // the agent that wrote it, "" for the user or a chat
    std::optional<std::int64_t> parentId; // the message it answers, if any
    std::int64_t createdMs = 0;           // 0 on add: now
    // What a reply was generated with (model, temperature, seed, ...) as JSON text, "" when
    // not recorded. Opaque to the store.
    std::string sampling;
};

struct Run {
    std::int64_t id = 0;
    std::int64_t sessionId = 0;
    std::string team;
    std::string task;
    std::string status = "running";  // running, ok, failed, budget_exhausted, cancelled
    std::int64_t startedMs = 0;      // 0 on create: now
    std::optional<std::int64_t> finishedMs;
    // The audit log's record count and head hash when the run finished, kept here as well as
    // in the log's anchor so that `audit verify` finds the log cut back behind it (audit_log.h
    // "Heads kept elsewhere"). None for a run that has not finished, ran without an audit log
    // or was imported (its head belongs to another log); not exported.
    std::optional<AuditHead> audit;
};

struct AgentStep {
    std::int64_t id = 0;
    std::int64_t runId = 0;
    std::string agent;
    std::int64_t stepIndex = 0;  // per agent within the run, from 0
    std::string kind;            // "generate", "tool_call", "tool_result", "delegate", ...
    std::string payload = "{}";  // JSON text
    std::string status;          // "", "running", "ok", "failed", ...
    std::int64_t createdMs = 0;
};

struct Approval {
    std::int64_t id = 0;
    std::int64_t runId = 0;
    std::string agent;
    std::string tool;
    std::string arguments = "{}";  // JSON text
    std::string decision;          // "allow" or "deny"
    std::string decidedBy;         // "user", "policy", "--approve auto", ...
    std::int64_t decidedMs = 0;
};

// Everything about one session, as exported and imported.
struct RunRecord {
    Run run;
    std::vector<AgentStep> steps;
    std::vector<Approval> approvals;
};
struct SessionRecord {
    Session session;
    std::vector<Message> messages;  // in creation order
    std::vector<RunRecord> runs;
};

struct SearchHit {
    std::int64_t sessionId = 0;
    std::int64_t messageId = 0;
    std::string sessionTitle;
    std::string snippet;  // the matching text with hits in [brackets]
};

std::int64_t nowMs();

class SessionStore {
public:
    // The sessions database schema: its migrations, newest last.
    static const base::Schema& schema();

    // Opens (creating if needed) and migrates `file`. Errors: not an Atelier database, a
    // newer schema, an unreadable file.
    static Result<SessionStore> open(const std::filesystem::path& file,
                                     const base::OpenOptions& options = {});

    Result<std::int64_t> createSession(const Session& session);
    Result<void> updateSession(const Session& session);  // title, kind, folder, favourite, model, sampling
    Result<void> deleteSession(std::int64_t id);         // with its messages, runs, steps, approvals
    Result<Session> session(std::int64_t id);
    Result<std::vector<SessionSummary>> listSessions();  // most recently updated first

    Result<std::int64_t> addMessage(const Message& message);
    Result<void> updateMessage(const Message& message);  // content, reasoning, tool calls, results
    Result<void> deleteMessage(std::int64_t id);
    Result<std::vector<Message>> messages(std::int64_t sessionId);

    Result<std::int64_t> createRun(const Run& run);
    // Ends the run with `status`; `audit` records where the audit log stood (Run::audit).
    Result<void> finishRun(std::int64_t runId, std::string_view status, std::int64_t finishedMs = 0,
                           const std::optional<AuditHead>& audit = std::nullopt);
    Result<std::vector<Run>> runs(std::int64_t sessionId);
    // Every run that recorded an audit head, by id (for AuditLog::verify's claims).
    Result<std::vector<Run>> auditedRuns();
    // auditedRuns() as claims for AuditLog::verify, named "run R (session S)", in the same order.
    static std::vector<AuditHeadClaim> auditClaims(const std::vector<Run>& audited);
    // Forgets run `runId`'s audit head (after `audit reanchor` accepted a log without it).
    Result<void> clearRunAudit(std::int64_t runId);
    Result<std::int64_t> addStep(const AgentStep& step);
    Result<void> setStepStatus(std::int64_t stepId, std::string_view status);
    Result<std::vector<AgentStep>> steps(std::int64_t runId);
    Result<std::int64_t> addApproval(const Approval& approval);
    Result<std::vector<Approval>> approvals(std::int64_t runId);

    // Full-text search over message content, reasoning and tool traffic. Words are matched
    // whole (a trailing * matches a prefix), case- and accent-insensitively; every word must
    // occur. Best matches first.
    Result<std::vector<SearchHit>> search(std::string_view query, int limit = 50);

    // The whole session, and its inverse: inserts `record` as a new session with new ids
    // (parents and runs remapped), in one transaction. Returns the new session id.
    Result<SessionRecord> load(std::int64_t sessionId);
    Result<std::int64_t> insert(const SessionRecord& record);

    base::Database& database() { return m_db; }

private:
    explicit SessionStore(base::Database db) : m_db(std::move(db)) {}
    template <typename Fn>
    auto write(Fn&& fn) -> decltype(fn());

    base::Database m_db;
};

}  // namespace atelier::agents
