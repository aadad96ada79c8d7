#pragma once
/// lpda-sync's metric families, defined in one place with their HELP text, and a typed API for the
/// rest of the code. Names follow Prometheus naming practice
/// (prometheus.io/docs/practices/naming/): prefix `lpda_sync_`, base units in the name (`_seconds`,
/// `_bytes`), counters end in `_total`.
///
/// | family | type | labels |
/// | --- | --- | --- |
/// | `lpda_sync_build_info` (always 1) | gauge | version |
/// | `lpda_sync_polls_total` | counter | account, data_type, result (`ok`, `files_failed`, `error`)
/// | | `lpda_sync_files_downloaded_total` | counter | account, data_type | |
/// `lpda_sync_files_failed_total` | counter | account, data_type | |
/// `lpda_sync_files_quarantined_total` | counter | account, data_type | |
/// `lpda_sync_events_upserted_total` | counter | account, data_type | |
/// `lpda_sync_events_new_total` | counter | account, data_type | |
/// `lpda_sync_downloaded_bytes_total` | counter | account, data_type | |
/// `lpda_sync_watermark_timestamp_seconds` | gauge | account, data_type | |
/// `lpda_sync_watermark_lag_seconds` (computed at each scrape) | gauge | account, data_type | |
/// `lpda_sync_last_success_timestamp_seconds` | gauge | account, data_type | |
/// `lpda_sync_http_responses_total` | counter | code | | `lpda_sync_empty_listings_total` (404 "No
/// Available Files", not in http_responses_total) | counter | — | |
/// `lpda_sync_http_transport_errors_total` |
/// counter | kind | | `lpda_sync_http_retries_total` | counter | reason | |
/// `lpda_sync_oauth2_token_requests_total` | counter | account, result (`ok`, `refused`, `error`) |
/// `lpda_sync_store_transaction_seconds` | histogram | — |
/// `lpda_sync_clock_skew_seconds` | gauge | account | host minus server clock (from the `Date`
/// header), removed while unknown; `lpda_sync_watermark_repairs_total` | counter | account,
/// data_type | watermarks beyond the server's now pulled back |
///
/// The sync types are not used here (metrics sits below the CLI and needs no Asio/SQLite types):
/// the caller copies a `sync::poll_report` into a `poll_figures`.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/http/observer.hpp"
#include "lpda/metrics/registry.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::metrics {

/// What one poll of one (account, data type) did; the fields of `sync::poll_report` that metrics
/// use, as plain values.
struct poll_figures {
  std::string account_id;
  std::string data_type;
  bool poll_error = false;  ///< the poll stopped early (`poll_report::error` set)
  std::uint64_t files_done = 0;
  std::uint64_t files_failed = 0;
  std::uint64_t files_quarantined = 0;
  std::uint64_t events_read = 0;      ///< events written by upserts (new or replacing)
  std::uint64_t events_inserted = 0;  ///< events that were new rows
  std::uint64_t bytes_downloaded = 0;
  std::optional<std::int64_t> watermark_after_ms;  ///< epoch ms; nullopt: no watermark yet
  /// Host minus server clock at the end of the poll, ms; nullopt: no usable `Date` header.
  std::optional<std::int64_t> clock_skew_ms;
  bool watermark_repaired = false;  ///< the poll pulled back a watermark beyond the server's now
};

/// The answer of a readiness check: ready, or why not (for the 503 body and logs).
struct readiness {
  bool ready = false;
  std::string reason;  ///< empty when ready
};

/// The registry holding lpda-sync's families plus the typed recording calls. Thread-safe: call
/// from the network thread, the store thread and the endpoint at once.
class daemon_metrics {
 public:
  /// `clock` gives epoch ms for the watermark lag computed at each `render`.
  explicit daemon_metrics(clock_fn clock = system_now_ms);
  daemon_metrics(const daemon_metrics&) = delete;
  daemon_metrics& operator=(const daemon_metrics&) = delete;

  /// The underlying registry (to add families or render).
  metrics::registry& registry() noexcept { return registry_; }

