#include "lpda/metrics/daemon_metrics.hpp"

#include "lpda/core/error_kind.hpp"
#include "lpda/core/version.hpp"

#include <algorithm>

namespace lpda::metrics {
namespace {
const std::vector<std::string> per_stream{"account", "data_type"};
}

daemon_metrics::daemon_metrics(clock_fn clock)
    : clock_(std::move(clock)),
      build_info_(registry_.gauge("lpda_sync_build_info",
                                  "Always 1; the version label names the running lpda-sync.",
                                  {"version"})),
      polls_(registry_.counter(
          "lpda_sync_polls_total",
          "Polls of one account and data type, by result: ok, files_failed (some file failed or "
          "was quarantined; retried later) or error (the poll stopped early).",
          {"account", "data_type", "result"})),
      files_downloaded_(registry_.counter("lpda_sync_files_downloaded_total",
                                          "Files downloaded, decoded and stored.", per_stream)),
      files_failed_(registry_.counter("lpda_sync_files_failed_total",
                                      "File fetch or decode failures (the file is retried by a "
                                      "later poll until quarantined).",
                                      per_stream)),
      files_quarantined_(registry_.counter(
          "lpda_sync_files_quarantined_total",
          "Files quarantined after failing too often (not fetched again unless retried by hand).",
          per_stream)),
      events_upserted_(registry_.counter("lpda_sync_events_upserted_total",
                                         "Events written to the database (new or replacing).",
                                         per_stream)),
      events_new_(registry_.counter("lpda_sync_events_new_total",
                                    "Events that were new rows in the database.", per_stream)),
      bytes_downloaded_(registry_.counter("lpda_sync_downloaded_bytes_total",
                                          "Bytes of file bodies downloaded.", per_stream)),
      watermark_(registry_.gauge(
          "lpda_sync_watermark_timestamp_seconds",
          "The watermark (unix seconds): everything listed before it is stored.", per_stream)),
      watermark_lag_(registry_.gauge("lpda_sync_watermark_lag_seconds",
                                     "Seconds between now and the watermark, at scrape time.",
                                     per_stream)),
      last_success_(registry_.gauge("lpda_sync_last_success_timestamp_seconds",
                                    "When the last poll without a poll error ended (unix seconds).",
                                    per_stream)),
      http_responses_(registry_.counter(
          "lpda_sync_http_responses_total",
          "HTTP attempts that got a response, by status code (retries and redirects included).",
          {"code"})),
      empty_listings_(registry_.counter(
          "lpda_sync_empty_listings_total",
          "Listings answered 404 \"No Available Files\": a window without files, not an error "
          "(not counted in lpda_sync_http_responses_total).",
          {})),
      http_transport_errors_(registry_.counter(
          "lpda_sync_http_transport_errors_total",
          "HTTP attempts without a response, by kind (network, timeout, tls, protocol, ...).",
          {"kind"})),
      http_retries_(registry_.counter("lpda_sync_http_retries_total",
                                      "HTTP attempts retried by the retry policy, by reason.",
                                      {"reason"})),
      token_requests_(registry_.counter(
          "lpda_sync_oauth2_token_requests_total",
          "OAuth 2.0 token fetches, by result: ok, refused (the token service or the Domain API "
          "said no) or error (network, TLS, timeout, unreadable answer).",
          {"account", "result"})),
      store_transaction_(registry_.histogram(
          "lpda_sync_store_transaction_seconds",
          "Duration of one store transaction (decode and write of one file), in seconds.", {},
          store_transaction_buckets())),
      clock_skew_(registry_.gauge(
          "lpda_sync_clock_skew_seconds",
          "Host clock minus the Data Access server's clock (from its Date header) at the "
          "account's last poll; positive when the host is ahead. Absent while unknown.",
          {"account"})),
      watermark_repairs_(registry_.counter(
          "lpda_sync_watermark_repairs_total",
          "Watermarks found beyond the server's now (set by a clock that was ahead) and pulled "
          "back to now - overlap, so the files after them are fetched.",
          per_stream)) {
  build_info_.set({std::string(version())}, 1);
  registry_.on_collect([this] { update_lag(); });
}

void daemon_metrics::record_poll(const poll_figures& p) {
  const label_values s{p.account_id, p.data_type};
  const char* result = p.poll_error                                      ? "error"
                       : (p.files_failed > 0 || p.files_quarantined > 0) ? "files_failed"
                                                                         : "ok";
  polls_.inc({p.account_id, p.data_type, result});
  files_downloaded_.inc(s, static_cast<double>(p.files_done));
  files_failed_.inc(s, static_cast<double>(p.files_failed));
  files_quarantined_.inc(s, static_cast<double>(p.files_quarantined));
  events_upserted_.inc(s, static_cast<double>(p.events_read));
  events_new_.inc(s, static_cast<double>(p.events_inserted));
  bytes_downloaded_.inc(s, static_cast<double>(p.bytes_downloaded));
  if (p.watermark_after_ms) {
    watermark_.set(s, static_cast<double>(*p.watermark_after_ms) / 1000.0);
    std::lock_guard lock(state_mutex_);
    watermarks_ms_[{p.account_id, p.data_type}] = *p.watermark_after_ms;
  }
  if (!p.poll_error) last_success_.set(s, static_cast<double>(clock_()) / 1000.0);
  if (p.watermark_repaired) watermark_repairs_.inc(s);
  if (p.clock_skew_ms)
    clock_skew_.set({p.account_id}, static_cast<double>(*p.clock_skew_ms) / 1000.0);
  else
    clock_skew_.remove({p.account_id});
  std::lock_guard lock(state_mutex_);
  if (p.clock_skew_ms)
    skews_ms_[p.account_id] = *p.clock_skew_ms;
  else
    skews_ms_.erase(p.account_id);
  bool& ok = polled_[p.account_id][p.data_type];
  ok = ok || !p.poll_error;
}

void daemon_metrics::record_http(const http::request_event& e) {
  if (e.expected_answer)
    empty_listings_.inc({});
  else if (e.status != 0)
    http_responses_.inc({std::to_string(e.status)});
  else
    http_transport_errors_.inc({std::string(errc_label(e.error.value_or(errc::network)))});
  if (!e.retrying) return;
  std::string_view reason = "other";
  if (e.status == 429)
    reason = "throttled";
  else if (e.status >= 500 && e.status < 600)
    reason = "server_error";
  else if (e.status == 0)
    reason = errc_label(e.error.value_or(errc::network));
  http_retries_.inc({std::string(reason)});
}

void daemon_metrics::observe_store_transaction(std::chrono::duration<double> d) {
  store_transaction_.observe({}, d.count());
}

void daemon_metrics::expect_accounts(std::vector<std::string> account_ids) {
  std::lock_guard lock(state_mutex_);
  expected_ = std::move(account_ids);
}

readiness daemon_metrics::check_ready() const {
  std::lock_guard lock(state_mutex_);
  if (!expected_) return {false, "configuration not loaded"};
  std::string missing;
  for (const auto& id : *expected_) {
    const auto it = polled_.find(id);
    if (it != polled_.end() &&
        std::all_of(it->second.begin(), it->second.end(), [](const auto& dt) { return dt.second; }))
      continue;
    if (!missing.empty()) missing += ", ";
    missing += id;
  }
  if (missing.empty()) return {true, {}};
  return {false, "no successful poll yet for account(s) " + missing};
}

std::string daemon_metrics::render() const {
  return registry_.render();
}

void daemon_metrics::update_lag() const {
  const auto now = clock_();
  std::map<std::pair<std::string, std::string>, std::int64_t> marks;
  std::map<std::string, std::int64_t> skews;
  {
    std::lock_guard lock(state_mutex_);
    marks = watermarks_ms_;
    skews = skews_ms_;
  }
  for (const auto& [key, ms] : marks) {
    const auto skew = skews.find(key.first);
    const std::int64_t server_now = now - (skew == skews.end() ? 0 : skew->second);
    watermark_lag_.set({key.first, key.second}, static_cast<double>(server_now - ms) / 1000.0);
  }
}

void daemon_metrics::record_token_fetch(const std::string& account_id, std::string_view result) {
  token_requests_.inc({account_id, std::string(result)});
}

std::string_view daemon_metrics::errc_label(errc e) noexcept {
  return traits_of(e).label;
}

}  // namespace lpda::metrics
