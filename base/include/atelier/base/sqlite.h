#pragma once
// A small RAII layer over SQLite: Database (one connection), Statement (one prepared statement),
// Transaction (BEGIN IMMEDIATE, rolls back unless committed) and BlobStream (incremental blob
// I/O). Every failure is a Result carrying SQLite's message, the file and the SQL.
//
// Used by the session store (agents) and the KV checkpoint store (engine). Qt-free.
//
// Threads: a Database and everything made from it belong to one thread at a time (the
// connection is opened without SQLite's own mutex). Open one Database per thread; WAL lets
// readers and one writer work side by side, and busy_timeout plus Transaction's retry make
// writers wait for each other instead of failing.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "atelier/base/result.h"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_blob;

namespace atelier::base {

enum class OpenMode {
    ReadWriteCreate,  // create the file when it does not exist
    ReadWrite,        // the file must exist
    ReadOnly,
};

struct OpenOptions {
    OpenMode mode = OpenMode::ReadWriteCreate;
    std::chrono::milliseconds busyTimeout{5000};  // how long a statement waits for a lock
    bool wal = true;                              // journal_mode=WAL, synchronous=NORMAL
};

class Statement;
class BlobStream;

// Maps an SQLite result code onto an Error: SQLITE_FULL and I/O failures are Io, a file that is
// not a database or is corrupt is BadInput, a constraint violation is BadInput. `what` names
// the file and the SQL.
Error sqliteError(int rc, std::string_view sqliteMessage, std::string_view what);

class Database {
public:
    // Opens (or creates) `path` with extended result codes, busy_timeout, foreign keys on and,
    // unless options.wal is false, WAL with synchronous=NORMAL. A file that is not an SQLite
    // database (wrong magic, truncated) is a BadInput error naming the file, never a crash.
    // ":memory:" opens a private in-memory database.
    static Result<Database> open(const std::filesystem::path& path, const OpenOptions& options = {});

    Database() = default;
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    bool isOpen() const { return m_db != nullptr; }
    const std::filesystem::path& path() const { return m_path; }

    // Runs one or more ;-separated statements that return no rows of interest.
    Result<void> exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);

    // The first column of the first row of `sql` as an integer (0 when there is no row).
    Result<std::int64_t> queryInt(std::string_view sql);
    // The first column of the first row of `sql` as text ("" when there is no row).
    Result<std::string> queryText(std::string_view sql);

    std::int64_t lastInsertRowId() const;
    int changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
    bool inTransaction() const;

    // Copies the whole database into `dest` with the online backup API (consistent even while
    // other connections write). `dest` is overwritten.
    Result<void> backupTo(const std::filesystem::path& dest);

    // Opens rowid `rowid` of `table`.`column` for incremental blob I/O.
    Result<BlobStream> openBlob(std::string_view table, std::string_view column, std::int64_t rowid,
                                bool writable);

    // The last error on this connection as an Error naming the file and `sql`.
    Error lastError(int rc, std::string_view sql) const;

    sqlite3* handle() const { return m_db; }

private:
    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
};

