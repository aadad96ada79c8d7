#pragma once
/// The one classification of `lpda::errc`: for each error kind, whether the HTTP client retries
/// the request, what it stops in a poll, the process exit code it leads to and its metric label.
/// Every module decides from this table, so they cannot drift apart:
/// - `http::decide_retry`: `retry_request`;
/// - sync's poll (account_sync.cpp) and the daemon's `outcome_of`: `scope`;
/// - the exit code of `once`, `backfill` and `retry-failed --now` (cli/sync_context.cpp): 78
///   for `failure_scope::account`, 75 when every stop was `temporary`, else 1;
/// - `check`: 78 for `failure_scope::account`, 75 for `unreachable`, else 1;
/// - a store that cannot be opened or written (cli/commands.hpp): `exit_code` of the local
///   (`failure_scope::poll`) kinds, else 1;
/// - a command stopped opening or reading its own input — `decode`'s file, the database of
///   `snapshot` and `report`, `run`'s listen address (`input_exit_code`): 66 for
///   `missing_input`, 78 for the kinds a person must fix, else the command's own code;
/// - the metrics: `label`.
#include "lpda/core/error.hpp"

#include <span>
#include <string_view>

namespace lpda {

/// What a failure stops in a poll of one account and data type.
enum class failure_scope {
  file,     ///< the file only: counted against it, retried next poll, quarantined in the end
  poll,     ///< this machine failed (database, spool): the poll stops, no file is blamed
  account,  ///< credentials or token refused (401/403): the account stops until its next poll
};

/// Process exit codes an error kind leads to (sysexits.h values; `lpda::cli` names them).
inline constexpr int exit_code_failure = 1;     ///< a person should look, nothing urgent
inline constexpr int exit_code_temporary = 75;  ///< EX_TEMPFAIL: a later run may succeed
inline constexpr int exit_code_no_input = 66;   ///< EX_NOINPUT: the input is missing or unreadable
inline constexpr int exit_code_config = 78;     ///< EX_CONFIG: a person must act

/// One row of the table.
struct error_kind_traits {
  errc kind;
  /// The metric label value (`reason`, `kind`): the enumerator's own name, e.g. "server_error".
  std::string_view label;
  /// The HTTP client tries the request again (up to `max_attempts`): 429 after its Retry-After,
  /// 5xx, a timeout or a network failure after the configured delays
  /// (https://developers.liveperson.com/retry-policy-recommendations.html).
  bool retry_request;
  /// A later run may succeed with nobody acting: a sync command stopped only by such kinds
  /// exits `exit_code_temporary`.
  bool temporary;
  /// The API could not be reached from here at all (DNS, connect, TLS, a timeout): `check`'s
  /// connectivity verdict exits `exit_code_temporary` for these.
  bool unreachable;
  failure_scope scope;
  /// The exit code of a command stopped by this kind alone: `exit_code_config` when a person
  /// must act (credentials refused, a database schema newer than this binary, a bad config),
  /// `exit_code_temporary` for `temporary` kinds, else `exit_code_failure`.
  int exit_code;
  /// The input a command was given (a file, a database) is missing or cannot be read: a command
  /// stopped by it while reading that input exits `exit_code_no_input`.
  bool missing_input;
};

/// The row of `kind`. Every enumerator of `errc` has one.
const error_kind_traits& traits_of(errc kind) noexcept;

/// The row of `code` when it is in `lpda::error_category()`; nullptr for any other category
/// (system or Asio codes, which callers treat as `errc::network`-like failures of their own).
const error_kind_traits* traits_of(const boost::system::error_code& code) noexcept;

/// The whole table, in the order of `errc` (for tests and documentation).
std::span<const error_kind_traits> error_kind_table() noexcept;

/// The exit code of a command stopped while opening or reading its own input (`decode`'s file,
/// the database of `snapshot` and `report`, `run`'s listen address): `exit_code_no_input` for a
/// `missing_input` kind, `exit_code_config` for a kind whose `exit_code` it is (a bad config value,
/// a database newer than this binary), else `otherwise`, the command's code for any other failure
/// (65 for `decode`'s data, 75 for a port in use, 1); `otherwise` too for a code of another
/// category.
int input_exit_code(const boost::system::error_code& code, int otherwise) noexcept;

/// Exit codes ranked best to worst for a run with several failures: 0, then 75 (temporary),
/// then 1, then 78 (a person must act) and every other code. Returns the worse of `a` and `b`
/// (`a` when they rank alike).
int worse_exit_code(int a, int b) noexcept;

}  // namespace lpda
