// Numbered schema migrations: version bookkeeping, backup before migrating, refusal of newer
// schemas. See schema_migrations.h for the design.

#include "atelier/base/schema_migrations.h"

#include <algorithm>
#include <cstdio>

#include "atelier/base/log.h"

namespace atelier::base {
namespace {

// Every Atelier database kind has an application_id starting with these three bytes ("ATL").
constexpr std::uint32_t kAtelierIdPrefix = 0x41544C;

std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", v);
    return buf;
}

Result<int> readSchemaVersion(Database& db, const Schema& schema);

Error newerSchema(const std::filesystem::path& file, const Schema& schema, int version) {
    return Error::badInput(file.string() + ": the " + std::string(schema.name) +
                           " schema is version " + std::to_string(version) +
                           ", newer than this Atelier knows (" +
                           std::to_string(schema.latestVersion()) + "); open it with a newer Atelier");
}

Result<void> checkNumbering(const Schema& schema) {
    int expected = 1;
    for (const auto& m : schema.migrations) {
        if (m.version != expected++)
            return unexpected(Error::internal(std::string(schema.name) +
                                              " migrations are not numbered 1, 2, 3, ...: found " +
                                              std::to_string(m.version)));
    }
    return {};
}

// Applies `m` in its own transaction. The version is read again under the write lock that
// BEGIN IMMEDIATE takes (in WAL mode the same as EXCLUSIVE for writers), so two connections
// migrating a fresh file at once never both run a migration: the second finds it applied and
// skips it. Returns whether this connection applied it.
Result<bool> applyOne(Database& db, const Schema& schema, const Migration& m) {
    auto tx = Transaction::begin(db);
    if (!tx) return unexpected(std::move(tx.error()));
    auto current = schemaVersion(db, schema);
    if (!current) return unexpected(std::move(current.error()));
    if (*current > schema.latestVersion()) return unexpected(newerSchema(db.path(), schema, *current));
    if (*current >= m.version) return false;
    if (*current != m.version - 1)
        return unexpected(Error::internal(db.path().string() + ": " + std::string(schema.name) +
                                          " schema is at version " + std::to_string(*current) +
                                          ", cannot apply migration " + std::to_string(m.version)));
    if (m.version == 1) {
        ATELIER_TRY_VOID(db.exec("PRAGMA application_id = " + std::to_string(schema.applicationId)));
        ATELIER_TRY_VOID(db.exec(
            "CREATE TABLE schema_migrations ("
            " version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"));
    }
    ATELIER_TRY_VOID(db.exec(m.sql));
    auto insert = db.prepare("INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)");
    if (!insert) return unexpected(std::move(insert.error()));
    ATELIER_TRY_VOID(insert->bindAll(m.version, m.name));
    ATELIER_TRY_VOID(insert->run());
    ATELIER_TRY_VOID(db.exec("PRAGMA user_version = " + std::to_string(m.version)));
    ATELIER_TRY_VOID(tx->commit());
    return true;
}

}  // namespace

std::filesystem::path migrationBackupPath(const std::filesystem::path& db, int version) {
    auto p = db;
    p += ".bak-v" + std::to_string(version);
    return p;
}

Result<int> schemaVersion(Database& db, const Schema& schema) {
    // The reads below must see one state of the file: without a transaction, another
    // connection's migration could commit between the application_id and the table count.
    const bool own = !db.inTransaction();
    if (own) ATELIER_TRY_VOID(db.exec("BEGIN"));
    auto version = readSchemaVersion(db, schema);
    if (own) (void)db.exec("COMMIT");
    return version;
}