// A prepared statement. Bind indices start at 1 (SQLite's convention); column indices at 0.
// Column getters read the current row after step() returned true; a text or blob view stays
// valid until the next step(), reset() or destruction.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3_stmt* stmt, std::string sql) : m_stmt(stmt), m_sql(std::move(sql)) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Result<void> bindInt(int index, std::int64_t value);
    Result<void> bindDouble(int index, double value);
    Result<void> bindText(int index, std::string_view value);   // copied by SQLite
    Result<void> bindBlob(int index, std::span<const std::byte> value);  // copied by SQLite
    Result<void> bindZeroBlob(int index, std::int64_t bytes);   // a blob to fill with BlobStream
    Result<void> bindNull(int index);

    // Convenience overloads: integers and bool as INTEGER, floating point as REAL, strings as
    // TEXT, nullptr as NULL.
    template <typename I>
        requires std::is_integral_v<I>
    Result<void> bind(int index, I value) { return bindInt(index, static_cast<std::int64_t>(value)); }
    Result<void> bind(int index, double value) { return bindDouble(index, value); }
    Result<void> bind(int index, std::string_view value) { return bindText(index, value); }
    Result<void> bind(int index, const char* value) { return bindText(index, value); }
    Result<void> bind(int index, const std::string& value) { return bindText(index, value); }
    Result<void> bind(int index, std::nullptr_t) { return bindNull(index); }
    Result<void> bind(int index, std::span<const std::byte> value) { return bindBlob(index, value); }
    template <typename T>
    Result<void> bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bindNull(index);
    }

    // Binds by parameter name, including its prefix (":id", "@id", "$id").
    template <typename T>
    Result<void> bind(const char* name, T&& value) {
        auto index = parameterIndex(name);
        if (!index) return unexpected(std::move(index.error()));
        return bind(*index, std::forward<T>(value));
    }

    // Binds every argument in order from index 1.
    template <typename... Args>
    Result<void> bindAll(Args&&... args) {
        Result<void> result;
        int index = 1;
        auto one = [&](auto&& arg) {
            if (result) result = bind(index++, std::forward<decltype(arg)>(arg));
        };
        (one(std::forward<Args>(args)), ...);
        return result;
    }

    Result<int> parameterIndex(const char* name) const;

    // Advances to the next row: true when a row is ready, false when the statement is done.
    Result<bool> step();
    // Steps to completion (an INSERT/UPDATE/DELETE), then resets so it can run again.
    Result<void> run();
    // Resets to run again and clears the bindings.
    void reset();

    int columnCount() const;
    bool columnIsNull(int column) const;
    std::int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string_view columnTextView(int column) const;
    std::string columnText(int column) const { return std::string(columnTextView(column)); }
    std::span<const std::byte> columnBlob(int column) const;

    const std::string& sql() const { return m_sql; }
    sqlite3_stmt* handle() const { return m_stmt; }

private:
    Error error(int rc) const;

    sqlite3_stmt* m_stmt = nullptr;
    std::string m_sql;
};

// BEGIN IMMEDIATE on construction (via begin()), ROLLBACK in the destructor unless commit()
// succeeded. IMMEDIATE takes the write lock up front so that two writers never deadlock on a
// read-to-write upgrade; a busy database is retried with backoff for at most `budget`.
class Transaction {
public:
    static Result<Transaction> begin(Database& db,
                                     std::chrono::milliseconds budget = std::chrono::seconds(10));

    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    // Commits; on failure (disk full, I/O) the transaction is rolled back and nothing of it
    // is visible.
    Result<void> commit();
    void rollback();
    bool active() const { return m_db != nullptr; }

private:
    explicit Transaction(Database& db) : m_db(&db) {}
    Database* m_db = nullptr;
};

// Incremental I/O on one blob (sqlite3_blob): for blobs too big to bind in one piece, such as
// KV-cache chunks written as they are produced. The blob's size is fixed when its row is
// written (bindZeroBlob); reads and writes stay inside it.
class BlobStream {
public:
    BlobStream() = default;
    BlobStream(sqlite3_blob* blob, std::string what) : m_blob(blob), m_what(std::move(what)) {}
    BlobStream(BlobStream&& other) noexcept;
    BlobStream& operator=(BlobStream&& other) noexcept;
    BlobStream(const BlobStream&) = delete;
    BlobStream& operator=(const BlobStream&) = delete;
    ~BlobStream();

    std::int64_t size() const;
    Result<void> read(std::int64_t offset, std::span<std::byte> out) const;
    Result<void> write(std::int64_t offset, std::span<const std::byte> data);

private:
    sqlite3_blob* m_blob = nullptr;
    std::string m_what;  // "table.column rowid N in FILE", for errors
};

}  // namespace atelier::base
