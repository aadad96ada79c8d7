#pragma once
/// The SQLite store: one database file holding the file ledger, the per-account checkpoints and
/// each data type's tables (schema and views: docs/schema.md). SQLite facts used here:
/// https://www.sqlite.org/wal.html, https://www.sqlite.org/lang_upsert.html,
/// https://www.sqlite.org/lang_transaction.html. No SQLite types in this header: the
/// composition root opens the store through it.
#include "lpda/sqlite/data_type.hpp"
#include "lpda/sqlite/migration.hpp"
#include "lpda/store/database.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::sqlite {

/// `PRAGMA synchronous` (https://www.sqlite.org/pragma.html#pragma_synchronous). With WAL,
/// `normal` can lose the last commits on a power cut but never consistency (the ledger re-fetches
/// what was lost); `full` makes every commit durable.
enum class synchronous_mode { normal, full };

/// Settings of one SQLite store.
struct settings {
  /// The database file. Its directory must exist. A missing file is created with `file_mode`.
  std::filesystem::path path;
  synchronous_mode synchronous = synchronous_mode::normal;
  /// Permission bits of a newly created database file (and, through SQLite, of its -wal and
  /// -shm files). 0600 or 0640; bits for "others" are refused (`errc::config_invalid`). An
  /// existing file keeps its mode.
  unsigned file_mode = 0600;
  /// How long SQLite itself waits for another connection's lock before reporting SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
  /// After SQLITE_BUSY, how many more times a whole transaction is retried before the operation
  /// fails with `errc::store_busy`.
  int busy_retries = 4;
  /// Sleep before the first retry; doubled for each further retry, capped at `busy_backoff_max`.
  std::chrono::milliseconds busy_backoff{100};
  std::chrono::milliseconds busy_backoff_max{2000};
  /// SQLite page cache of the connection, in KiB (`PRAGMA cache_size = -N`). A file's events
  /// land in its sessions' ranges of the events table; a cache that holds a file's pages keeps
  /// its transaction from spilling pages to the WAL more than once.
  int cache_kib = 32768;
  /// The WAL size, in KiB, at which a commit checkpoints it into the database
  /// (`PRAGMA wal_autocheckpoint`, https://www.sqlite.org/wal.html#ckpt). A page changed by many
  /// commits between two checkpoints is written to the database once; the WAL file grows to about
  /// this size and stays (it is reused, not deleted). SQLite's default is 1,000 pages (4 MiB);
  /// 128 MiB wrote 13 % fewer bytes on the realistic benchmark (docs/benchmarks.md).
  int checkpoint_kib = 131072;
  /// Told when each migration starts, reports progress, beats and ends (`migration_event`);
  /// empty: nobody is told.
  migration_observer on_migration{};
  /// While a migration runs, a `heartbeat` event follows this long without another event, as
  /// long as SQLite is working (its progress handler is checked every 1000 virtual machine
  /// steps, so also during one long statement, e.g. a sort).
  std::chrono::milliseconds migration_heartbeat{1000};
  /// For tests only: the free disk, in bytes, the check before a migration believes instead of
  /// statvfs's figure for the database's directory (a small file system needs root to mount).
  /// nullopt, as everywhere outside tests: statvfs.
  std::optional<std::uint64_t> free_disk_for_tests{};
};

/// The `PRAGMA user_version` this build writes and the largest it opens: the largest
/// `migration::generation` of its migrations (docs/schema.md, "Schema versions").
int latest_schema_version() noexcept;

