// Statement: one prepared SQLite statement; BlobStream: incremental blob I/O.

#include <utility>

#include <sqlite3.h>

#include "atelier/base/sqlite.h"

namespace atelier::base {

Statement::Statement(Statement&& other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr)), m_sql(std::move(other.m_sql)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_stmt) sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_sql = std::move(other.m_sql);
    }
    return *this;
}

Statement::~Statement() {
    if (m_stmt) sqlite3_finalize(m_stmt);
}

Error Statement::error(int rc) const {
    sqlite3* db = sqlite3_db_handle(m_stmt);
    const char* file = sqlite3_db_filename(db, "main");
    std::string what = (file && *file) ? file : ":memory:";
    what += " [" + m_sql.substr(0, 200) + "]";
    return sqliteError(rc, sqlite3_errmsg(db), what);
}

#define ATELIER_SQLITE_BIND(call)                        \
    do {                                                 \
        const int rc_ = (call);                          \
        if (rc_ != SQLITE_OK) return unexpected(error(rc_)); \
        return {};                                       \
    } while (0)

Result<void> Statement::bindInt(int index, std::int64_t value) {
    ATELIER_SQLITE_BIND(sqlite3_bind_int64(m_stmt, index, value));
}

Result<void> Statement::bindDouble(int index, double value) {
    ATELIER_SQLITE_BIND(sqlite3_bind_double(m_stmt, index, value));
}

Result<void> Statement::bindText(int index, std::string_view value) {
    ATELIER_SQLITE_BIND(sqlite3_bind_text64(m_stmt, index, value.data(), value.size(),
                                            SQLITE_TRANSIENT, SQLITE_UTF8));
}

Result<void> Statement::bindBlob(int index, std::span<const std::byte> value) {
    // A zero-length span still binds an empty blob, not NULL.
    static const std::byte kEmpty{};
    const void* data = value.empty() ? &kEmpty : value.data();
    ATELIER_SQLITE_BIND(sqlite3_bind_blob64(m_stmt, index, data, value.size(), SQLITE_TRANSIENT));
}

Result<void> Statement::bindZeroBlob(int index, std::int64_t bytes) {
    ATELIER_SQLITE_BIND(sqlite3_bind_zeroblob64(m_stmt, index, static_cast<sqlite3_uint64>(bytes)));
}

Result<void> Statement::bindNull(int index) { ATELIER_SQLITE_BIND(sqlite3_bind_null(m_stmt, index)); }

#undef ATELIER_SQLITE_BIND

Result<int> Statement::parameterIndex(const char* name) const {
    const int index = sqlite3_bind_parameter_index(m_stmt, name);
    if (index == 0)
        return unexpected(Error::internal(std::string("no SQL parameter '") + name + "' in [" +
                                          m_sql.substr(0, 200) + "]"));
    return index;
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = error(rc);
    sqlite3_reset(m_stmt);
    return unexpected(std::move(e));
}

Result<void> Statement::run() {
    auto r = step();
    sqlite3_reset(m_stmt);
    if (!r) return unexpected(std::move(r.error()));
    return {};
}

void Statement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

int Statement::columnCount() const { return sqlite3_column_count(m_stmt); }

bool Statement::columnIsNull(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::columnInt(int column) const { return sqlite3_column_int64(m_stmt, column); }

double Statement::columnDouble(int column) const { return sqlite3_column_double(m_stmt, column); }

std::string_view Statement::columnTextView(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    const int bytes = sqlite3_column_bytes(m_stmt, column);  // after _text: the UTF-8 length
    return text ? std::string_view(text, static_cast<std::size_t>(bytes)) : std::string_view();
}

std::span<const std::byte> Statement::columnBlob(int column) const {
    const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(m_stmt, column));
    const int bytes = sqlite3_column_bytes(m_stmt, column);
    return data ? std::span<const std::byte>(data, static_cast<std::size_t>(bytes))
                : std::span<const std::byte>();
}

BlobStream::BlobStream(BlobStream&& other) noexcept
    : m_blob(std::exchange(other.m_blob, nullptr)), m_what(std::move(other.m_what)) {}

BlobStream& BlobStream::operator=(BlobStream&& other) noexcept {
    if (this != &other) {
        if (m_blob) sqlite3_blob_close(m_blob);
        m_blob = std::exchange(other.m_blob, nullptr);
        m_what = std::move(other.m_what);
    }
    return *this;
}

BlobStream::~BlobStream() {
    if (m_blob) sqlite3_blob_close(m_blob);
}

std::int64_t BlobStream::size() const { return m_blob ? sqlite3_blob_bytes(m_blob) : 0; }

Result<void> BlobStream::read(std::int64_t offset, std::span<std::byte> out) const {
    if (offset < 0 || offset + static_cast<std::int64_t>(out.size()) > size())
        return unexpected(Error::badInput(m_what + ": read of " + std::to_string(out.size()) +
                                          " bytes at offset " + std::to_string(offset) +
                                          " is past the blob's " + std::to_string(size()) + " bytes"));
    const int rc = sqlite3_blob_read(m_blob, out.data(), static_cast<int>(out.size()),
                                     static_cast<int>(offset));
    if (rc != SQLITE_OK) return unexpected(sqliteError(rc, sqlite3_errstr(rc), m_what));
    return {};
}

Result<void> BlobStream::write(std::int64_t offset, std::span<const std::byte> data) {
    if (offset < 0 || offset + static_cast<std::int64_t>(data.size()) > size())
        return unexpected(Error::badInput(m_what + ": write of " + std::to_string(data.size()) +
                                          " bytes at offset " + std::to_string(offset) +
                                          " is past the blob's " + std::to_string(size()) + " bytes"));
    const int rc = sqlite3_blob_write(m_blob, data.data(), static_cast<int>(data.size()),
                                      static_cast<int>(offset));
    if (rc != SQLITE_OK) return unexpected(sqliteError(rc, sqlite3_errstr(rc), m_what));
    return {};
}

}  // namespace atelier::base
