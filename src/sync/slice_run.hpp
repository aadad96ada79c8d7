#pragma once
// One run of downloads (the files of one listed slice, or the ledger's pending rows): the state
// that the poll (account_sync.cpp), the download pool (download_pool.hpp) and the file pipeline
// (file_pipeline.hpp) share, and how a failure's scope decides what it stops.
#include "lpda/core/error_kind.hpp"
#include "lpda/sync/account_sync.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lpda::sync::detail {

// Failures of this machine rather than of the file: a locked or broken database, or a spool
// that cannot be written (disk full, missing directory). They stop the poll instead of counting
// against the file, so a full disk never quarantines good files.
inline bool is_local_failure(const boost::system::error_code& ec) {
  const auto* t = traits_of(ec);
  return t != nullptr && t->scope == failure_scope::poll;
}

// Credentials or a token refused (401/403): the account stops until its next poll.
inline bool stops_account(const boost::system::error_code& ec) {
  const auto* t = traits_of(ec);
  return t != nullptr && t->scope == failure_scope::account;
}

// A failure that stops the poll rather than counting against one file: a local one, or
// credentials refused (which would fail every other file of the account too).
inline bool stops_poll(const boost::system::error_code& ec) {
  return is_local_failure(ec) || stops_account(ec);
}

// State shared by the download workers of one slice. Everything runs on one io_context thread,
// so plain members need no synchronisation.
struct slice_run {
  api::data_access_client* client = nullptr;
  store_worker* store = nullptr;
  const account_settings* settings = nullptr;
  std::string data_type;
  clock_fn clock;
  poll_report* report = nullptr;
  std::vector<data_file> files;
  std::size_t next = 0;
  std::size_t running = 0;
  progress_fn progress;                       // called after each file, may be empty
  std::size_t files_total = 0;                // files to fetch in this run (for progress)
  bool complete = true;                       // every file done or quarantined so far
  std::optional<lpda::error> fatal;           // stops the poll (401/403, store failure)
  boost::asio::steady_timer* wake = nullptr;  // cancelled when a worker finishes
  // Set when the poll is cancelled (the daemon stopping); read by the store thread between
  // batches, so a file's transaction ends (rolled back) instead of running to its end.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
};

inline slice_run new_run(api::data_access_client* client, store_worker* store,
                         const account_settings* s, const std::string& data_type,
                         const clock_fn& clock, poll_report* report) {
  slice_run run;
  run.client = client;
  run.store = store;
  run.settings = s;
  run.data_type = data_type;
  run.clock = clock;
  run.report = report;
  return run;
}

}  // namespace lpda::sync::detail