/// The SQLite implementation of the store (`store::database`).
///
/// Every mutating operation is one `BEGIN IMMEDIATE` transaction. When another process holds the
/// write lock, SQLite waits `busy_timeout`; if it is still locked, the whole transaction is rolled
/// back and retried after a backoff, at most `busy_retries` times, then the operation returns
/// `errc::store_busy` — never a partial write. Other SQLite failures are `errc::store_io`.
/// Not thread-safe (the connection is opened SQLITE_OPEN_NOMUTEX); it may move between threads.
class database final : public store::database {
 public:
  /// Opens (creating with `settings::file_mode` if missing) and migrates the database: the core
  /// schema's migrations, then each data type's of `data_types` (the writers this store gets,
  /// from the composition root), each pending migration in its own transaction; a database of
  /// the scheme before `schema_migrations` (user_version 1..4) is converted first, in one
  /// transaction. Sets WAL, foreign keys, busy timeout, cache size and `synchronous`.
  /// Throws `lpda::error_exception`: `errc::store_schema` when the file's schema is newer than
  /// this build (a larger user_version, or a component's migration number above this build's;
  /// the file is left unchanged), `errc::config_invalid` for a bad `file_mode` or two entries of
  /// `data_types` for one data type, `errc::store_busy` when locked past the retry bound,
  /// `errc::store_full` when a pending migration's `bytes_needed` exceeds the free disk of the
  /// database's directory (checked for every pending migration before the first starts, and
  /// again before each; the message names the bytes needed and free, the directory and the
  /// migration; nothing of that migration was changed), `errc::store_io` otherwise. Each
  /// migration is reported to `settings::on_migration`.
  static database open(const settings& s, std::vector<data_type_store> data_types);

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database() override;

  using store::database::ingest_file;
  result<store::ingest_summary> ingest_file(std::string_view account, std::string_view data_type,
                                            const data_file& file, record_source& records,
                                            std::int64_t now_ms,
                                            std::optional<std::int64_t> file_bytes) override;
  result<std::optional<store::file_status>> status_of(std::string_view account,
                                                      std::string_view data_type,
                                                      std::string_view file_key) override;
  result<store::file_status> record_failure(std::string_view account, std::string_view data_type,
                                            const data_file& file, const lpda::error& err,
                                            int quarantine_after, std::int64_t now_ms,
                                            int* attempts_out = nullptr) override;
  result<std::vector<store::file_record>> list_files(
      std::optional<std::string_view> account, std::optional<store::file_status> status) override;
  result<int> reset_quarantined(std::optional<std::string_view> account,
                                std::int64_t now_ms) override;
  result<std::optional<std::int64_t>> watermark(std::string_view account,
                                                std::string_view data_type) override;
  result<std::optional<std::int64_t>> newest_scope_end(std::string_view account,
                                                       std::string_view data_type) override;
  result<std::int64_t> advance_watermark(
      std::string_view account, std::string_view data_type, std::int64_t watermark_ms,
      std::int64_t now_ms, std::optional<std::int64_t> polled_from_ms = std::nullopt) override;
  result<void> reset_watermark(std::string_view account, std::string_view data_type,
                               std::optional<std::int64_t> watermark_ms,
                               std::int64_t now_ms) override;
  result<void> record_poll(std::string_view account, std::string_view data_type,
                           const std::optional<std::string>& error, std::int64_t now_ms,
                           std::optional<store::clock_reading> clocks = std::nullopt) override;
  result<std::vector<store::account_status>> status(std::int64_t now_ms) override;

  /// The schema version of the open file (`PRAGMA user_version`). Throws
  /// `lpda::error_exception` (`errc::store_io`) if it cannot be read.
  int schema_version();

  /// The file this store writes.
  const std::filesystem::path& path() const noexcept;

  struct impl;

 private:
  explicit database(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The migrations `database::open` would apply to the file at `path` with `data_types`, in the
/// order it would apply them, each with its `bytes_needed` estimate on the file as it is. Opens
/// the file read-only and changes nothing (a missing file: every migration, needing 0 bytes).
/// Errors: `errc::store_schema` for a file from a newer lpda-sync or not an lpda-sync database,
/// `errc::store_busy` when locked, `errc::store_io` for other SQLite failures; messages name
/// the file.
result<std::vector<planned_migration>> pending_migrations(
    const std::filesystem::path& path, const std::vector<data_type_store>& data_types);

/// Copies the database at `source` into a new file `target` with SQLite's online backup API
/// (https://www.sqlite.org/backup.html), through its own read-only connection: one read
/// transaction, so the copy is consistent even while a daemon writes (WAL readers do not block
/// the writer). The copy is in rollback-journal mode (`journal_mode=DELETE`), so a reader that
/// cannot write its directory still opens it. It is written beside `target` and renamed over it,
/// so a reader of an older copy never sees a half-written file. Returns its size in bytes.
/// Errors: `errc::unreadable` when `source` does not exist; `errc::store_io` for SQLite or file
/// system failures (a missing target directory, no permission); messages name the file.
result<std::uint64_t> snapshot(const std::filesystem::path& source,
                               const std::filesystem::path& target);

}  // namespace lpda::sqlite
