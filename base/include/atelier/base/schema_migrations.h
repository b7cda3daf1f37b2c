#pragma once
// Numbered schema migrations for an Atelier SQLite database.
//
// Bookkeeping: `PRAGMA application_id` says which kind of Atelier database a file is (so that a
// sessions database is never migrated as a checkpoint database, and a foreign SQLite file is
// refused as "not an Atelier database"). The table `schema_migrations(version, name,
// applied_at)` records every migration applied, one row each; the schema version is its
// largest `version`. `PRAGMA user_version` mirrors it so that a plain `sqlite3` shell shows the
// version too. All three change in the migration's own transaction, so a crash leaves the file
// either before or after a migration, never in between.
//
// Before migrating a database that already has a schema, it is copied with the online backup
// API to `<db>.bak-v<N>` (N = its version before migrating). A database whose version is newer
// than the newest migration this build knows (by its migration rows or by a `user_version`
// past them) is refused, untouched.
//
// Concurrency: each migration reads the version again inside its own BEGIN IMMEDIATE
// transaction, which holds the database's write lock, so several processes opening a fresh
// file at once serialise: one applies each migration, the others find it applied.
//
// Threads: whichever thread owns the Database.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "atelier/base/result.h"
#include "atelier/base/sqlite.h"

namespace atelier::base {

struct Migration {
    int version = 0;        // 1, 2, 3, ... in order, never reused or renumbered
    std::string_view name;  // short description, recorded in schema_migrations
    std::string_view sql;   // run with Database::exec inside the migration's transaction
};

struct Schema {
    std::string_view name;              // "sessions", "kv checkpoints": for messages
    std::uint32_t applicationId = 0;    // PRAGMA application_id; never reuse a value
    std::span<const Migration> migrations;

    int latestVersion() const { return migrations.empty() ? 0 : migrations.back().version; }
};

struct MigrateOptions {
    std::optional<int> targetVersion;  // default: the latest (tests build older versions)
    bool backup = true;                // copy to <db>.bak-v<N> before migrating
};

// The schema version of `db` (0 for an empty database). Errors when `db` is not a `schema`
// database: another Atelier database kind or a foreign SQLite file.
Result<int> schemaVersion(Database& db, const Schema& schema);

// The schema version of the file at `path` (0 when it is missing or empty), read without
// writing to it: no WAL switch, no migration. Only a hot journal that a killed writer left is
// rolled back, as any connection must before it can read the file.
Result<int> fileSchemaVersion(const std::filesystem::path& path, const Schema& schema,
                              std::chrono::milliseconds busyTimeout = OpenOptions{}.busyTimeout);

// Brings `db` to `options.targetVersion` (default latest), one transaction per migration.
// Returns the version it is at afterwards. Refuses a database newer than `schema` knows.
Result<int> migrate(Database& db, const Schema& schema, const MigrateOptions& options = {});

// Opens `path` (Database::open with `open`) and migrates it (`migrate`). An existing file is
// first looked at (fileSchemaVersion), so one that is newer than this build, foreign or damaged
// is refused before anything, not even the switch to WAL, writes to it.
Result<Database> openMigrated(const std::filesystem::path& path, const Schema& schema,
                              const OpenOptions& open = {}, const MigrateOptions& options = {});

// The backup file written before migrating `db` from `version`: "<db>.bak-v<version>".
std::filesystem::path migrationBackupPath(const std::filesystem::path& db, int version);

}  // namespace atelier::base
