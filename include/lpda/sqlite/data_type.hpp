#pragma once
/// What a data type brings to the SQLite store: its migrations (a component of the schema with
/// its own numbers, docs/schema.md "Schema versions") and its writer, which stores one file's
/// records inside the store's transaction. The composition root hands the store one
/// `data_type_store` per data type at open, so this module depends on no data type.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
}

namespace lpda::sqlite {

class migration_context;

/// One step of a component's schema. Applied in order of `number`, each in its own transaction
/// together with its `schema_migrations` row: `sql`, then `run`, then the row, committed at once,
/// so a kill leaves the file before or after the whole step, never between. A migration that has
/// landed is never renumbered or edited: a change is a new migration.
struct migration {
  int number;  ///< 1, 2, ...: its place in the component
  /// The least `PRAGMA user_version` a file has once this migration is applied. Builds from
  /// before `schema_migrations` check nothing else, so a migration changing what they read or
  /// write (a table or view of `core` or `agentActivity`) carries a generation above 4 and raises
  /// `latest_schema_version()` with it; a migration they never see (a new component's tables)
  /// carries 0 and leaves user_version as it is. 1..4 belong to the migrations listed with a
  /// `legacy_version` (docs/schema.md, "Schema versions").
  int generation;
  std::string_view description;  ///< one line, for logs and `schema_migrations.description`
  std::string_view sql;          ///< statements run by `sqlite3_exec`
  /// The global version (1..4) that applied this migration before `schema_migrations` existed:
  /// converting a file at user_version N records exactly the migrations with a legacy_version in
  /// 1..N as applied. 0 for every migration added since: conversion never records it, so it runs.
  int legacy_version = 0;
  /// Optional code run after `sql`, inside the same transaction (e.g. a table rebuild copying
  /// rows with `copy_rows`, lpda/sqlite/migration.hpp), reporting its progress through the
  /// context. Throws to roll the migration back: `SQLite::Exception` (mapped to
  /// `errc::store_busy` or `errc::store_io` as any store write) or `lpda::error_exception`.
  void (*run)(migration_context&) = nullptr;
  /// Optional estimate of the free disk, in bytes, the migration needs on the database's file
  /// system while it runs, computed on the file before it starts (e.g. twice a table's size,
  /// `table_bytes`: the copy in the database file plus its pages in the WAL). The store refuses
  /// to start it with less free space (`errc::store_full`). nullptr or 0: no check.
  std::uint64_t (*bytes_needed)(SQLite::Database&) = nullptr;
};

/// A part of the schema numbering its own migrations: "core" (ledger, checkpoints) or a data
/// type's name ("agentActivity").
struct component {
  std::string_view name;
  std::span<const migration> migrations;  ///< ascending by number, from 1, no gaps
};

/// What one data type's writer did with one file's records.
struct write_counts {
  std::uint64_t read = 0;      ///< records taken from the source
  std::uint64_t inserted = 0;  ///< new rows (natural key not stored before)
};

/// Stores one file's records of a data type. Runs inside the store's open transaction, on the
/// store's thread; keeps prepared statements for the connection's life.
class record_writer {
 public:
  virtual ~record_writer() = default;
  /// Takes every record of `records` and upserts it. Returns the source's error unchanged, or
  /// `errc::config_invalid` when `records` is another data type's source; the store then rolls
  /// back. Throws SQLite::Exception on SQLite failures (the store rolls back, retries on busy
  /// before anything was read, and maps the error).
  virtual result<write_counts> write(const std::string& account, const std::string& file_key,
                                     std::int64_t now_ms, record_source& records) = 0;
};

/// One data type's part of the SQLite store.
struct data_type_store {
  std::string data_type;  ///< the Data Access name, e.g. "agentActivity"
  component schema;       ///< its tables and views; `schema.name` == `data_type`
  /// Makes the writer on the store's connection (after the migrations ran).
  std::function<std::unique_ptr<record_writer>(SQLite::Database&)> make_writer;
};

/// The core component: the ledger (`files`), `checkpoints`.
const component& core_component() noexcept;

/// Opens `path` read-only for a report: never creates, migrates or writes it (a concurrent
/// writer is not blocked, WAL), after the same checks `database::open` makes before it writes:
/// the user_version guard and the core component's numbers. `sqlite_busy_timeout` 5 s.
/// Errors: `errc::unreadable` when the file is missing; `errc::store_schema` for a file from a
/// newer lpda-sync (the message says so and names the file); `errc::store_io` for other SQLite
/// failures.
result<std::unique_ptr<SQLite::Database>> open_read_only(const std::filesystem::path& path);

/// `errc::store_schema` when the file `db` (named `path` in the message) holds a migration of
/// `c` numbered above the last this build knows; nothing when it holds none or older ones.
result<void> check_not_newer(SQLite::Database& db, const std::filesystem::path& path,
                             const component& c);

}  // namespace lpda::sqlite
