#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/units.hpp"
#include "sync_context.hpp"

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

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
                           static_cast<std::int64_t>(done) / 1000) + "s";
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

result<std::int64_t> parse_time_point(const std::string& text, std::int64_t now_ms) {
  if (auto d = config::parse_duration(text)) return now_ms - d->count();
  auto t = config::parse_iso8601(text);
  if (!t)
    return lpda::error{errc::config_invalid,
                       "'" + text + "' is neither a duration before now (e.g. 7d, 12h) nor an "
                       "ISO 8601 date (e.g. 2026-01-01 or 2026-01-01T00:00:00Z)"};
  return *t;
}

int run_backfill(const backfill_options& opts) {
  config::config cfg;
  if (auto rc = load_config(opts.config_path, cfg)) return *rc;
  const std::int64_t now = system_now_ms();
  auto from = parse_time_point(opts.from, now);
  auto to = opts.to.empty() ? result<std::int64_t>(now) : parse_time_point(opts.to, now);
  if (!from || !to) {
    std::cerr << "lpda-sync backfill: " << (!from ? from.error().what() : to.error().what()) << '\n';
    return exit_usage;
  }
  if (*from >= *to) {
    std::cerr << "lpda-sync backfill: --from must be before --to\n";
    return exit_usage;
  }
  int rc = exit_ok;
  auto ctx = sync_context::open(cfg, rc);
  if (!ctx) return rc;
  if (!ctx->add_accounts(opts.account)) return exit_usage;
  spdlog::info("backfill account={} from {} to {}{} (the watermark is not moved)", opts.account,
               format_iso8601_ms(*from), format_iso8601_ms(*to), opts.refetch ? ", refetching" : "");
  progress_printer printer("backfill " + opts.account);
  backfill_job job{ctx->accounts().front().get(), &ctx->store(), *from, *to, opts.refetch, {}, &printer};
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
