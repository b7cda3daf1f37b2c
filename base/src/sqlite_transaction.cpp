// Transaction: BEGIN IMMEDIATE with a bounded busy retry; rolls back unless committed.

#include <thread>
#include <utility>

#include <sqlite3.h>

#include "atelier/base/log.h"
#include "atelier/base/sqlite.h"

namespace atelier::base {

Result<Transaction> Transaction::begin(Database& db, std::chrono::milliseconds budget) {
    // busy_timeout already waits inside each attempt; the retry covers the cases where SQLite
    // returns SQLITE_BUSY at once (a WAL recovery or a deadlock-avoiding early return).
    const auto deadline = std::chrono::steady_clock::now() + budget;
    auto delay = std::chrono::milliseconds(2);
    for (;;) {
        auto r = db.exec("BEGIN IMMEDIATE");
        if (r) return Transaction(db);
        const int rc = sqlite3_extended_errcode(db.handle()) & 0xff;
        const bool busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
        if (!busy || std::chrono::steady_clock::now() + delay > deadline)
            return unexpected(std::move(r.error()));
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(100));
    }
}

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() { rollback(); }

Result<void> Transaction::commit() {
    if (!m_db) return unexpected(Error::internal("commit of a transaction that is not active"));
    auto r = m_db->exec("COMMIT");
    if (!r) {
        rollback();
        return r;
    }
    m_db = nullptr;
    return {};
}

void Transaction::rollback() {
    if (!m_db) return;
    // After some errors (SQLITE_FULL during COMMIT, an I/O error) SQLite has already rolled
    // back; a second ROLLBACK would fail, so ask first.
    if (m_db->inTransaction()) {
        auto r = m_db->exec("ROLLBACK");
        if (!r) logger("store")->warn("rollback failed: {}", r.error().message);
    }
    m_db = nullptr;
}

}  // namespace atelier::base
