#pragma once
// AuditLog: an append-only, hash-chained record of what agents did (ARCHITECTURE.md "Audit").
// Each record's SHA-256 covers the previous record's hash and its own canonical content
// (seq, time, kind, actor, payload), so verify() finds any edit, deletion or reordering and
// names the first broken link. The log lives in its own SQLite file, `audit.db` in the data
// folder (DataPaths::auditDb): a separate file keeps it out of the session store's migrations
// and backups, and the data folder is denied to every tool by the policy, so no tool can
// reach it (it is not part of ToolContext either).
//
// Limits: a chain cannot show that records were cut off its end; verify() reports the count
// and the head hash so a caller can compare them with a copy kept elsewhere.
//
// Threads: one AuditLog (one SQLite connection) per thread; several processes may append to
// the same file (each append is one IMMEDIATE transaction).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "atelier/engine/result.h"
#include "atelier/engine/sqlite.h"

namespace atelier::agents {

// Persisted as the strings of auditKindName(); never reuse or rename a value.
enum class AuditKind {
    ModelLoad,
    Prompt,
    ToolCall,
    FileRead,
    PolicyDecision,
    Approval,
};

std::string auditKindName(AuditKind kind);
std::optional<AuditKind> auditKindFromName(const std::string& name);

struct AuditRecord {
    std::int64_t seq = 0;     // 1, 2, 3, ... without gaps
    std::string time;         // UTC, ISO 8601 with milliseconds
    std::string kind;         // auditKindName()
    std::string actor;        // agent name, "cli", "user"
    nlohmann::json payload;   // kind-specific details
    std::string prevHash;     // hex SHA-256 of the previous record (64 zeros for the first)
    std::string hash;         // hex SHA-256 of prevHash + canonicalContent()

    // The bytes the hash covers besides prevHash: a compact JSON array
    // [seq, time, kind, actor, payload] with object keys sorted.
    std::string canonicalContent() const;
    nlohmann::json toJson() const;
};

struct AuditVerification {
    std::int64_t records = 0;              // records read
    std::optional<std::int64_t> brokenSeq; // seq of the first record whose link fails
    std::string reason;                    // why it fails (empty when intact)
    std::string headHash;                  // hash of the last intact record

    bool ok() const { return !brokenSeq.has_value(); }
};

// Hex SHA-256 of `prevHash` followed by `content` (OpenSSL libcrypto).
std::string auditChainHash(const std::string& prevHash, const std::string& content);

class AuditLog {
public:
    // Opens (creating and migrating when needed) the audit database at `file`.
    static Result<AuditLog> open(const std::filesystem::path& file);

    // Appends one record, chained to the current last one; returns it.
    Result<AuditRecord> append(AuditKind kind, const std::string& actor, nlohmann::json payload);

    // Walks the chain in seq order and reports the first broken link.
    Result<AuditVerification> verify();

    // Calls `fn` with every record in seq order (as stored, without checking).
    Result<void> forEach(const std::function<void(const AuditRecord&)>& fn);

    engine::Database& database() { return m_db; }

private:
    explicit AuditLog(engine::Database db) : m_db(std::move(db)) {}
    engine::Database m_db;
};

}  // namespace atelier::agents
