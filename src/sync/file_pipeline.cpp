#include "sync/file_pipeline.hpp"

#include "lpda/datatypes/registry.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <system_error>

namespace lpda::sync::detail {

void create_private_dir(const std::filesystem::path& dir) {
  // Only a directory made here gets mode 0700: an existing one keeps the mode its owner chose
  // (e.g. a BI group's), and a path that is not a directory is left alone — creating a spool
  // file in it then fails, naming it.
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(dir, ec))) return;
  if (std::filesystem::create_directories(dir, ec))
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
}

boost::asio::awaitable<void> record_file_failure(slice_run* run, data_file file, lpda::error err,
                                                 std::filesystem::path spool, bool rejected) {
  const auto& s = *run->settings;
  const std::string account = s.account_id;
  const std::string data_type = run->data_type;
  const int quarantine_after = s.quarantine_after;
  const std::int64_t now = run->clock();
  int attempt = 0;
  auto status = co_await run->store->run([&](store::database& db) {
    return db.record_failure(account, data_type, file, err, quarantine_after, now, &attempt);
  });
  if (!status) {
    spdlog::error("account={} data_type={} file={}: cannot record failure ({}): {}", account,
                  data_type, file.key, err.what(), status.error().what());
    run->complete = false;
    run->fatal = status.error();
    std::error_code ec;
    std::filesystem::remove(spool, ec);
    co_return;
  }
  if (*status == store::file_status::quarantined) {
    ++run->report->files_quarantined;
    // Keep the body for inspection: a quarantined file is never skipped silently.
    const auto dir = s.spool_dir / "quarantine";
    create_private_dir(dir);
    std::error_code ec;
    if (!spool.empty() && std::filesystem::exists(spool))
      std::filesystem::rename(spool, dir / spool.filename(), ec);
    spdlog::error(
        "account={} data_type={} file={} attempt={}: quarantined after {} failed poll{}: {}",
        account, data_type, file.key, attempt, quarantine_after, quarantine_after == 1 ? "" : "s",
        err.what());
  } else if (*status == store::file_status::done) {
    // Another process stored it meanwhile; nothing is lost.
    std::error_code ec;
    std::filesystem::remove(spool, ec);
    if (rejected)
      spdlog::error(
          "account={} data_type={} file={}: listing entry rejected (the ledger already "
          "has this file as done): {}",
          account, data_type, file.key, err.what());
  } else {
    ++run->report->files_failed;
    run->complete = false;
    std::error_code ec;
    std::filesystem::remove(spool, ec);
    if (rejected)
      spdlog::error(
          "account={} data_type={} file={} attempt={}: listing entry rejected, not "
          "downloaded; quarantined after {} failed poll{}: {}",
          account, data_type, file.key, attempt, quarantine_after, quarantine_after == 1 ? "" : "s",
          err.what());
    else
      spdlog::warn("account={} data_type={} file={} attempt={}: failed, retried next poll: {}",
                   account, data_type, file.key, attempt, err.what());
  }
}

boost::asio::awaitable<void> store_file(slice_run* run, data_file file, std::filesystem::path spool,
                                        std::uint64_t body_bytes) {
  const auto& s = *run->settings;
  const std::string account = s.account_id;
  const std::string data_type = run->data_type;
  const auto limits = s.decode_limits;
  const std::int64_t now = run->clock();
  const auto bytes = static_cast<std::int64_t>(body_bytes);
  const auto stopping = run->stopping;
  spdlog::debug("account={} data_type={} file={}: downloaded {} bytes, storing", account, data_type,
                file.key, body_bytes);
  auto stored = co_await run->store->run([&](store::database& db) -> result<store::ingest_summary> {
    // The data type's decoder, from the registry (config admits only registered names).
    const auto* type = datatypes::find(data_type);
    if (!type) return lpda::error{errc::config_invalid, "unknown data type " + data_type};
    auto decoder = type->open_file(spool, limits);
    if (!decoder) return decoder.error();
    // Cancelling the poll (the daemon stopping) fails the file with errc::cancelled between two
    // batches, which rolls its transaction back (the file is stored on a later poll).
    (*decoder)->stop_when(*stopping);
    return db.ingest_file(account, data_type, file, **decoder, now, bytes);
  });
  if (!stored && stored.error().code == make_error_code(errc::cancelled)) {
    // Stopping: not a failure of the file, so no attempt is counted against it.
    spdlog::info("account={} data_type={} file={}: not stored, stopping; stored on a later poll",
                 account, data_type, file.key);
    run->complete = false;
    std::error_code ec;
    std::filesystem::remove(spool, ec);
    co_return;
  }
  if (!stored) {
    if (is_local_failure(stored.error().code)) {
      spdlog::error("account={} data_type={} file={}: store failed: {}", account, data_type,
                    file.key, stored.error().what());
      run->complete = false;
      if (!run->fatal) run->fatal = stored.error();
      std::error_code ec;
      std::filesystem::remove(spool, ec);
      co_return;
    }
    co_await record_file_failure(run, file, stored.error(), spool);
    co_return;
  }
  std::error_code ec;
  std::filesystem::remove(spool, ec);
  if (s.on_store_transaction)
    s.on_store_transaction(std::chrono::milliseconds(stored->duration_ms));
  ++run->report->files_done;
  if (body_bytes == 0)
    spdlog::warn(
        "account={} data_type={} file={}: empty body (0 bytes) stored as a file with no events; "
        "if the hour had events, `lpda-sync backfill --refetch` fetches it again",
        account, data_type, file.key);
  run->report->events_read += stored->events_read;
  run->report->events_inserted += stored->events_inserted;
  spdlog::debug("account={} data_type={} file={}: stored {} events ({} new), {} bytes", account,
                data_type, file.key, stored->events_read, stored->events_inserted, body_bytes);
}

}  // namespace lpda::sync::detail
