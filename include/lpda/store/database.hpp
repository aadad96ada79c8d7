#pragma once
/// The SQLite store: one database file holding Agent Activity events, agents, sessions, the file
/// ledger and the per-account checkpoints (schema and views: docs/schema.md).
///
/// A `database` is the single writer of its file. It is not thread-safe: one thread at a time
/// uses it (it may be moved to another thread; the connection is opened SQLITE_OPEN_NOMUTEX).
/// Readers (BI tools, `lpda-sync status`) open their own connections; WAL mode keeps them from
/// blocking the writer. SQLite facts used here: https://www.sqlite.org/wal.html,
/// https://www.sqlite.org/lang_upsert.html, https://www.sqlite.org/lang_transaction.html.
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/event_source.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::store {

/// `PRAGMA synchronous` (https://www.sqlite.org/pragma.html#pragma_synchronous). With WAL,
/// `normal` can lose the last commits on a power cut but never consistency (the ledger re-fetches
/// what was lost); `full` makes every commit durable.
enum class synchronous_mode { normal, full };

/// Settings of one store.
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
  /// SQLite page cache of the connection, in KiB (`PRAGMA cache_size = -N`). One file's events
  /// land in one time range of the events table; a cache that holds that range keeps a file's
  /// transaction from spilling pages to the WAL more than once.
  int cache_kib = 32768;
  /// Events gathered from the source before they are written as one run sorted by key (with
  /// one write per agent and per session of the run). Larger runs put the writes closer to key
  /// order — a file's events interleave across its hour — but hold more events in memory. A run
  /// ends at `sort_run_events` events or once its events hold `sort_run_bytes` bytes (objects
  /// plus their strings), whichever comes first: about 0.4 KiB per event of real files, so the
  /// byte bound matters only for files with long names.
  std::size_t sort_run_events = 16384;
  std::size_t sort_run_bytes = std::size_t{6} << 20;
};

/// A file's state in the ledger. `done` and `quarantined` are terminal for the watermark.
enum class file_status { pending, done, failed, quarantined };

/// "pending", "done", "failed", "quarantined" (the text stored in `files.status`).
std::string_view to_string(file_status s) noexcept;
/// The inverse of `to_string`; nullopt for any other text.
std::optional<file_status> parse_file_status(std::string_view s) noexcept;

/// What one `ingest_file` did.
struct ingest_summary {
  std::uint64_t events_read = 0;      ///< events taken from the source
  std::uint64_t events_inserted = 0;  ///< new rows (natural key not stored before)
  std::uint64_t events_updated =
      0;  ///< events whose natural key was already stored (read − inserted)
  std::int64_t duration_ms = 0;  ///< wall time of the ingest, retries included
};

/// One row of the file ledger (`files` table).
struct file_record {
  std::string account_id;
  std::string data_type;
  std::string key;   ///< @name without a trailing ".gz"
  std::string name;  ///< @name verbatim
  std::string href;
  int part = 0;
  std::int64_t scope_start_ms = 0;  ///< epoch ms UTC
  std::int64_t scope_end_ms = 0;    ///< epoch ms UTC
  file_status status = file_status::pending;
  std::optional<std::int64_t> bytes;            ///< downloaded size in bytes, when known
  std::optional<std::int64_t> events;           ///< events read at the successful ingest
  std::optional<std::int64_t> events_inserted;  ///< new rows at the successful ingest
  int attempts = 0;                             ///< failed polls since the last reset
  std::optional<std::string> last_error_code;   ///< "<category>:<value>", e.g. "lpda:9"
  std::optional<std::string> last_error;        ///< message of the last failure
  std::int64_t first_seen_ms = 0;               ///< epoch ms the ledger first saw the file
  std::int64_t updated_ms = 0;                  ///< epoch ms of the last change to the row
};

/// Progress of one (account, data type), for `lpda-sync status`.
struct account_status {
  std::string account_id;
  std::string data_type;
  std::optional<std::int64_t> watermark_ms;     ///< epoch ms; nullopt before the first advance
  std::optional<std::int64_t> last_poll_ms;     ///< epoch ms of the last poll, successful or not
  std::optional<std::int64_t> last_success_ms;  ///< epoch ms of the last successful poll
  std::optional<std::int64_t> lag_ms;           ///< now − watermark, when there is a watermark
  std::int64_t files_pending = 0;
  std::int64_t files_done = 0;
  std::int64_t files_failed = 0;
  std::int64_t files_quarantined = 0;
  std::int64_t events_stored = 0;  ///< distinct event rows brought in by this account's files
  /// The server's time (epoch ms, from its `Date` header) at the last poll; nullopt when that
  /// poll had no usable `Date`.
  std::optional<std::int64_t> server_time_ms;
  /// Host minus server clock at the last poll, ms (positive: the host is ahead); nullopt with
  /// `server_time_ms`.
  std::optional<std::int64_t> clock_skew_ms;
  /// The last poll's error when it failed (nullopt after a successful poll), and the end of the
  /// first poll of the current run of failed polls (epoch ms).
  std::optional<std::string> last_error;
  std::optional<std::int64_t> last_error_since_ms;
};

/// The clocks as a poll saw them, for `database::record_poll`.
struct clock_reading {
  std::int64_t server_time_ms = 0;  ///< the server's now, epoch ms
  std::int64_t clock_skew_ms = 0;   ///< host minus server, ms
};

/// The schema version this build creates and understands (`PRAGMA user_version`).
int latest_schema_version() noexcept;

