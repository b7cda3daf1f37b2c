// AuditLog: append and verify the hash chain (see audit_log.h).

#include "atelier/agents/audit_log.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <openssl/evp.h>

#include "atelier/engine/schema_migrations.h"

namespace atelier::agents {
namespace {

const std::string kZeroHash(64, '0');

// The table refuses UPDATE and DELETE: the log only grows. (Someone with the file and an
// SQLite shell can still drop the triggers; that is what verify() is for.)
constexpr engine::Migration kMigrations[] = {
    {1, "audit log",
     "CREATE TABLE audit_log ("
     "  seq INTEGER PRIMARY KEY,"
     "  time TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,"
     "  payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"},
};

// 'ATLA'; never reuse the value for another database kind.
const engine::Schema kSchema{"audit log", 0x41544C41, kMigrations};

constexpr const char* kKindNames[] = {"model_load",      "prompt",  "tool_call", "file_read",
                                      "policy_decision", "approval"};

std::string nowUtc() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t secs = std::time_t(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
    return buf;
}

std::string dumpJson(const nlohmann::json& j) {
    // Invalid UTF-8 (a file name, a tool's output) is replaced rather than thrown on.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AuditRecord readRow(const engine::Statement& st) {
    AuditRecord r;
    r.seq = st.columnInt(0);
    r.time = st.columnText(1);
    r.kind = st.columnText(2);
    r.actor = st.columnText(3);
    r.payload = nlohmann::json::parse(st.columnTextView(4), nullptr, /*allow_exceptions=*/false);
    r.prevHash = st.columnText(5);
    r.hash = st.columnText(6);
    return r;
}

// Why `r` does not follow a record with hash `prevHash` and seq `expectedSeq - 1`; "" if it does.
std::string brokenLink(const AuditRecord& r, std::int64_t expectedSeq, const std::string& prevHash) {
    if (r.seq != expectedSeq)
        return "expected seq " + std::to_string(expectedSeq) + ", found " + std::to_string(r.seq) +
               " (a record was deleted or moved)";
    if (r.prevHash != prevHash) return "prev_hash does not match the previous record's hash";
    if (r.payload.is_discarded()) return "payload is not valid JSON";
    if (auditChainHash(r.prevHash, r.canonicalContent()) != r.hash)
        return "hash does not match the record's content (edited)";
    return {};
}

}  // namespace

std::string auditKindName(AuditKind kind) { return kKindNames[int(kind)]; }

std::optional<AuditKind> auditKindFromName(const std::string& name) {
    for (int i = 0; i < int(std::size(kKindNames)); ++i)
        if (name == kKindNames[i]) return AuditKind(i);
    return std::nullopt;
}

std::string AuditRecord::canonicalContent() const {
    return dumpJson(nlohmann::json::array({seq, time, kind, actor, payload}));
}

nlohmann::json AuditRecord::toJson() const {
    return {{"seq", seq},   {"time", time},          {"kind", kind}, {"actor", actor},
            {"payload", payload}, {"prev_hash", prevHash}, {"hash", hash}};
}

std::string auditChainHash(const std::string& prevHash, const std::string& content) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, prevHash.data(), prevHash.size());
    EVP_DigestUpdate(md, content.data(), content.size());
    EVP_DigestFinal_ex(md, digest.data(), &length);
    EVP_MD_CTX_free(md);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

Result<AuditLog> AuditLog::open(const std::filesystem::path& file) {
    auto db = engine::Database::open(file);
    if (!db) return unexpected(db.error());
    auto version = engine::migrate(*db, kSchema, {.targetVersion = std::nullopt, .backup = false});
    if (!version) return unexpected(version.error());
    return AuditLog(std::move(*db));
}

Result<AuditRecord> AuditLog::append(AuditKind kind, const std::string& actor, nlohmann::json payload) {
    auto tx = engine::Transaction::begin(m_db);
    if (!tx) return unexpected(tx.error());
    AuditRecord r;
    r.seq = 1;
    r.prevHash = kZeroHash;
    {
        auto last = m_db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        if (!last) return unexpected(last.error());
        auto row = last->step();
        if (!row) return unexpected(row.error());
        if (*row) {
            r.seq = last->columnInt(0) + 1;
            r.prevHash = last->columnText(1);
        }
    }
    r.time = nowUtc();
    r.kind = auditKindName(kind);
    r.actor = actor;
    // Round-trip the payload through its stored text so the hash covers what verify() reads.
    r.payload = nlohmann::json::parse(dumpJson(payload));
    r.hash = auditChainHash(r.prevHash, r.canonicalContent());
    auto ins = m_db.prepare("INSERT INTO audit_log(seq, time, kind, actor, payload, prev_hash, hash)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return unexpected(ins.error());
    if (auto b = ins->bindAll(r.seq, r.time, r.kind, r.actor, dumpJson(r.payload), r.prevHash, r.hash); !b)
        return unexpected(b.error());
    if (auto run = ins->run(); !run) return unexpected(run.error());
    if (auto c = tx->commit(); !c) return unexpected(c.error());
    return r;
}

Result<void> AuditLog::forEach(const std::function<void(const AuditRecord&)>& fn) {
    auto st = m_db.prepare("SELECT seq, time, kind, actor, payload, prev_hash, hash FROM audit_log"
                           " ORDER BY seq");
    if (!st) return unexpected(st.error());
    for (;;) {
        auto row = st->step();
        if (!row) return unexpected(row.error());
        if (!*row) return {};
        fn(readRow(*st));
    }
}

Result<AuditVerification> AuditLog::verify() {
    AuditVerification v;
    std::string prevHash = kZeroHash;
    v.headHash = kZeroHash;
    auto walked = forEach([&](const AuditRecord& r) {
        ++v.records;
        if (v.brokenSeq) return;
        const std::string why = brokenLink(r, v.records, prevHash);
        if (!why.empty()) {
            v.brokenSeq = r.seq;
            v.reason = "record " + std::to_string(r.seq) + ": " + why;
            return;
        }
        prevHash = r.hash;
        v.headHash = r.hash;
    });
    if (!walked) return unexpected(walked.error());
    return v;
}

}  // namespace atelier::agents
