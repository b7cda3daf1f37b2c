// Database: one SQLite connection, opened with the pragmas every Atelier database uses.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <sqlite3.h>

#include "atelier/base/log.h"
#include "atelier/base/sqlite.h"

namespace atelier::base {
namespace {

constexpr std::size_t kHeaderBytes = 100;  // SQLite's database header (fileformat2 §1.3)
constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with the terminating NUL

std::uint32_t readBigEndian(const unsigned char* p, int bytes) {
    std::uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}

// Rejects a file that SQLite would reject later, or worse, read as zeros: a foreign file, or a
// database cut short (a half-copied file). Checked before SQLite sees it so the message names
// what is wrong. A database with a live WAL is left to SQLite: its header may legitimately
// run ahead of the main file during a checkpoint that a crash interrupted.
Result<void> checkFileHeader(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size == 0) return {};  // an empty file is a new, empty database
    std::array<unsigned char, kHeaderBytes> header{};
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(header.data()), header.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    const std::string name = path.string();
    if (got < sizeof(kMagic) || std::memcmp(header.data(), kMagic, sizeof(kMagic)) != 0)
        return unexpected(Error::badInput(name + ": file is not a database (no SQLite header)"));
    if (got < kHeaderBytes)
        return unexpected(Error::badInput(name + ": file is not a database (truncated header, " +
                                          std::to_string(size) + " bytes)"));
    std::uint32_t pageSize = readBigEndian(&header[16], 2);
    if (pageSize == 1) pageSize = 65536;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0)
        return unexpected(Error::badInput(name + ": file is not a database (page size " +
                                          std::to_string(pageSize) + " at byte 16)"));
    auto wal = path;
    wal += "-wal";
    const auto walSize = std::filesystem::file_size(wal, ec);
    if (!ec && walSize > 0) return {};
    // A hot rollback journal (a writer killed mid-transaction) holds the pages that restore
    // the file to its last commit; until SQLite plays it back the size may not match.
    auto journal = path;
    journal += "-journal";
    const auto journalSize = std::filesystem::file_size(journal, ec);
    if (!ec && journalSize > 0) return {};
    const std::uint32_t pages = readBigEndian(&header[28], 4);
    const bool pagesValid = pages != 0 && readBigEndian(&header[24], 4) == readBigEndian(&header[92], 4);
    const std::uint64_t expected = std::uint64_t(pages) * pageSize;
    if (size % pageSize != 0 || (pagesValid && expected > size))
        return unexpected(Error::badInput(
            name + ": database file is truncated (header at byte 28 says " + std::to_string(pages) +
            " pages of " + std::to_string(pageSize) + " bytes, the file has " +
            std::to_string(size) + " bytes)"));
    return {};
}

int openFlags(OpenMode mode) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    switch (mode) {
    case OpenMode::ReadWriteCreate: return flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    case OpenMode::ReadWrite: return flags | SQLITE_OPEN_READWRITE;
    case OpenMode::ReadOnly: return flags | SQLITE_OPEN_READONLY;
    }
    return flags;
}

}  // namespace

Error sqliteError(int rc, std::string_view sqliteMessage, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    msg += sqliteMessage;
    msg += " (SQLite error " + std::to_string(rc) + ")";
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOLFS: return Error::io(std::move(msg));
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_FORMAT: return Error::badInput(std::move(msg));
    case SQLITE_INTERRUPT: return Error{ErrorCode::Cancelled, std::move(msg)};
    default: return Error::internal(std::move(msg));
    }
}

