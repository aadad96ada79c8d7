#pragma once
/// How the scheduler judges one poll of an account from the reports of `sync::poll_account`
/// (lpda/sync/account_sync.hpp, one `sync::poll_report` per data type).
#include "lpda/core/error.hpp"
#include "lpda/core/error_kind.hpp"
#include "lpda/daemon/schedule.hpp"

#include <vector>

namespace lpda::daemon {

/// The outcome of one poll of an account from its reports; `Report` is `sync::poll_report` or
/// any type with a member `std::optional<lpda::error> error` (set when the poll stopped early):
/// - `auth_failed` when any report stopped with a kind whose scope is the account
///   (`failure_scope::account`: `errc::auth_failed`, HTTP 401/403; DESIGN.md "401/403: stop the
///   account and alert, try again next poll");
/// - `failed` when any report stopped early with another error (listing, network, store);
/// - `ok` otherwise, including polls where single files failed or were quarantined: those files
///   are retried by the next poll and quarantined after `quarantine_after` polls, and backing the
///   whole account off for them would only delay its new files and the quarantine.
/// An empty list (no data types) is `ok`.
template <class Report>
poll_outcome outcome_of(const std::vector<Report>& reports) {
  bool failed = false;
  for (const auto& r : reports) {
    if (!r.error) continue;
    const auto* kind = traits_of(r.error->code);
    if (kind && kind->scope == failure_scope::account) return poll_outcome::auth_failed;
    failed = true;
  }
  return failed ? poll_outcome::failed : poll_outcome::ok;
}

}  // namespace lpda::daemon