  /// Records one poll: `polls_total{result}` +1 where result is `error` when `poll_error`,
  /// else `files_failed` when a file failed or was quarantined, else `ok`; adds the file, event
  /// and byte counts; sets the watermark gauge and the account's clock skew gauge (removed when
  /// `clock_skew_ms` is unset); counts a watermark repair; when `poll_error` is false, sets
  /// `last_success_timestamp_seconds` to now and marks (account, data type) as polled
  /// successfully for `check_ready` (file failures are retried by later polls and do not block
  /// readiness).
  void record_poll(const poll_figures& p);

  /// Records one HTTP attempt (pass to `http::client::set_observer`): `http_responses_total{code}`
  /// for an attempt with a response, except an expected answer (`request_event::expected_answer`:
  /// the empty listing's 404), which counts in `empty_listings_total` instead,
  /// `http_transport_errors_total{kind}` (kind = the `lpda::errc` name, e.g. `timeout`) for one
  /// without, and `http_retries_total{reason}` when it is retried (reason = `throttled`,
  /// `server_error`, `timeout`, `network`, …).
  void record_http(const http::request_event& e);

  /// Records one OAuth 2.0 token fetch of `account_id`: `oauth2_token_requests_total{account,
  /// result}`, result `ok`, `refused` (the token service or Domain API said no, or the secret's
  /// destination was refused) or `error` (network, TLS, timeout, unreadable answer).
  void record_token_fetch(const std::string& account_id, std::string_view result);

  /// Records the duration of one store transaction (decode + write of one file), in seconds.
  void observe_store_transaction(std::chrono::duration<double> d);

  /// Sets the accounts that must each have polled successfully before `check_ready` answers ready
  /// (the enabled accounts of the config; call again after a reload). Accounts already seen keep
  /// their state.
  void expect_accounts(std::vector<std::string> account_ids);

  /// Ready when `expect_accounts` was called (the config is loaded) and every expected account
  /// has been polled, and each data type recorded for it has had at least one poll without
  /// `poll_error` (once ready, an account stays ready); otherwise the reason, e.g. "no successful
  /// poll yet for account(s) 123, 456".
  readiness check_ready() const;

  /// The registry in the text format (see `registry::render`), with the lag gauges set from the
  /// clock: `watermark_lag_seconds` = now − watermark, where now is the server's (the host's
  /// clock minus the account's last clock skew, since the watermark follows the server's clock).
  std::string render() const;

  /// The label value used for `e` in `kind` and `reason`: the enumerator's name, e.g.
  /// "server_error"; "other" for a value outside `lpda::errc`.
  static std::string_view errc_label(errc e) noexcept;

 private:
  void update_lag() const;

  clock_fn clock_;
  metrics::registry registry_;
  gauge_family build_info_;
  counter_family polls_;
  counter_family files_downloaded_;
  counter_family files_failed_;
  counter_family files_quarantined_;
  counter_family events_upserted_;
  counter_family events_new_;
  counter_family bytes_downloaded_;
  gauge_family watermark_;
  gauge_family watermark_lag_;
  gauge_family last_success_;
  counter_family http_responses_;
  counter_family empty_listings_;
  counter_family http_transport_errors_;
  counter_family http_retries_;
  counter_family token_requests_;
  histogram_family store_transaction_;
  gauge_family clock_skew_;
  counter_family watermark_repairs_;

  mutable std::mutex state_mutex_;
  std::map<std::pair<std::string, std::string>, std::int64_t> watermarks_ms_;
  std::map<std::string, std::int64_t> skews_ms_;  ///< account → last known clock skew
  std::optional<std::vector<std::string>> expected_;
  /// account → data type → had a poll without `poll_error`
  std::map<std::string, std::map<std::string, bool>> polled_;
};

/// Bucket bounds of `lpda_sync_store_transaction_seconds`: 1 ms to 60 s.
inline const std::vector<double>& store_transaction_buckets() {
  static const std::vector<double> b{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5,   1,     2.5,  5,     10,   30,  60};
  return b;
}

}  // namespace lpda::metrics
