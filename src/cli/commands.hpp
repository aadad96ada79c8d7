#pragma once
// Private to the cli module: one function per command, each registered on the CLI11 app by
// cli.cpp. A command returns the process exit code (lpda/cli/exit_codes.hpp).
#include "lpda/cli/exit_codes.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/error_kind.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace lpda::config {
struct config;
}

namespace lpda::cli {

/// Loads the config at `config_path` for a command that talks to no API (status, report,
/// snapshot, reset-watermark): credentials are checked for form only (`secrets::syntax_only`),
/// so it works from an operator's shell. On a config error, prints every problem on `err` and
/// returns 78; nullopt on success. Sets up no logging.
std::optional<int> load_config_without_secrets(const std::string& config_path, config::config& out,
                                               std::ostream& err);

/// The exit code for a store that could not be opened or written, from its error kind
/// (lpda/core/error_kind.hpp) when it is a failure of this machine (`failure_scope::poll`): 75
/// when another process holds the write lock (a retry may succeed), 78 when the database's
/// schema is newer than this binary (a person must act, and systemd does not restart a 78 in a
/// loop); 1 for any other kind (a `file_mode` the store refuses among them).
inline int exit_code_for_store_error(const error& e) {
  const auto* kind = traits_of(e.code);
  return kind && kind->scope == failure_scope::poll ? kind->exit_code : exit_partial;
}

/// Default config path (the systemd unit's ConfigurationDirectory).
inline constexpr const char* default_config_path = "/etc/lpda-sync/config.yaml";

struct decode_options {
  std::string file;
  std::string format = "ndjson";  // ndjson | csv
  std::string data_type = "agentActivity";  // a name of the registry (datatypes::default_name)
};

/// `lpda-sync decode FILE [--data-type NAME]`: one line per decoded record on `out` (no dedupe),
/// diagnostics on `err`. 0 on success, 65 on bad data, 66 when the file cannot be read.
int run_decode(const decode_options& opts, std::ostream& out, std::ostream& err);

/// `lpda-sync validate-config [--print]`: 0 when valid (with --print, the effective config with
/// secrets redacted on `out`), 78 with every problem as FILE:LINE:COLUMN: PATH: message on `err`.
/// With `no_secrets`, credentials are checked for form only (no ${ENV} or *_file is read), for a
/// shell where the service's systemd credentials do not exist.
int run_validate_config(const std::string& config_path, bool print, bool no_secrets,
                        std::ostream& out, std::ostream& err);

/// `lpda-sync once`: one poll of every enabled account, then exit. 0 when everything synced;
/// 1 when some account or file failed (everything else is stored); 75 when only temporary
/// network failures stopped polls; 78 on a config error.
int run_once(const std::string& config_path);

/// A duration as people read it: "2d 0h 5m", "3h 12m", "7m" (whole minutes, rounded down;
/// negative with a leading "-").
std::string format_age(std::int64_t ms);

/// `lpda-sync status [--json]`: per account and data type, from the database.
int run_status(const std::string& config_path, bool json, std::ostream& out, std::ostream& err);

struct backfill_options {
  std::string config_path;
  std::string account;
  std::string from;  // ISO 8601 date or a duration before now
  std::string to;    // same; empty = now
  bool refetch = false;
};

/// `lpda-sync backfill --account ID --from T [--to T] [--refetch]`: lists and stores the range
/// without moving the watermark; progress on a terminal, log lines otherwise.
int run_backfill(const backfill_options& opts);

/// The range a backfill fetches, epoch ms [from_ms, to_ms), and a warning when --from was moved.
struct backfill_range {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::optional<std::string> warning;
};

/// Reads --from / --to (`to_text` empty: now) at `now_ms`. A --from more than 29 days
/// (sync::retention_ms) back is moved to that limit with a warning, because the Data Access API
/// keeps files for 30 days (https://developers.liveperson.com/data-access-api-overview.html).
/// Errors (`errc::config_invalid`, message starting with the option's name): a time
/// config::parse_time_argument refuses, a time in the future, a --to at or before the 29-day limit,
/// and
/// --from not before --to.
result<backfill_range> backfill_range_of(const std::string& from_text, const std::string& to_text,
                                         std::int64_t now_ms);

struct retry_options {
  std::string config_path;
  std::optional<std::string> account;
  bool now = false;
};

/// `lpda-sync retry-failed [--account ID] [--now]`: quarantined files back to pending, so the
/// next poll fetches them (from the ledger's href); with --now, that poll runs at once.
int run_retry_failed(const retry_options& opts);

struct watermark_options {
  std::string config_path;
  std::string account;
  std::string data_type = "agentActivity";
  std::string to;  // ISO 8601 or a duration before now
  bool clear = false;
};

/// `lpda-sync reset-watermark --account ID (--to T | --clear)`: sets the watermark to any point
/// (backwards included, so the next poll re-lists from there; files already done stay skipped)
/// or clears it. Stop the daemon first or it may move the watermark again.
int run_reset_watermark(const watermark_options& opts);

/// `lpda-sync snapshot FILE`: a consistent copy of the config's database in FILE (SQLite's
/// backup API, `sqlite::snapshot`), e.g. for BI tools that cannot read the service's files.
/// 0 on success; 66 when there is no database yet; 78 on a config error; 1 otherwise.
int run_snapshot(const std::string& config_path, const std::string& target, std::ostream& out,
                 std::ostream& err);

/// `lpda-sync run`: the daemon. Polls each enabled account on its interval until SIGTERM or
/// SIGINT (exit 0); SIGHUP reloads the config; systemd notification when under systemd.
int run_daemon(const std::string& config_path);

/// `lpda-sync health`: GETs /healthz from the config's `listen` address (the container
/// HEALTHCHECK). 0 when it answers 200, 1 otherwise (also for a config error or no endpoint).
int run_health(const std::string& config_path);

struct check_options {
  std::string config_path;
  std::optional<std::string> account;  // nullopt: every enabled account
  int hours = 24;
  bool download_one = false;
};

/// `lpda-sync check [--account ID] [--hours N] [--download-one]`: per account, one verdict line
/// per step on `out` — connect (DNS, TCP, TLS), token (OAuth 2.0) or signing (OAuth 1.0a), the
/// base resource and its data types, the files of the last N hours per configured data type (none
/// is a warning), one download when asked — with the HTTP status and LivePerson's message. Never
/// opens the database; no secret is ever printed. Exit: 0 everything needed works; 78
/// credentials or a token refused (401/403); 75 DNS, connect, TLS or timeout; 1 otherwise; 64 for
/// an unknown --account or a bad --hours; the worst over accounts (78 > 1 > 75 > 0).
int run_check(const check_options& opts, std::ostream& out, std::ostream& err);

struct migrate_options {
  std::string config_path;
  bool dry_run = false;
};

/// `lpda-sync migrate [--dry-run]`: applies the database's pending migrations (taking the
/// database lock as `run` does, so not beside a running daemon) with their progress on stderr,
/// and lists on `out` what it applied (component, number, description, seconds) or "up to date".
/// With --dry-run: lists the pending migrations and the free disk each needs, through a
/// read-only open that changes nothing (and takes no lock). 0 on success; 75 when the lock is
/// held, the disk has too little free space (nothing changed) or for an I/O failure; 78 for a
/// database newer than this build, a missing database directory or an invalid config.
int run_migrate(const migrate_options& opts, std::ostream& out, std::ostream& err);

class sync_context;
/// Polls every account of `ctx` once (running its io_context to completion), logs the reports
/// and returns the exit code.
int poll_accounts_once(sync_context& ctx);

}  // namespace lpda::cli
