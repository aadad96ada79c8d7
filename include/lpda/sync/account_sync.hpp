#pragma once
/// One poll of one account: list the window, fetch the files the ledger has not finished,
/// decode and store each in one transaction, advance the watermark contiguously.
///
/// Facts it relies on (developers.liveperson.com/data-access-api-methods-agent-activity.html,
/// .../data-access-api-architecture.html): files are hourly and listed by when they were
/// generated; files for an hour can appear hours late; every file is fetched from its `@href`.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/sync/store_worker.hpp"
#include "lpda/sync/window.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lpda::api {
class data_access_client;
}

namespace lpda::sync {

/// What one account's poll needs; built from the config by the caller.
struct account_settings {
  std::string account_id;
  std::vector<std::string> data_types{"agentActivity"};
  std::chrono::milliseconds overlap{std::chrono::hours(12)};
  std::chrono::milliseconds max_window{std::chrono::hours(24)};
  /// Where a new account starts, epoch ms (the caller resolves "7d before now" or a date).
  std::int64_t initial_start_ms = 0;
  int quarantine_after = 5;                  ///< failed polls before a file is quarantined
  std::size_t max_concurrent_downloads = 8;  ///< files fetched at once by this poll
  decode::limits decode_limits;
  /// Downloads land here (made mode 0700); quarantined bodies are kept in `quarantine/` below.
  std::filesystem::path spool_dir;
  /// Called with the duration of each file's store transaction (for metrics); may be empty.
  std::function<void(std::chrono::duration<double>)> on_store_transaction;
  /// Host and server clocks further apart than this are logged as a warning (once, until they
  /// come back within it) and make a 401 name the clock (`api::data_access_client`).
  std::chrono::milliseconds clock_skew_warning{std::chrono::minutes(5)};
};

/// What one poll of one (account, data type) did.
struct poll_report {
  std::string account_id;
  std::string data_type;
  slice window;                            ///< the listed window, epoch ms
  std::optional<std::int64_t> watermark_before;  ///< as stored before the poll (unrepaired)
  std::optional<std::int64_t> watermark_after;
  /// Set when the stored watermark was beyond the server's now and pulled back to this value.
  std::optional<std::int64_t> watermark_repaired_to;
  /// The server's now that ended the window (epoch ms); nullopt: the host's clock ended it.
  std::optional<std::int64_t> server_now_ms;
  /// Host minus server clock at the end of the poll, ms (positive: the host is ahead); nullopt
  /// without a usable `Date` header.
  std::optional<std::int64_t> clock_skew_ms;
  /// Distinct files in all listings, rejected (malformed) entries included.
  std::size_t files_listed = 0;
  std::size_t files_skipped = 0;           ///< already done or quarantined in the ledger
  std::size_t files_done = 0;              ///< stored by this poll
  /// Failed this poll (will be retried), rejected listing entries included.
  std::size_t files_failed = 0;
  std::size_t files_quarantined = 0;       ///< quarantined by this poll
  std::uint64_t events_read = 0;
  std::uint64_t events_inserted = 0;
  std::uint64_t bytes_downloaded = 0;
  bool is_backfill = false;                ///< a backfill: the watermark was not looked at
  /// Set when the poll stopped early (a listing failed, 401/403, the store failed): the first
  /// such error. File failures are counted above, not here.
  std::optional<lpda::error> error;

  /// True when nothing failed: no poll error and no failed or quarantined file.
  bool ok() const { return !error && files_failed == 0 && files_quarantined == 0; }
};

/// Called after each file (and once when the files to fetch are known) with the report so far and
/// the number of files this run fetches; for progress output.
using progress_fn = std::function<void(const poll_report&, std::size_t files_total)>;

/// Runs one poll of every data type of one account. Network I/O runs on the caller's executor;
/// decoding and storing run on `store`. Never throws for expected failures: they are in the
/// reports (and logged once, here, with account, file key and attempt).
///
/// Time: the window ends at the server's now (`window_end_ms`, from the `Date` header of the
/// client's answers; a base-resource request reads one when none has been received yet), so a
/// wrong host clock neither carries the watermark past the server's time nor holds it back.
/// Without a usable `Date` the host's clock (`clock`) ends it, logged once per account. A
/// stored watermark beyond the server's now is pulled back to now − overlap
/// (`repaired_watermark`) and stored before listing, with a warning (`watermark_repaired_to`).
/// A host clock `clock_skew_warning` or more from the server's is a warning (once until it is
/// back within). Each poll records the clocks it saw with its checkpoint (`record_poll`).
///
/// A listing that fails as a whole (HTTP error, body not JSON, wrong shape) stops the poll at
/// that slice. A malformed entry of a listing (`api::rejected_entry`) does not: it is never
/// downloaded; it is recorded in the ledger as a failed file under `api::ledger_key` (or its
/// `entry_key` when a well-formed entry of the same poll has that name), with an empty href and
/// the error "listing entry rejected: <reason>", and quarantined after `quarantine_after` failed
/// polls like any other file, so its slice then counts as complete. The good files beside it
/// are fetched in the same poll. Well-formed entries of one poll (all its slices) that share a
/// key but not an `@href` are handled the same way: neither is downloaded, and the key is
/// recorded as a failed file (empty href, first slice it is listed in) whose error names every
/// href; identical duplicates are fetched once. A 0-byte 200 body is stored as a file with no
/// events and logged as a warning naming the file. The spool directory (and `quarantine/`
/// below it, where a quarantined file's body is kept) is made mode 0700; its files are 0600. A
/// ledger row without href that `retry-failed` put back to pending is not fetched either: it fails
/// again with an error saying so, until a listing shows the file well-formed.
boost::asio::awaitable<std::vector<poll_report>> poll_account(api::data_access_client& client,
                                                              store_worker& store,
                                                              account_settings settings,
                                                              clock_fn clock);

/// Backfill: lists [from_ms, to_ms) (epoch ms) in `max_window` slices and fetches and stores the
/// files the ledger has not finished — every listed file with `refetch` — without moving the
/// watermark. Failures are recorded in the ledger like a poll's.
boost::asio::awaitable<poll_report> backfill_range(api::data_access_client& client,
                                                   store_worker& store, account_settings settings,
                                                   std::string data_type, std::int64_t from_ms,
                                                   std::int64_t to_ms, bool refetch,
                                                   clock_fn clock, progress_fn progress);

}  // namespace lpda::sync
