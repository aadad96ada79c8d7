#include "lpda/sync/account_sync.hpp"

#include "sync/download_pool.hpp"
#include "sync/file_pipeline.hpp"
#include "sync/listing_plan.hpp"
#include "sync/slice_run.hpp"

#include "lpda/api/data_access_client.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>

namespace lpda::sync {
namespace asio = boost::asio;
namespace {

using detail::create_private_dir;
using detail::stops_account;

constexpr std::int64_t retention_warning_ms = 25LL * 24 * 3600 * 1000;

// Lists `slices` in order (stopping at the first listing that fails), then fetches and stores
// every listed file the ledger has not finished (all of them with `refetch`). A malformed entry
// of a listing does not fail the listing: it is recorded as a failed file (never downloaded)
// and quarantined after quarantine_after polls like any other, while the good files beside it
// are fetched. Returns, per slice, whether it is complete: listed, and every file done or
// quarantined.
asio::awaitable<std::vector<bool>> sync_slices(api::data_access_client* client, store_worker* store,
                                               const account_settings* s, std::string data_type,
                                               std::vector<slice> slices, bool refetch,
                                               clock_fn clock, poll_report* report,
                                               progress_fn progress) {
  const std::string account = s->account_id;
  std::vector<bool> complete(slices.size(), false);
  auto listings = co_await detail::list_slices(client, account, data_type, slices, report);
  auto plans = co_await detail::plan_listed_files(store, account, data_type, std::move(listings),
                                                  slices, refetch, report);
  if (!plans) co_return complete;

  std::size_t total = 0;
  for (const auto& p : *plans) total += p.fetch.size();
  if (progress) progress(*report, total);
  for (std::size_t i = 0; i < plans->size(); ++i) {
    detail::slice_run run = detail::new_run(client, store, s, data_type, clock, report);
    run.files = std::move((*plans)[i].fetch);
    run.progress = progress;
    run.files_total = total;
    for (auto& r : (*plans)[i].rejected) {
      if (run.fatal) break;
      co_await detail::record_file_failure(&run, std::move(r.file), std::move(r.reason), {}, true);
    }
    if (!run.files.empty() && !run.fatal) co_await detail::run_slice(&run);
    complete[i] = run.complete && !run.fatal;
    if (run.fatal) {
      // Logged once, at error, with the poll's summary line (cli log_report).
      report->error = run.fatal;
      break;
    }
  }
  co_return complete;
}

// Files put back to `pending` (retry-failed) can lie behind the window: they are fetched from
// the ledger's href, since a listing would no longer include them. They do not affect the
// watermark.
asio::awaitable<void> fetch_pending(api::data_access_client* client, store_worker* store,
                                    const account_settings* s, std::string data_type,
                                    clock_fn clock, poll_report* report) {
  const std::string account = s->account_id;
  auto pending = co_await store->run(
      [&](store::database& db) { return db.list_files(account, store::file_status::pending); });
  if (!pending) {
    report->error = pending.error();
    co_return;
  }
  auto plan = detail::plan_pending_rows(*pending, data_type, report);
  detail::slice_run run = detail::new_run(client, store, s, data_type, clock, report);
  run.files = std::move(plan.fetch);
  for (auto& u : plan.rejected) {
    if (run.fatal) break;
    co_await detail::record_file_failure(&run, std::move(u.file), std::move(u.reason), {}, true);
  }
  if (!run.files.empty() && !run.fatal) {
    spdlog::info("account={} data_type={}: fetching {} file(s) reset from quarantine", account,
                 data_type, run.files.size());
    co_await detail::run_slice(&run);
  }
  if (run.fatal) report->error = run.fatal;
}

poll_report new_report(const account_settings* s, const std::string& data_type) {
  poll_report report;
  report.account_id = s->account_id;
  report.data_type = data_type;
  return report;
}

// Logs what the client's answers said about the clocks, each thing once (see clock_notes).
void note_clocks(api::data_access_client& client, const account_settings& s) {
  const auto& server = client.server_time();
  const auto skew = server.skew_ms();
  auto& n = client.notes();
  if (!skew) {
    // No answer at all (a network failure) is reported by the poll itself.
    if (server.missed() == 0) return;
    if (!n.fallback_logged)
      spdlog::warn(
          "account={}: the Data Access answers carry no usable Date header, so listing windows "
          "end at the host's clock; a host clock ahead of the server's can then move the "
          "watermark past files not yet published (repaired once a Date header is seen)",
          s.account_id);
    n.fallback_logged = true;
    return;
  }
  const bool beyond = std::llabs(*skew) >= s.clock_skew_warning.count();
  if (beyond && !n.skew_warned)
    spdlog::warn(
        "account={}: the host's clock is {} the server's (its Date header), beyond "
        "client.clock_skew_warning ({}s); listing windows follow the server's clock, so no file is "
        "lost, but set the host's clock right (NTP): OAuth 1.0a signatures and the times in "
        "logs and status come from it",
        s.account_id, http::describe_clock_skew(*skew), s.clock_skew_warning.count() / 1000);
  else if (!beyond && n.skew_warned)
    spdlog::info(
        "account={}: the host's clock is back within client.clock_skew_warning of the "
        "server's ({} it)",
        s.account_id, http::describe_clock_skew(*skew));
  n.skew_warned = beyond;
}

asio::awaitable<poll_report> poll_data_type(api::data_access_client* client, store_worker* store,
                                            const account_settings* s, std::string data_type,
                                            clock_fn clock) {
  poll_report report = new_report(s, data_type);
  const std::string account = s->account_id;

  auto wm =
      co_await store->run([&](store::database& db) { return db.watermark(account, data_type); });
  if (!wm) {
    report.error = wm.error();
    co_return report;
  }
  report.watermark_before = *wm;
  report.watermark_after = *wm;
  const std::int64_t host_now = clock();
  auto server_clock = co_await client->server_now();
  std::optional<std::int64_t> next = *wm;
  if (!server_clock) {
    // No answer at all: the poll stops here, and its error is recorded below like any other.
    report.error = server_clock.error();
  } else {
    const auto server_now = *server_clock;
    report.server_now_ms = server_now;
    const std::int64_t now = server_now.value_or(host_now);
    std::optional<std::int64_t> newest_listed;
    if (*wm && **wm > now) {
      auto newest = co_await store->run(
          [&](store::database& db) { return db.newest_scope_end(account, data_type); });
      if (!newest) {
        report.error = newest.error();
        co_return report;
      }
      newest_listed = *newest;
    }
    if (const auto repaired = repaired_watermark(*wm, now, s->overlap.count(), newest_listed)) {
      // Stored before listing: a poll that fails now still leaves no watermark in the future.
      auto r = co_await store->run([&](store::database& db) {
        return db.reset_watermark(account, data_type, *repaired, host_now);
      });
      if (!r) {
        report.error = r.error();
        co_return report;
      }
      spdlog::warn(
          "account={} data_type={}: the watermark {} was beyond the {}'s now {} (set by a clock "
          "that was ahead); pulled back to {} (the newest hour listed, or now - overlap), so the "
          "files published since are listed and fetched",
          account, data_type, format_iso8601_ms(**wm), server_now ? "server" : "host",
          format_iso8601_ms(now), format_iso8601_ms(*repaired));
      report.watermark_repaired_to = *repaired;
      report.watermark_after = *repaired;
      *wm = *repaired;
      next = *wm;
    }
    report.window = poll_window(*wm, s->initial_start_ms, s->overlap.count(),
                                window_end_ms(server_now, host_now));
    const auto slices = split_window(report.window, s->max_window.count());
    const auto complete = co_await sync_slices(client, store, s, data_type, slices, false, clock,
                                               &report, progress_fn{});
    if (!report.error) co_await fetch_pending(client, store, s, data_type, clock, &report);
    next = advance_watermark(*wm, slices, complete);
  }

  // The account's last error for `status`: what stopped the poll, else the files that failed
  // (each listed by `status` with its own error).
  std::optional<std::string> poll_error;
  if (report.error)
    poll_error = report.error->what();
  else if (!report.ok())
    poll_error = report.files_quarantined == 0
                     ? std::to_string(report.files_failed) +
                           " file(s) failed this poll (see the files not done)"
                     : std::to_string(report.files_failed) + " file(s) failed and " +
                           std::to_string(report.files_quarantined) +
                           " quarantined this poll (see the files not done)";
  const std::int64_t end_now = clock();
  std::optional<store::clock_reading> clocks;
  report.clock_skew_ms = client->server_time().skew_ms();
  if (const auto at = client->server_time().now_ms())
    clocks = store::clock_reading{*at, report.clock_skew_ms.value_or(0)};
  auto saved = co_await store->run([&](store::database& db) -> result<std::optional<std::int64_t>> {
    std::optional<std::int64_t> in_force = *wm;
    if (next && next != *wm) {
      auto r = db.advance_watermark(account, data_type, *next, end_now, *wm);
      if (!r) return r.error();
      in_force = *r;
    }
    auto p = db.record_poll(account, data_type, poll_error, end_now, clocks);
    if (!p) return p.error();
    return in_force;
  });
  if (!saved) {
    if (!report.error) report.error = saved.error();
  } else {
    report.watermark_after = *saved;
    if (next && *saved && **saved < *next && *wm && **saved < **wm)
      spdlog::info(
          "account={} data_type={}: the watermark was moved back to {} while this poll ran "
          "(reset-watermark); it stays there",
          account, data_type, format_iso8601_ms(**saved));
  }
  if (report.watermark_after &&
      client->server_time().now_ms().value_or(end_now) - *report.watermark_after >
          retention_warning_ms)
    spdlog::warn(
        "account={} data_type={}: watermark {} is more than 25 days behind; the API "
        "deletes files 30 days after creation",
        account, data_type, format_iso8601_ms(*report.watermark_after));
  co_return report;
}

}  // namespace

asio::awaitable<std::vector<poll_report>> poll_account(api::data_access_client& client,
                                                       store_worker& store,
                                                       account_settings settings, clock_fn clock) {
  create_private_dir(settings.spool_dir);
  client.set_clock_skew_warning(settings.clock_skew_warning);
  std::vector<poll_report> reports;
  for (const auto& dt : settings.data_types) {
    reports.push_back(co_await poll_data_type(&client, &store, &settings, dt, clock));
    if (reports.back().error && stops_account(reports.back().error->code)) break;
  }
  note_clocks(client, settings);
  co_return reports;
}

}  // namespace lpda::sync

namespace lpda::sync {

asio::awaitable<poll_report> backfill_range(api::data_access_client& client, store_worker& store,
                                            account_settings settings, std::string data_type,
                                            std::int64_t from_ms, std::int64_t to_ms, bool refetch,
                                            clock_fn clock, progress_fn progress) {
  create_private_dir(settings.spool_dir);
  poll_report report = new_report(&settings, data_type);
  report.is_backfill = true;
  report.window = {from_ms, to_ms};
  const auto slices = split_window(report.window, settings.max_window.count());
  co_await sync_slices(&client, &store, &settings, data_type, slices, refetch, clock, &report,
                       std::move(progress));
  co_return report;
}

}  // namespace lpda::sync
