#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/units.hpp"
#include "lpda/sync/window.hpp"
#include "sync_context.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace lpda::cli {
namespace asio = boost::asio;
namespace {

// Shows progress: a self-overwriting line on a terminal, a log line every few seconds otherwise.
class progress_printer {
 public:
  explicit progress_printer(std::string label)
      : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) == 1), start_ms_(system_now_ms()) {}

  void update(const sync::poll_report& r, std::size_t total) {
    const std::size_t done = r.files_done + r.files_failed + r.files_quarantined;
    const std::int64_t now = system_now_ms();
    const std::int64_t elapsed = now - start_ms_;
    std::string eta = "-";
    if (done > 0 && total > done)
      eta = std::to_string(elapsed * static_cast<std::int64_t>(total - done) /
                           static_cast<std::int64_t>(done) / 1000) +
            "s";
    const std::string line =
        fmt::format("{}: files {}/{} ({} failed, {} quarantined), {} events, ETA {}", label_, done,
                    total, r.files_failed, r.files_quarantined, r.events_read, eta);
    if (tty_) {
      std::fprintf(stderr, "\r%-100s", line.c_str());
      if (done == total) std::fputc('\n', stderr);
      std::fflush(stderr);
    } else if (now - last_log_ms_ >= 5000 || done == total) {
      last_log_ms_ = now;
      spdlog::info("{}", line);
    }
  }

 private:
  std::string label_;
  bool tty_;
  std::int64_t start_ms_;
  std::int64_t last_log_ms_ = 0;
};

struct backfill_job {
  account_runtime* rt = nullptr;
  sync::store_worker* store = nullptr;
  std::int64_t from_ms = 0, to_ms = 0;
  bool refetch = false;
  std::vector<sync::poll_report> reports;
  progress_printer* printer = nullptr;
};

asio::awaitable<void> run_backfill(backfill_job* job) {
  for (const auto& dt : job->rt->settings.data_types) {
    progress_printer* printer = job->printer;
    auto report = co_await sync::backfill_range(
        *job->rt->client, *job->store, job->rt->settings, dt, job->from_ms, job->to_ms,
        job->refetch, system_now_ms,
        [printer](const sync::poll_report& r, std::size_t total) { printer->update(r, total); });
    job->reports.push_back(std::move(report));
  }
}

}  // namespace

result<backfill_range> backfill_range_of(const std::string& from_text, const std::string& to_text,
                                         std::int64_t now_ms) {
  backfill_range r;
  auto from = config::parse_time_argument(from_text, now_ms);
  if (!from) return lpda::error{errc::config_invalid, "--from: " + from.error().message};
  auto to =
      to_text.empty() ? result<std::int64_t>(now_ms) : config::parse_time_argument(to_text, now_ms);
  if (!to) return lpda::error{errc::config_invalid, "--to: " + to.error().message};
  for (auto [t, name] : {std::pair{*from, "--from"}, std::pair{*to, "--to"}}) {
    if (t > now_ms)
      return lpda::error{errc::config_invalid,
                         std::string(name) + " " + format_iso8601_ms(t) +
                             " is in the future (now is " + format_iso8601_ms(now_ms) +
                             "); a backfill fetches files that exist already"};
  }
  // The Data Access API deletes files 30 days after creating them; the poll window stops 29
  // days back (sync::retention_ms) and so does a backfill, rather than listing years of nothing.
  const std::int64_t limit = now_ms - sync::retention_ms;
  if (*to <= limit)
    return lpda::error{errc::config_invalid,
                       "--to " + format_iso8601_ms(*to) + " is more than 29 days back (before " +
                           format_iso8601_ms(limit) +
                           "): the Data Access API keeps files for 30 days, so nothing in the "
                           "range can be fetched"};
  r.from_ms = *from;
  r.to_ms = *to;
  if (*from < limit) {
    r.from_ms = limit;
    r.warning = "--from " + format_iso8601_ms(*from) + " is more than 29 days back; starting at " +
                format_iso8601_ms(limit) + " instead (the Data Access API keeps files for 30 days)";
  }
  if (r.from_ms >= r.to_ms) return lpda::error{errc::config_invalid, "--from must be before --to"};
  return r;
}

int run_backfill(const backfill_options& opts) {
  config::config cfg;
  if (auto rc = load_config(opts.config_path, cfg)) return *rc;
  const auto range = backfill_range_of(opts.from, opts.to, system_now_ms());
  if (!range) {
    std::cerr << "lpda-sync backfill: " << range.error().message << '\n';
    return exit_usage;
  }
  if (range->warning) spdlog::warn("backfill: {}", *range->warning);
  int rc = exit_ok;
  auto ctx = sync_context::open(cfg, rc);
  if (!ctx) return rc;
  if (!ctx->add_accounts(opts.account)) return exit_usage;
  spdlog::info("backfill account={} from {} to {}{} (the watermark is not moved)", opts.account,
               format_iso8601_ms(range->from_ms), format_iso8601_ms(range->to_ms),
               opts.refetch ? ", refetching" : "");
  progress_printer printer("backfill " + opts.account);
  backfill_job job{ctx->accounts().front().get(),
                   &ctx->store(),
                   range->from_ms,
                   range->to_ms,
                   opts.refetch,
                   {},
                   &printer};
  std::optional<std::string> crash;
  asio::co_spawn(ctx->io(), run_backfill(&job), [&crash](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      crash = ex.what();
    }
  });
  ctx->io().run();
  ctx->shutdown();
  if (crash) spdlog::error("backfill aborted: {}", *crash);
  for (const auto& r : job.reports) log_report(r);
  return exit_code_for(job.reports, crash.has_value());
}

}  // namespace lpda::cli
