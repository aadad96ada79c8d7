#include "sync/download_pool.hpp"

#include "sync/file_pipeline.hpp"

#include "lpda/api/data_access_client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

namespace lpda::sync::detail {
namespace asio = boost::asio;
namespace {

// A file name safe for the spool directory: keys are "Agent.<ms>.<ms>.part-00001-0", but the
// listing is remote input, so anything outside [A-Za-z0-9._-] is replaced.
std::string spool_name(std::string_view account, std::string_view data_type, std::string_view key) {
  std::string out;
  for (std::string_view part :
       {account, std::string_view("_"), data_type, std::string_view("_"), key})
    for (char c : part) {
      const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      out.push_back(safe ? c : '_');
    }
  if (!out.empty() && out.front() == '.') out.front() = '_';
  return out;
}

// Downloads `file` into the spool, then hands it to the file pipeline.
asio::awaitable<void> fetch_and_store(slice_run* run, data_file file) {
  const auto& s = *run->settings;
  // The process id keeps concurrent processes (run, backfill) from sharing a spool file.
  const auto spool =
      s.spool_dir / (std::to_string(::getpid()) + "-" +
                     spool_name(s.account_id, run->data_type, file.key) + ".download");

  auto downloaded = co_await run->client->download(file, spool);
  if (!downloaded) {
    const auto& err = downloaded.error();
    if (stops_poll(err.code)) {
      if (is_local_failure(err.code))
        spdlog::error("account={} data_type={} file={}: {}", s.account_id, run->data_type, file.key,
                      err.what());
      run->complete = false;
      if (!run->fatal) run->fatal = err;
      std::error_code ec;
      std::filesystem::remove(spool, ec);
      co_return;
    }
    co_await record_file_failure(run, file, err, spool);
    co_return;
  }
  run->report->bytes_downloaded += downloaded->bytes;
  co_await store_file(run, std::move(file), spool, downloaded->bytes);
}

asio::awaitable<void> download_worker(slice_run* run) {
  while (run->next < run->files.size() && !run->fatal) {
    data_file f = run->files[run->next++];
    co_await fetch_and_store(run, std::move(f));
    if (run->progress) run->progress(*run->report, run->files_total);
  }
}

}  // namespace

asio::awaitable<void> run_slice(slice_run* run) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer wake(ex);
  run->wake = &wake;
  const std::size_t workers = std::min(
      run->files.size(), std::max<std::size_t>(1, run->settings->max_concurrent_downloads));
  for (std::size_t i = 0; i < workers; ++i) {
    ++run->running;
    asio::co_spawn(ex, download_worker(run), [run](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex2) {
          if (!run->fatal) run->fatal = lpda::error{errc::store_io, ex2.what()};
        }
        run->complete = false;
      }
      --run->running;
      run->wake->cancel();
    });
  }
  while (run->running > 0) {
    wake.expires_at(asio::steady_timer::time_point::max());
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    const auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none && !run->fatal) {
      run->fatal = lpda::error{errc::cancelled, "poll cancelled (stopping)"};
      run->complete = false;
      run->stopping->store(true, std::memory_order_relaxed);
    }
  }
  co_await asio::this_coro::throw_if_cancelled(true);
}

}  // namespace lpda::sync::detail