Result<Database> Database::open(const std::filesystem::path& path, const OpenOptions& options) {
    const bool memory = path == ":memory:";
    if (!memory) {
        auto header = checkFileHeader(path);
        if (!header) return unexpected(std::move(header.error()));
    }
    Database db;
    db.m_path = path;
    const int rc = sqlite3_open_v2(path.c_str(), &db.m_db, openFlags(options.mode), nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db.m_db ? sqlite3_errmsg(db.m_db) : sqlite3_errstr(rc);
        return unexpected(sqliteError(rc, msg, path.string() + ": cannot open"));
    }
    sqlite3_extended_result_codes(db.m_db, 1);
    sqlite3_busy_timeout(db.m_db, static_cast<int>(options.busyTimeout.count()));
    // The first statements that read the file: a foreign file fails here with SQLITE_NOTADB.
    ATELIER_TRY_VOID(db.exec("PRAGMA foreign_keys = ON"));
    ATELIER_TRY_VOID(db.queryInt("SELECT count(*) FROM sqlite_schema"));
    if (options.wal && !memory && options.mode != OpenMode::ReadOnly) {
        // Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY
        // at once (without the busy handler) while another connection opens the same file
        // (two processes starting on a fresh data folder): retry for the busy timeout.
        const auto deadline = std::chrono::steady_clock::now() + options.busyTimeout;
        auto delay = std::chrono::milliseconds(1);
        auto mode = db.queryText("PRAGMA journal_mode = WAL");
        while (!mode && (sqlite3_extended_errcode(db.m_db) & 0xff) == SQLITE_BUSY &&
               std::chrono::steady_clock::now() + delay < deadline) {
            std::this_thread::sleep_for(delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(50));
            mode = db.queryText("PRAGMA journal_mode = WAL");
        }
        if (!mode) return unexpected(std::move(mode.error()));
        if (*mode != "wal")
            logger("store")->warn("{}: journal mode is '{}', not WAL", path.string(), *mode);
        // NORMAL in WAL: a commit survives a process crash; only a power loss may roll back
        // the last transactions, never corrupt the file.
        ATELIER_TRY_VOID(db.exec("PRAGMA synchronous = NORMAL"));
    }
    return db;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (m_db) sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

Database::~Database() {
    // close_v2 defers the close until every statement and blob made from it is finalized.
    if (m_db) sqlite3_close_v2(m_db);
}

Error Database::lastError(int rc, std::string_view sql) const {
    std::string what = m_path.string();
    if (!sql.empty()) {
        what += " [";
        what += sql.substr(0, 200);
        what += "]";
    }
    return sqliteError(rc, m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc), what);
}

Result<void> Database::exec(std::string_view sql) {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        return unexpected(sqliteError(rc, msg, m_path.string() + " [" + text.substr(0, 200) + "]"));
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return unexpected(lastError(rc, sql));
    return Statement(stmt, std::string(sql));
}

Result<std::int64_t> Database::queryInt(std::string_view sql) {
    auto stmt = prepare(sql);
    if (!stmt) return unexpected(std::move(stmt.error()));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    return *row ? stmt->columnInt(0) : std::int64_t{0};
}

Result<std::string> Database::queryText(std::string_view sql) {
    auto stmt = prepare(sql);
    if (!stmt) return unexpected(std::move(stmt.error()));
    auto row = stmt->step();
    if (!row) return unexpected(std::move(row.error()));
    return *row ? stmt->columnText(0) : std::string();
}

std::int64_t Database::lastInsertRowId() const { return sqlite3_last_insert_rowid(m_db); }
int Database::changes() const { return sqlite3_changes(m_db); }
bool Database::inTransaction() const { return m_db && sqlite3_get_autocommit(m_db) == 0; }

Result<void> Database::backupTo(const std::filesystem::path& dest) {
    // Into a temporary first, then renamed: a crash never leaves a half-written backup under
    // the real name.
    auto tmp = dest;
    tmp += ".tmp";
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    sqlite3* out = nullptr;
    int rc = sqlite3_open_v2(tmp.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    auto fail = [&](int code, std::string msg) {
        sqlite3_close_v2(out);
        std::filesystem::remove(tmp, ec);
        return unexpected(sqliteError(code, msg, "backup of " + m_path.string() + " to " +
                                                     dest.string()));
    };
    if (rc != SQLITE_OK) return fail(rc, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
    sqlite3_backup* backup = sqlite3_backup_init(out, "main", m_db, "main");
    if (!backup) return fail(sqlite3_extended_errcode(out), sqlite3_errmsg(out));
    do {
        rc = sqlite3_backup_step(backup, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) return fail(rc, sqlite3_errstr(rc));
    rc = sqlite3_close(out);
    out = nullptr;
    if (rc != SQLITE_OK) return fail(rc, sqlite3_errstr(rc));
    std::filesystem::rename(tmp, dest, ec);
    if (ec) return fail(SQLITE_IOERR, "cannot rename " + tmp.string() + ": " + ec.message());
    return {};
}

Result<BlobStream> Database::openBlob(std::string_view table, std::string_view column,
                                      std::int64_t rowid, bool writable) {
    const std::string t(table), c(column);
    sqlite3_blob* blob = nullptr;
    const int rc = sqlite3_blob_open(m_db, "main", t.c_str(), c.c_str(), rowid, writable ? 1 : 0, &blob);
    std::string what = t + "." + c + " rowid " + std::to_string(rowid) + " in " + m_path.string();
    if (rc != SQLITE_OK) {
        Error e = sqliteError(rc, sqlite3_errmsg(m_db), what);
        if (blob) sqlite3_blob_close(blob);
        return unexpected(std::move(e));
    }
    return BlobStream(blob, std::move(what));
}

}  // namespace atelier::base