namespace {

Result<int> readSchemaVersion(Database& db, const Schema& schema) {
    const std::string file = db.path().string();
    auto appId = db.queryInt("PRAGMA application_id");
    if (!appId) return unexpected(std::move(appId.error()));
    auto objects = db.queryInt("SELECT count(*) FROM sqlite_schema");
    if (!objects) return unexpected(std::move(objects.error()));
    // user_version mirrors the newest migration; a value past what this build knows (a newer
    // Atelier, or someone's sqlite3 shell) marks the file as newer even without the rows.
    auto userVersion = db.queryInt("PRAGMA user_version");
    if (!userVersion) return unexpected(std::move(userVersion.error()));
    const bool userVersionNewer = *userVersion > schema.latestVersion();
    const auto id = static_cast<std::uint32_t>(*appId);
    if (id == 0) {
        if (*objects == 0) return userVersionNewer ? static_cast<int>(*userVersion) : 0;
        return unexpected(Error::badInput(file + ": not an Atelier database (an SQLite file with " +
                                          std::to_string(*objects) +
                                          " schema objects and no Atelier application_id)"));
    }
    if (id != schema.applicationId) {
        if ((id >> 8) == kAtelierIdPrefix)
            return unexpected(Error::badInput(
                file + ": not an Atelier " + std::string(schema.name) +
                " database (it is another kind of Atelier database, application_id " + hex(id) + ")"));
        return unexpected(Error::badInput(file + ": not an Atelier database (application_id " +
                                          hex(id) + ")"));
    }
    auto hasTable = db.queryInt(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
    if (!hasTable) return unexpected(std::move(hasTable.error()));
    if (*hasTable == 0)
        return unexpected(Error::badInput(file + ": damaged Atelier " + std::string(schema.name) +
                                          " database (no schema_migrations table)"));
    auto version = db.queryInt("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!version) return unexpected(std::move(version.error()));
    return static_cast<int>(userVersionNewer ? std::max(*version, *userVersion) : *version);
}

}  // namespace

Result<int> migrate(Database& db, const Schema& schema, const MigrateOptions& options) {
    ATELIER_TRY_VOID(checkNumbering(schema));
    const int latest = schema.latestVersion();
    const int target = options.targetVersion.value_or(latest);
    if (target < 0 || target > latest)
        return unexpected(Error::usage("no " + std::string(schema.name) + " schema version " +
                                       std::to_string(target) + " (latest is " +
                                       std::to_string(latest) + ")"));
    // A first look without the lock: an up-to-date database (nearly every open) takes no write
    // lock, and a newer one is refused before anything is written.
    auto current = schemaVersion(db, schema);
    if (!current) return current;
    const int from = *current;
    if (from > latest) return unexpected(newerSchema(db.path(), schema, from));
    if (from >= target) return from;
    auto log = logger("store");
    if (from > 0 && options.backup && db.path() != ":memory:") {
        const auto backup = migrationBackupPath(db.path(), from);
        ATELIER_TRY_VOID(db.backupTo(backup));
        log->info("{}: backed up to {} before migrating", db.path().string(), backup.string());
    }
    for (const auto& m : schema.migrations) {
        if (m.version <= from || m.version > target) continue;
        auto applied = applyOne(db, schema, m);
        if (!applied) {
            Error e = std::move(applied.error());
            e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                        ") failed: " + e.message;
            return unexpected(std::move(e));
        }
        if (*applied)
            log->info("{}: applied {} migration {} ({})", db.path().string(), schema.name,
                      m.version, m.name);
    }
    return target;
}

Result<int> fileSchemaVersion(const std::filesystem::path& path, const Schema& schema,
                              std::chrono::milliseconds busyTimeout) {
    std::error_code ec;
    if (path == ":memory:" || std::filesystem::file_size(path, ec) == 0 || ec) return 0;
    // Read-write, though it only reads: a process killed mid-write in rollback-journal mode (a
    // new file's first schema is written before the switch to WAL) leaves a hot journal that
    // SQLite rolls back on the next read, which a read-only connection cannot do: it fails
    // with SQLITE_READONLY_ROLLBACK, on every open after that crash.
    auto db = Database::open(path, {.mode = OpenMode::ReadWrite, .busyTimeout = busyTimeout,
                                    .wal = false});
    if (!db) return unexpected(std::move(db.error()));
    return schemaVersion(*db, schema);
}

Result<Database> openMigrated(const std::filesystem::path& path, const Schema& schema,
                              const OpenOptions& open, const MigrateOptions& options) {
    auto existing = fileSchemaVersion(path, schema, open.busyTimeout);
    if (!existing) return unexpected(std::move(existing.error()));
    if (*existing > schema.latestVersion()) return unexpected(newerSchema(path, schema, *existing));
    auto db = Database::open(path, open);
    if (!db) return unexpected(std::move(db.error()));
    auto version = migrate(*db, schema, options);
    if (!version) return unexpected(std::move(version.error()));
    return std::move(*db);
}

}  // namespace atelier::base
