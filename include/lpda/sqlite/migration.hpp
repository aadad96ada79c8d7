#pragma once
/// Migrations that run code (`migration::run`, lpda/sqlite/data_type.hpp): the context a step
/// gets, the helpers a table rebuild uses, and the events the store reports while a migration
/// runs (`settings::on_migration`). SQLite facts used here:
/// https://www.sqlite.org/c3ref/progress_handler.html (the heartbeat during one long statement)
/// and https://www.sqlite.org/dbstat.html (a table's size).
#include "lpda/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace lpda::sqlite {

/// What the store says about one migration while it runs. Every event names the migration;
/// `done`, `total` and `unit` are the last progress the step reported (0, 0, "" before any).
struct migration_event {
  enum class kind {
    started,    ///< before its transaction begins (after the free-disk check)
    progress,   ///< the step called `migration_context::progress`
    heartbeat,  ///< nothing reported for `settings::migration_heartbeat` while SQLite works
    finished,   ///< committed, with its `schema_migrations` row
    failed,     ///< rolled back (the store then throws or retries the whole migration on busy)
  };
  kind what = kind::started;
  std::string_view component;      ///< "core", "agentActivity", ...
  int number = 0;                  ///< its number in the component
  std::string_view description;    ///< `migration::description`
  std::uint64_t bytes_needed = 0;  ///< `migration::bytes_needed`'s estimate, bytes; 0 for none
  std::uint64_t done = 0;          ///< units done so far
  std::uint64_t total = 0;         ///< units in all; 0 when unknown
  std::string_view unit;           ///< what is counted, e.g. "rows"
  std::chrono::milliseconds elapsed{0};  ///< since `started`
  /// On `finished`: another process (one holding another lock file on the same database)
  /// applied this migration while this one waited for the write lock; this one changed nothing.
  bool applied_elsewhere = false;
};

/// Told about every migration the store runs, on the thread opening the store (also from inside
/// SQLite's progress handler: it must not use the store and must not throw; an exception is
/// dropped). Empty: nothing is told.
using migration_observer = std::function<void(const migration_event&)>;

/// What a migration's code step (`migration::run`) gets: the connection, inside the migration's
/// open transaction, and a way to report progress. Made by the store for each step.
class migration_context {
 public:
  using progress_fn = std::function<void(std::uint64_t, std::uint64_t, std::string_view)>;
  migration_context(SQLite::Database& db, progress_fn on_progress)
      : db_(db), on_progress_(std::move(on_progress)) {}

  /// The store's connection, in the migration's transaction (do not begin or commit).
  SQLite::Database& db() noexcept { return db_; }

  /// Reports that `done` of `total` units (0: unknown) of `unit` ("rows") are done; the store
  /// passes it on as a `migration_event::kind::progress`. Cheap; call it every few thousand
  /// units rather than per unit.
  void progress(std::uint64_t done, std::uint64_t total, std::string_view unit) {
    if (on_progress_) on_progress_(done, total, unit);
  }

 private:
  SQLite::Database& db_;
  progress_fn on_progress_;
};

/// Copies every row of `select_sql` into `insert_sql`, one step of the INSERT per row: column i
/// of the row (0-based) is bound to parameter i + 1 with its type and value unchanged, so the
/// INSERT takes as many parameters as the SELECT has columns. The caller writes the SELECT with
/// the ORDER BY the target's key wants (rows arriving in key order fill pages once) and gives
/// `total`, the rows it will yield (e.g. `SELECT count(*)` of the source; 0 if unknown), for the
/// progress reported every `every` rows and once at the end, in `unit`. Runs inside the
/// migration's transaction; returns the rows copied. Throws `SQLite::Exception` on any SQLite
/// failure (the store rolls the migration back).
std::uint64_t copy_rows(migration_context& ctx, std::string_view select_sql,
                        std::string_view insert_sql, std::uint64_t total,
                        std::string_view unit = "rows", std::uint64_t every = 10000);

/// The bytes the pages of table or index `name` take in the database file (SQLite's `dbstat`
/// virtual table, which reads every page of it once: about a second per GB from disk). 0 for a
/// name that does not exist. For `migration::bytes_needed`. Throws `SQLite::Exception`.
std::uint64_t table_bytes(SQLite::Database& db, std::string_view name);

/// Free disk, in bytes, for an unprivileged writer in directory `dir` (statvfs(3): f_bavail ×
/// f_frsize). `errc::store_io` naming the directory when statvfs fails.
result<std::uint64_t> free_disk_bytes(const std::filesystem::path& dir);

/// A migration a store would apply at open, as `pending_migrations` lists it.
struct planned_migration {
  std::string component;
  int number = 0;
  std::string description;
  std::uint64_t bytes_needed = 0;  ///< `migration::bytes_needed` on the file now; 0 for none
};

}  // namespace lpda::sqlite