/// The one writer of a store file.
///
/// Every mutating operation is one `BEGIN IMMEDIATE` transaction. When another process holds the
/// write lock, SQLite waits `busy_timeout`; if it is still locked, the whole transaction is rolled
/// back and retried after a backoff, at most `busy_retries` times, then the operation returns
/// `errc::store_busy` — never a partial write. Other SQLite failures are `errc::store_io`.
class database {
 public:
  /// Opens (creating with `settings::file_mode` if missing) and migrates the database: each
  /// pending numbered migration runs in its own transaction. Sets WAL, foreign keys, busy
  /// timeout and `synchronous`.
  /// Throws `lpda::error_exception`: `errc::store_schema` when the file's schema is newer than
  /// this build (the file is left unchanged), `errc::config_invalid` for a bad `file_mode`,
  /// `errc::store_busy` when locked past the retry bound, `errc::store_io` otherwise.
  static database open(const settings& s);

  database(database&&) noexcept;
  database& operator=(database&&) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  /// Stores one file in ONE transaction: takes the events from `events` batch by batch, upserts
  /// them on the natural key (a repeated event updates only its attributes, and only when they
  /// differ), keeps `agents` at the attributes of each agent's latest event, widens
  /// `agent_sessions`, and writes the file's ledger row as `done` with its counts. All of it
  /// commits or none. `file_bytes` is the downloaded size, if known; `now_ms` epoch ms (it
  /// becomes `ingested_at_ms` of new rows and `updated_at_ms` of changed ones). Re-ingesting a
  /// file that is already `done` is allowed and adds nothing but changed attributes.
  /// Returns the source's own error unchanged when it fails (nothing is written); an exception
  /// thrown by the source propagates after the rollback. `errc::store_busy` when the write lock
  /// could not be taken (or was lost after events were consumed: the source cannot be replayed,
  /// so the caller retries the file); `errc::store_io` for other SQLite failures.
  result<ingest_summary> ingest_file(std::string_view account, std::string_view data_type,
                                     const data_file& file, event_source& events,
                                     std::int64_t now_ms,
                                     std::optional<std::int64_t> file_bytes = std::nullopt);

  /// The file's ledger status, or nullopt when the ledger has never seen it.
  result<std::optional<file_status>> status_of(std::string_view account, std::string_view data_type,
                                               std::string_view file_key);

  /// Records one failed poll of a file with its error: attempts + 1, status `failed`, or
  /// `quarantined` once attempts reach `quarantine_after` (≥ 1). A file already `done` stays
  /// `done` (returned as such); a quarantined file stays quarantined. Returns the new status;
  /// `attempts_out`, when given, receives the file's failed polls so far (for logs).
  result<file_status> record_failure(std::string_view account, std::string_view data_type,
                                     const data_file& file, const lpda::error& err,
                                     int quarantine_after, std::int64_t now_ms,
                                     int* attempts_out = nullptr);

  /// Ledger rows, ordered by account, data type, scope start, key. nullopt = every account /
  /// every status.
  result<std::vector<file_record>> list_files(std::optional<std::string_view> account,
                                              std::optional<file_status> status);

  /// Puts quarantined files (of one account, or all) back to `pending` with attempts = 0, so the
  /// next poll retries them; `now_ms` (epoch ms) becomes their `updated_ms`. Returns how many
  /// rows changed.
  result<int> reset_quarantined(std::optional<std::string_view> account, std::int64_t now_ms);

  /// The watermark (epoch ms) of (account, data type), or nullopt if never set.
  result<std::optional<std::int64_t>> watermark(std::string_view account,
                                                std::string_view data_type);

  /// The end (epoch ms) of the newest hour of any file of (account, data type) in the ledger,
  /// whatever its status; nullopt when there is none.
  result<std::optional<std::int64_t>> newest_scope_end(std::string_view account,
                                                       std::string_view data_type);

  /// Moves the watermark forward to `watermark_ms`; a value behind the stored one changes
  /// nothing. `polled_from_ms`: the watermark the poll started from — when the stored one has
  /// been moved back below it since (reset-watermark while the poll ran), it is left as it is.
  /// Returns the watermark in force afterwards.
  result<std::int64_t> advance_watermark(std::string_view account, std::string_view data_type,
                                         std::int64_t watermark_ms, std::int64_t now_ms,
                                         std::optional<std::int64_t> polled_from_ms = std::nullopt);

  /// Sets the watermark to any value, backwards included (backfill), or clears it (nullopt).
  result<void> reset_watermark(std::string_view account, std::string_view data_type,
                               std::optional<std::int64_t> watermark_ms, std::int64_t now_ms);

  /// Records that a poll of (account, data type) ended at `now_ms` (the host's clock):
  /// successfully when `error` is nullopt, else with `error` as the account's last error (one
  /// line for `status`; its "since" is kept across failed polls and cleared by a successful one),
  /// and the clocks it saw (`status` shows them; nullopt: no usable `Date` header, stored as NULL).
  result<void> record_poll(std::string_view account, std::string_view data_type,
                           const std::optional<std::string>& error, std::int64_t now_ms,
                           std::optional<clock_reading> clocks = std::nullopt);

  /// One entry per (account, data type) known to the checkpoints or the ledger, ordered.
  result<std::vector<account_status>> status(std::int64_t now_ms);

  /// The schema version of the open file (`PRAGMA user_version`). Throws
  /// `lpda::error_exception` (`errc::store_io`) if it cannot be read.
  int schema_version();

  /// The file this store writes.
  const std::filesystem::path& path() const noexcept;

 private:
  struct impl;
  explicit database(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

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

}  // namespace lpda::store
