// AuditLog: append and verify the hash chain (see audit_log.h).

#include "atelier/agents/audit_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include <openssl/evp.h>

#include "atelier/base/log.h"
#include "atelier/base/schema_migrations.h"

namespace atelier::agents {
namespace {

const std::string kZeroHash(64, '0');

// The table refuses UPDATE and DELETE: the log only grows. (Someone with the file and an
// SQLite shell can still drop the triggers; that is what verify() is for.)
constexpr base::Migration kMigrations[] = {
    {1, "audit log",
     "CREATE TABLE audit_log ("
     "  seq INTEGER PRIMARY KEY,"
     "  time TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL,"
     "  payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"},
    // Records from here on hash their stored bytes (format 2); older ones keep format 1.
    {2, "record format", "ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1"},
};

// 'ATLA'; never reuse the value for another database kind.
const base::Schema kSchema{"audit log", 0x41544C41, kMigrations};

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

AuditRecord readRow(const base::Statement& st) {
    AuditRecord r;
    r.seq = st.columnInt(0);
    r.time = st.columnText(1);
    r.kind = st.columnText(2);
    r.actor = st.columnText(3);
    r.storedPayload = st.columnText(4);
    r.payload = nlohmann::json::parse(r.storedPayload, nullptr, /*allow_exceptions=*/false);
    r.prevHash = st.columnText(5);
    r.hash = st.columnText(6);
    r.format = static_cast<int>(st.columnInt(7));
    return r;
}

constexpr const char* kRecordColumns = "seq, time, kind, actor, payload, prev_hash, hash, format";

void netstring(std::string& out, std::string_view bytes) {
    out += std::to_string(bytes.size());
    out += ':';
    out += bytes;
    out += ',';
}

bool isHexHash(const std::string& h) {
    return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::filesystem::path lockPath(const std::filesystem::path& db) {
    auto p = AuditLog::anchorPath(db);
    p += ".lock";
    return p;
}

bool inMemory(const std::filesystem::path& db) { return db.empty() || db == ":memory:"; }

// An exclusive flock on the anchor's lock file, held across an append's transaction and the
// anchor's rename so that concurrent appenders (threads or processes) update the anchor in
// commit order.
class AnchorLock {
public:
    static Result<AnchorLock> take(const std::filesystem::path& db) {
        AnchorLock lock;
        if (inMemory(db)) return lock;
        const auto path = lockPath(db);
        lock.m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock.m_fd < 0)
            return unexpected(Error::io(path.string() + ": cannot open: " + std::strerror(errno)));
        while (::flock(lock.m_fd, LOCK_EX) != 0) {
            if (errno != EINTR)
                return unexpected(Error::io(path.string() + ": cannot lock: " + std::strerror(errno)));
        }
        return lock;
    }
    AnchorLock(AnchorLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    AnchorLock& operator=(AnchorLock&&) = delete;
    ~AnchorLock() {
        if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
    }

private:
    AnchorLock() = default;
    int m_fd = -1;
};

// The anchor beside `db`; nullopt when there is none. A file that does not parse is an error.
Result<std::optional<AuditAnchor>> readAnchor(const std::filesystem::path& db) {
    const auto path = AuditLog::anchorPath(db);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return std::optional<AuditAnchor>();
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    const auto damaged = [&] {
        return unexpected(Error::badInput(path.string() + ": the audit anchor is damaged"));
    };
    if (!j.is_object() || !j.contains("records") || !j.contains("head") ||
        !j["records"].is_number_integer() || !j["head"].is_string())
        return damaged();
    AuditAnchor a;
    a.records = j["records"].get<std::int64_t>();
    a.head = j["head"].get<std::string>();
    a.legacyRecords = j.value("legacy_records", std::int64_t{0});
    if (a.records < 0 || a.legacyRecords < 0 || a.legacyRecords > a.records || !isHexHash(a.head) ||
        (a.records == 0 && a.head != kZeroHash))
        return damaged();
    return std::optional<AuditAnchor>(a);
}

// Replaces the anchor atomically: a temporary beside it, then rename (the caller holds the lock).
Result<void> writeAnchor(const std::filesystem::path& db, const AuditAnchor& a) {
    if (inMemory(db)) return {};
    const auto path = AuditLog::anchorPath(db);
    auto tmp = path;
    tmp += ".tmp";
    const nlohmann::json j = {{"format", 1},
                              {"records", a.records},
                              {"head", a.head},
                              {"legacy_records", a.legacyRecords}};
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << j.dump() << '\n';
        out.flush();
        if (!out) return unexpected(Error::io(tmp.string() + ": cannot write the audit anchor"));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return unexpected(Error::io(path.string() + ": cannot replace the audit anchor: " + ec.message()));
    return {};
}

// The seq and hash of the newest record (0 and zeros when the log is empty).
Result<std::pair<std::int64_t, std::string>> lastRecord(base::Database& db) {
    auto last = db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (!last) return unexpected(last.error());
    auto row = last->step();
    if (!row) return unexpected(row.error());
    if (!*row) return std::pair<std::int64_t, std::string>{0, kZeroHash};
    return std::pair<std::int64_t, std::string>{last->columnInt(0), last->columnText(1)};
}

// The hash of record `seq` ("" when there is none; zeros for seq 0).
Result<std::string> hashAt(base::Database& db, std::int64_t seq) {
    if (seq == 0) return kZeroHash;
    auto st = db.prepare("SELECT hash FROM audit_log WHERE seq = ?1");
    if (!st) return unexpected(st.error());
    if (auto b = st->bindAll(seq); !b) return unexpected(b.error());
    auto row = st->step();
    if (!row) return unexpected(row.error());
    return *row ? st->columnText(0) : std::string();
}

// Why `r` does not follow a record with hash `prevHash` and seq `expectedSeq - 1`; "" if it does.
std::string brokenLink(const AuditRecord& r, std::int64_t expectedSeq, const std::string& prevHash,
                       std::int64_t legacyRecords) {
    if (r.seq != expectedSeq)
        return "expected seq " + std::to_string(expectedSeq) + ", found " + std::to_string(r.seq) +
               " (a record was deleted or moved)";
    if (r.prevHash != prevHash) return "prev_hash does not match the previous record's hash";
    if (r.payload.is_discarded()) return "payload is not valid JSON";
    if (r.format != 2 && !(r.format == 1 && r.seq <= legacyRecords))
        return "record format " + std::to_string(r.format) +
               (r.format == 1 ? " (re-serialized JSON) after the log's legacy records" : " is unknown");
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
    if (format == 1) return dumpJson(nlohmann::json::array({seq, time, kind, actor, payload}));
    std::string out;
    netstring(out, std::to_string(seq));
    netstring(out, time);
    netstring(out, kind);
    netstring(out, actor);
    netstring(out, storedPayload);
    return out;
}

std::filesystem::path AuditLog::anchorPath(const std::filesystem::path& db) {
    auto p = db;
    p += ".anchor";
    return p;
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
    // The version before migrating tells a log from before anchoring (version 0 or 1: anchor
    // it now) from one whose anchor has gone missing (version 2: leave that to verify()).
    int before = 0;
    if (!inMemory(file)) {
        auto version = base::fileSchemaVersion(file, kSchema);
        if (!version) return unexpected(version.error());
        before = *version;
    }
    auto db = base::openMigrated(file, kSchema, {}, {.targetVersion = std::nullopt, .backup = false});
    if (!db) return unexpected(db.error());
    if (!inMemory(file) && before < 2) {
        auto lock = AnchorLock::take(file);
        if (!lock) return unexpected(lock.error());
        auto anchor = readAnchor(file);
        if (!anchor) return unexpected(anchor.error());
        if (!*anchor) {
            auto last = lastRecord(*db);
            if (!last) return unexpected(last.error());
            ATELIER_TRY_VOID(writeAnchor(file, {last->first, last->second, last->first}));
            if (last->first > 0)
                logger("agents")->info("{}: anchored {} records written before anchoring (their "
                                       "hashes cover re-serialized JSON)",
                                       file.string(), last->first);
        }
    }
    return AuditLog(std::move(*db));
}

Result<AuditRecord> AuditLog::append(AuditKind kind, const std::string& actor, nlohmann::json payload) {
    auto lock = AnchorLock::take(m_db.path());
    if (!lock) return unexpected(lock.error());
    auto tx = base::Transaction::begin(m_db);
    if (!tx) return unexpected(tx.error());
    auto last = lastRecord(m_db);
    if (!last) return unexpected(last.error());
    AuditRecord r;
    r.seq = last->first + 1;
    r.prevHash = last->second;
    r.time = nowUtc();
    r.kind = auditKindName(kind);
    r.actor = actor;
    r.format = 2;
    r.storedPayload = dumpJson(payload);
    r.payload = nlohmann::json::parse(r.storedPayload, nullptr, /*allow_exceptions=*/false);
    r.hash = auditChainHash(r.prevHash, r.canonicalContent());
    // The anchor moves only while it still vouches for the log: it names the newest record,
    // or an older one that is still there with the same hash (a crashed append). Otherwise
    // the evidence that records went missing is kept for verify().
    std::optional<AuditAnchor> next;
    if (!inMemory(m_db.path())) {
        auto anchor = readAnchor(m_db.path());
        if (anchor && *anchor && (*anchor)->records <= last->first) {
            auto anchored = hashAt(m_db, (*anchor)->records);
            if (!anchored) return unexpected(anchored.error());
            if (*anchored == (*anchor)->head) next = AuditAnchor{r.seq, r.hash, (*anchor)->legacyRecords};
        }
        if (!next && !m_warnedStaleAnchor) {
            m_warnedStaleAnchor = true;
            logger("agents")->warn("{}: the audit log does not match its anchor {}; it is left as "
                                   "evidence (atelier-cli audit verify)",
                                   m_db.path().string(), anchorPath(m_db.path()).string());
        }
    }
    auto ins = m_db.prepare("INSERT INTO audit_log(seq, time, kind, actor, payload, prev_hash, hash, format)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return unexpected(ins.error());
    if (auto b = ins->bindAll(r.seq, r.time, r.kind, r.actor, r.storedPayload, r.prevHash, r.hash, r.format); !b)
        return unexpected(b.error());
    if (auto run = ins->run(); !run) return unexpected(run.error());
    if (auto c = tx->commit(); !c) return unexpected(c.error());
    if (next) {
        // The record is committed; an anchor left one behind still verifies (as unanchored).
        if (auto w = writeAnchor(m_db.path(), *next); !w)
            logger("agents")->warn("{}", w.error().message);
    }
    return r;
}

Result<void> AuditLog::forEach(const std::function<void(const AuditRecord&)>& fn) {
    auto st = m_db.prepare("SELECT " + std::string(kRecordColumns) + " FROM audit_log ORDER BY seq");
    if (!st) return unexpected(st.error());
    for (;;) {
        auto row = st->step();
        if (!row) return unexpected(row.error());
        if (!*row) return {};
        fn(readRow(*st));
    }
}

namespace {

struct ChainWalk {
    AuditVerification v;       // records, brokenSeq, reason, headHash
    std::string anchoredHash;  // the hash of record `anchoredSeq` (zeros for 0, "" if absent)
    std::int64_t leadingLegacy = 0;  // how many records from the first are format 1
};

// Walks the chain alone: every link, with format 1 allowed for the first `legacy` records.
Result<ChainWalk> walkChain(AuditLog& log, std::int64_t legacy, std::int64_t anchoredSeq) {
    ChainWalk w;
    AuditVerification& v = w.v;
    std::string prevHash = kZeroHash;
    v.headHash = kZeroHash;
    if (anchoredSeq == 0) w.anchoredHash = kZeroHash;
    bool legacyRun = true;
    auto walked = log.forEach([&](const AuditRecord& r) {
        ++v.records;
        legacyRun = legacyRun && r.format == 1;
        if (legacyRun) ++w.leadingLegacy;
        if (v.brokenSeq) return;
        const std::string why = brokenLink(r, v.records, prevHash, legacy);
        if (!why.empty()) {
            v.brokenSeq = r.seq;
            v.reason = "record " + std::to_string(r.seq) + ": " + why;
            return;
        }
        prevHash = r.hash;
        v.headHash = r.hash;
        if (r.seq == anchoredSeq) w.anchoredHash = r.hash;
    });
    if (!walked) return unexpected(walked.error());
    return w;
}

// Checks an intact chain of `v.records` records against its anchor `a` (see audit_log.h).
void checkAnchor(AuditVerification& v, const std::optional<AuditAnchor>& a,
                 const std::string& anchoredHash, const std::string& anchorFile) {
    if (!a) {
        v.brokenSeq = v.records + 1;
        v.reason = "the anchor " + anchorFile +
                   " is missing, so records removed from the end cannot be ruled out "
                   "(atelier-cli audit reanchor accepts the log as it is)";
    } else if (v.records < a->records) {
        v.brokenSeq = v.records + 1;
        v.reason = "the log ends at record " + std::to_string(v.records) + " but its anchor " +
                   anchorFile + " counts " + std::to_string(a->records) + " records: " +
                   std::to_string(a->records - v.records) + " records were removed from the end";
    } else if (anchoredHash != a->head) {
        v.brokenSeq = std::max<std::int64_t>(a->records, 1);
        v.reason = "record " + std::to_string(a->records) + " does not have the hash its anchor " +
                   anchorFile + " records: the log was replaced or rewritten";
    } else {
        v.unanchored = v.records - a->records;
    }
}

}  // namespace

Result<AuditHead> AuditLog::head() {
    auto last = lastRecord(m_db);
    if (!last) return unexpected(last.error());
    return AuditHead{last->first, last->second};
}

Result<std::vector<AuditClaimFailure>> AuditLog::checkClaims(const std::vector<AuditHeadClaim>& claims) {
    std::vector<AuditClaimFailure> failures;
    if (claims.empty()) return failures;
    auto last = lastRecord(m_db);
    if (!last) return unexpected(last.error());
    for (std::size_t i = 0; i < claims.size(); ++i) {
        const AuditHeadClaim& c = claims[i];
        const std::string recorded = c.owner + " recorded the log at " + std::to_string(c.head.records) +
                                     " records (head " + c.head.hash + ")";
        if (c.head.records < 0 || !isHexHash(c.head.hash)) {
            failures.push_back({i, 1, recorded + ", which is not a valid head"});
            continue;
        }
        if (c.head.records > last->first) {
            failures.push_back({i, last->first + 1,
                                recorded + " but the log ends at record " + std::to_string(last->first) +
                                    ": " + std::to_string(c.head.records - last->first) +
                                    " records were removed from the end"});
            continue;
        }
        auto hash = hashAt(m_db, c.head.records);
        if (!hash) return unexpected(hash.error());
        if (*hash != c.head.hash)
            failures.push_back({i, std::max<std::int64_t>(c.head.records, 1),
                                recorded + " but record " + std::to_string(c.head.records) +
                                    (hash->empty() ? " is missing" : " has another hash") +
                                    ": the log was replaced or rewritten"});
    }
    return failures;
}

Result<AuditVerification> AuditLog::verify(const std::vector<AuditHeadClaim>& claims) {
    auto anchor = readAnchor(m_db.path());
    if (!anchor) return unexpected(anchor.error());
    const std::optional<AuditAnchor> a = *anchor;
    auto walk = walkChain(*this, a ? a->legacyRecords : 0, a ? a->records : -1);
    if (!walk) return unexpected(walk.error());
    AuditVerification v = std::move(walk->v);
    v.anchor = a;
    if (v.brokenSeq) return v;
    if (!inMemory(m_db.path())) checkAnchor(v, a, walk->anchoredHash, anchorPath(m_db.path()).string());
    // The chain is intact from record 1, so looking records up by seq reads verified hashes.
    auto failures = checkClaims(claims);
    if (!failures) return unexpected(failures.error());
    v.claimFailures = std::move(*failures);
    const auto first = std::min_element(v.claimFailures.begin(), v.claimFailures.end(),
                                        [](const auto& x, const auto& y) { return x.seq < y.seq; });
    if (!v.brokenSeq && first != v.claimFailures.end()) {
        v.brokenSeq = first->seq;
        v.reason = first->reason;
    }
    return v;
}

Result<AuditAnchor> AuditLog::reanchor() {
    auto lock = AnchorLock::take(m_db.path());
    if (!lock) return unexpected(lock.error());
    // A damaged anchor is replaced like a missing one; then the leading format-1 records are
    // the legacy ones.
    auto anchor = readAnchor(m_db.path());
    std::optional<AuditAnchor> a = anchor ? *anchor : std::nullopt;
    auto first = walkChain(*this, 0, -1);
    if (!first) return unexpected(first.error());
    const std::int64_t legacy = a ? std::min(a->legacyRecords, first->v.records) : first->leadingLegacy;
    auto walk = walkChain(*this, legacy, -1);
    if (!walk) return unexpected(walk.error());
    if (walk->v.brokenSeq)
        return unexpected(Error::badInput("the audit log's chain is broken (" + walk->v.reason +
                                          "); it cannot be anchored"));
    const AuditAnchor next{walk->v.records, walk->v.headHash, legacy};
    ATELIER_TRY_VOID(writeAnchor(m_db.path(), next));
    logger("agents")->warn("{}: re-anchored at {} records (head {})", m_db.path().string(),
                           next.records, next.head);
    return next;
}

}  // namespace atelier::agents
