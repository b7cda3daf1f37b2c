#pragma once
// AuditLog: an append-only, hash-chained record of what agents did (ARCHITECTURE.md "Audit").
// Each record's SHA-256 covers the previous record's hash and its own content exactly as
// stored (seq, time, kind, actor and the payload's stored text, length-prefixed), so verify()
// finds any edit, deletion or reordering and names the first broken link; a payload edited
// into different bytes that parse to the same JSON (a duplicate key) breaks it too. The log
// lives in its own SQLite file, `audit.db` in the data folder (DataPaths::auditDb): a separate
// file keeps it out of the session store's migrations and backups, and the data folder is
// denied to every tool by the policy, so no tool can reach it (it is not part of ToolContext
// either).
//
// Anchor: a chain alone cannot show that records were cut off its end, so every append also
// writes the record count and head hash to a sidecar file beside the database
// (anchorPath(): `audit.db.anchor`, replaced atomically by rename). verify() fails when the
// log holds fewer records than the anchor, when the anchored record's hash differs (the log
// was emptied, truncated to 0 bytes or rewritten), or when the anchor is missing beside a log
// that had one. A log holding more records than its anchor verifies (an append that crashed
// between its commit and the anchor's rename) and says how many are unanchored. An append
// never overwrites an anchor that no longer matches the log: the evidence stays until
// reanchor() accepts the log as it is.
//
// Heads kept elsewhere: a team run records the log's record count and head hash when it
// finishes (SessionStore's Run::audit). verify(claims) checks each such pair against the log
// as well, so a log cut back behind a run's recorded head fails naming the run even when the
// anchor file was put back to match the shortened log.
//
// Older logs: records written before this format (record format 1) were hashed over
// re-serialized JSON. Opening such a log anchors it at its current head and records how many
// legacy records it holds; only those may use the old hash (and for them a duplicate-key
// edit is not detectable).
//
// Threads: one AuditLog (one SQLite connection) per thread; several processes may append to
// the same file. Each append holds an exclusive flock on `audit.db.anchor.lock` around its
// IMMEDIATE transaction and the anchor's rename, so the anchor follows the commit order.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/result.h"
#include "atelier/base/sqlite.h"

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
    std::string storedPayload;  // the payload column's text, byte for byte
    int format = 2;  // how the hash covers the content; persisted, never reuse a value:
                     // 1 = legacy re-serialized JSON, 2 = stored bytes

    // The bytes the hash covers besides prevHash. Format 2: each of seq (decimal), time,
    // kind, actor and storedPayload as a netstring ("<length>:<bytes>,"). Format 1: a compact
    // JSON array [seq, time, kind, actor, payload] with object keys sorted.
    std::string canonicalContent() const;
    nlohmann::json toJson() const;
};

// The record count and head hash kept outside the database (see "Anchor" above).
struct AuditAnchor {
    std::int64_t records = 0;        // records the log held at the last append
    std::string head;                // hash of record `records` (64 zeros for none)
    std::int64_t legacyRecords = 0;  // records 1..legacyRecords may use hash format 1
};

// A record count and the hash of that record: where the log stood at some moment.
struct AuditHead {
    std::int64_t records = 0;  // records in the log (the last one's seq)
    std::string hash;          // hash of record `records` (64 zeros for none)
};

// An AuditHead kept outside the log and the anchor, named for messages ("run 12").
struct AuditHeadClaim {
    std::string owner;
    AuditHead head;
};

// Why the log does not hold a claimed head.
struct AuditClaimFailure {
    std::size_t claim = 0;  // index into the claims checked
    std::int64_t seq = 0;   // the first missing record, or the one whose hash differs
    std::string reason;     // names the claim's owner
};

struct AuditVerification {
    std::int64_t records = 0;              // records read
    std::optional<std::int64_t> brokenSeq; // seq of the first record whose link fails (for a
                                           // cut-off end: the first missing seq)
    std::string reason;                    // why it fails (empty when intact)
    std::string headHash;                  // hash of the last intact record
    std::optional<AuditAnchor> anchor;     // the anchor read, when there is one
    std::int64_t unanchored = 0;           // records past the anchor (a crashed append)
    std::vector<AuditClaimFailure> claimFailures;  // claims the log does not hold (verify(claims))

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

    // Walks the chain in seq order and reports the first broken link, then checks the chain
    // against the anchor (records cut off the end, an emptied or rewritten log), then against
    // every claimed head (each must be a record of the log with that hash). When only claims
    // fail, brokenSeq and reason are those of the failure with the lowest seq.
    Result<AuditVerification> verify(const std::vector<AuditHeadClaim>& claims = {});

    // The claims whose head is not a record of the log with that hash (looked up by seq; the
    // chain itself is not walked).
    Result<std::vector<AuditClaimFailure>> checkClaims(const std::vector<AuditHeadClaim>& claims);

    // The log's current record count and head hash.
    Result<AuditHead> head();

    // Accepts the log as it is: when its chain is intact, writes a new anchor at its head
    // (after the user has looked at why verify() failed). Refuses a broken chain.
    Result<AuditAnchor> reanchor();

    // The anchor file beside `db`: "<db>.anchor".
    static std::filesystem::path anchorPath(const std::filesystem::path& db);

    // Calls `fn` with every record in seq order (as stored, without checking).
    Result<void> forEach(const std::function<void(const AuditRecord&)>& fn);

    base::Database& database() { return m_db; }

private:
    explicit AuditLog(base::Database db) : m_db(std::move(db)) {}
    base::Database m_db;
    bool m_warnedStaleAnchor = false;  // an append found the anchor not matching: warned once
};

}  // namespace atelier::agents
