#pragma once
/// The store interface: what sync, the daemon and the commands need of a database — the file
/// ledger, the per-(account, data type) checkpoints and one transaction per file — whatever the
/// database behind it (SQLite today: lpda/sqlite/database.hpp). No SQL and no database types
/// here; docs/schema.md describes the tables an implementation keeps.
///
/// An implementation is the single writer of its database. It is not thread-safe: one thread at
/// a time uses it (it may be moved to another thread: sync/store_worker.hpp). Readers (BI tools,
/// `lpda-sync status`) open their own connections.
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::store {

/// A file's state in the ledger. `done` and `quarantined` are terminal for the watermark.
enum class file_status { pending, done, failed, quarantined };

/// "pending", "done", "failed", "quarantined" (the text stored in `files.status`).
std::string_view to_string(file_status s) noexcept;
/// The inverse of `to_string`; nullopt for any other text.
std::optional<file_status> parse_file_status(std::string_view s) noexcept;

/// What one `ingest_file` did.
struct ingest_summary {
  std::uint64_t events_read = 0;      ///< records taken from the source
  std::uint64_t events_inserted = 0;  ///< new rows (natural key not stored before)
  std::uint64_t events_updated =
      0;  ///< records whose natural key was already stored (read − inserted)
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

/// The one writer of a store.
///
/// Every mutating operation is one transaction. When another process holds the write lock, the
/// whole transaction is retried after a backoff up to the implementation's bound, then the
/// operation returns `errc::store_busy` — never a partial write. Other database failures are
/// `errc::store_io`.
class database {
 public:
  virtual ~database() = default;

  /// Stores one file in ONE transaction: hands `records` to the writer of `data_type` (which
  /// takes them batch by batch and upserts them on their natural key: a repeated record updates
  /// only its attributes, and only when they differ; Agent Activity also keeps `agents` at the
  /// attributes of each agent's latest event and widens `agent_sessions`), and writes the file's
  /// ledger row as `done` with its counts. All of it commits or none. `file_bytes` is the
  /// downloaded size, if known; `now_ms` epoch ms (it becomes `ingested_at_ms` of new rows and
  /// `updated_at_ms` of changed ones). Re-ingesting a file that is already `done` is allowed and
  /// adds nothing but changed attributes.
  /// Returns the source's own error unchanged when it fails (nothing is written); an exception
  /// thrown by the source propagates after the rollback. `errc::config_invalid` when the store
  /// has no writer for `data_type` or `records` yields another data type's records (nothing is
  /// written). `errc::store_busy` when the write lock could not be taken (or was lost after
  /// records were consumed: the source cannot be replayed, so the caller retries the file);
  /// `errc::store_io` for other database failures.
  virtual result<ingest_summary> ingest_file(std::string_view account, std::string_view data_type,
                                             const data_file& file, record_source& records,
                                             std::int64_t now_ms,
                                             std::optional<std::int64_t> file_bytes) = 0;
  /// The same without a known size.
  result<ingest_summary> ingest_file(std::string_view account, std::string_view data_type,
                                     const data_file& file, record_source& records,
                                     std::int64_t now_ms) {
    return ingest_file(account, data_type, file, records, now_ms, std::nullopt);
  }

  /// The file's ledger status, or nullopt when the ledger has never seen it.
  virtual result<std::optional<file_status>> status_of(std::string_view account,
                                                       std::string_view data_type,
                                                       std::string_view file_key) = 0;

  /// Records one failed poll of a file with its error: attempts + 1, status `failed`, or
  /// `quarantined` once attempts reach `quarantine_after` (≥ 1). A file already `done` stays
  /// `done` (returned as such); a quarantined file stays quarantined. Returns the new status;
  /// `attempts_out`, when given, receives the file's failed polls so far (for logs).
  virtual result<file_status> record_failure(std::string_view account, std::string_view data_type,
                                             const data_file& file, const lpda::error& err,
                                             int quarantine_after, std::int64_t now_ms,
                                             int* attempts_out = nullptr) = 0;

  /// Ledger rows, ordered by account, data type, scope start, key. nullopt = every account /
  /// every status.
  virtual result<std::vector<file_record>> list_files(std::optional<std::string_view> account,
                                                      std::optional<file_status> status) = 0;

  /// Puts quarantined files (of one account, or all) back to `pending` with attempts = 0, so the
  /// next poll retries them; `now_ms` (epoch ms) becomes their `updated_ms`. Returns how many
  /// rows changed.
  virtual result<int> reset_quarantined(std::optional<std::string_view> account,
                                        std::int64_t now_ms) = 0;

  /// The watermark (epoch ms) of (account, data type), or nullopt if never set.
  virtual result<std::optional<std::int64_t>> watermark(std::string_view account,
                                                        std::string_view data_type) = 0;

  /// The end (epoch ms) of the newest hour of any file of (account, data type) in the ledger,
  /// whatever its status; nullopt when there is none.
  virtual result<std::optional<std::int64_t>> newest_scope_end(std::string_view account,
                                                               std::string_view data_type) = 0;

  /// Moves the watermark forward to `watermark_ms`; a value behind the stored one changes
  /// nothing. `polled_from_ms`: the watermark the poll started from — when the stored one has
  /// been moved back below it since (reset-watermark while the poll ran), it is left as it is.
  /// Returns the watermark in force afterwards.
  virtual result<std::int64_t> advance_watermark(
      std::string_view account, std::string_view data_type, std::int64_t watermark_ms,
      std::int64_t now_ms, std::optional<std::int64_t> polled_from_ms = std::nullopt) = 0;

  /// Sets the watermark to any value, backwards included (backfill), or clears it (nullopt).
  virtual result<void> reset_watermark(std::string_view account, std::string_view data_type,
                                       std::optional<std::int64_t> watermark_ms,
                                       std::int64_t now_ms) = 0;

  /// Records that a poll of (account, data type) ended at `now_ms` (the host's clock):
  /// successfully when `error` is nullopt, else with `error` as the account's last error (one
  /// line for `status`; its "since" is kept across failed polls and cleared by a successful one),
  /// and the clocks it saw (`status` shows them; nullopt: no usable `Date` header, stored as NULL).
  virtual result<void> record_poll(std::string_view account, std::string_view data_type,
                                   const std::optional<std::string>& error, std::int64_t now_ms,
                                   std::optional<clock_reading> clocks = std::nullopt) = 0;

  /// One entry per (account, data type) known to the checkpoints or the ledger, ordered.
  virtual result<std::vector<account_status>> status(std::int64_t now_ms) = 0;
};

}  // namespace lpda::store
