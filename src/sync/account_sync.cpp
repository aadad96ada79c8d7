#include "lpda/sync/account_sync.hpp"

#include "lpda/api/data_access_client.hpp"
#include "lpda/core/error_kind.hpp"
#include "lpda/datatypes/registry.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <system_error>

namespace lpda::sync {
namespace asio = boost::asio;
namespace {

constexpr std::int64_t retention_warning_ms = 25LL * 24 * 3600 * 1000;

// Failures of this machine rather than of the file: a locked or broken database, or a spool
// that cannot be written (disk full, missing directory). They stop the poll instead of counting
// against the file, so a full disk never quarantines good files.
bool is_local_failure(const boost::system::error_code& ec) {
  const auto* t = traits_of(ec);
  return t != nullptr && t->scope == failure_scope::poll;
}

// Credentials or a token refused (401/403): the account stops until its next poll.
bool stops_account(const boost::system::error_code& ec) {
  const auto* t = traits_of(ec);
  return t != nullptr && t->scope == failure_scope::account;
}

// A failure that stops the poll rather than counting against one file: a local one, or
// credentials refused (which would fail every other file of the account too).
bool stops_poll(const boost::system::error_code& ec) {
  return is_local_failure(ec) || stops_account(ec);
}

// The spool holds bodies with agent names, so only the database's owner may read it (the
// database is 0600): the directory is 0700, its files 0600 (the http client creates them so).
void create_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
}

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
  progress_fn progress;                // called after each file, may be empty
  std::size_t files_total = 0;         // files to fetch in this run (for progress)
  bool complete = true;                // every file done or quarantined so far
  std::optional<lpda::error> fatal;    // stops the poll (401/403, store failure)
  asio::steady_timer* wake = nullptr;  // cancelled when a worker finishes
  // Set when the poll is cancelled (the daemon stopping); read by the store thread between
  // batches, so a file's transaction ends (rolled back) instead of running to its end.
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
};

slice_run new_run(api::data_access_client* client, store_worker* store, const account_settings* s,
                  const std::string& data_type, const clock_fn& clock, poll_report* report) {
  slice_run run;
  run.client = client;
  run.store = store;
  run.settings = s;
  run.data_type = data_type;
  run.clock = clock;
  run.report = report;
  return run;
}

// `rejected` marks a listing entry that could not be read (never downloaded): its failures are
// logged at error level, since no retry of the same listing can fix it.
asio::awaitable<void> record_file_failure(slice_run* run, data_file file, lpda::error err,
                                          std::filesystem::path spool, bool rejected = false) {
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
        "account={} data_type={} file={} attempt={}: quarantined after {} failed polls: {}",
        account, data_type, file.key, attempt, quarantine_after, err.what());
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
          "downloaded; quarantined after {} failed polls: {}",
          account, data_type, file.key, attempt, quarantine_after, err.what());
    else
      spdlog::warn("account={} data_type={} file={} attempt={}: failed, retried next poll: {}",
                   account, data_type, file.key, attempt, err.what());
  }
}

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

  const std::string account = s.account_id;
  const std::string data_type = run->data_type;
  const auto limits = s.decode_limits;
  const std::int64_t now = run->clock();
  const auto bytes = static_cast<std::int64_t>(downloaded->bytes);
  const auto stopping = run->stopping;
  spdlog::debug("account={} data_type={} file={}: downloaded {} bytes, storing", account, data_type,
                file.key, downloaded->bytes);
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
  if (downloaded->bytes == 0)
    spdlog::warn(
        "account={} data_type={} file={}: empty body (0 bytes) stored as a file with no events; "
        "if the hour had events, `lpda-sync backfill --refetch` fetches it again",
        account, data_type, file.key);
  run->report->events_read += stored->events_read;
  run->report->events_inserted += stored->events_inserted;
  spdlog::debug("account={} data_type={} file={}: stored {} events ({} new), {} bytes", account,
                data_type, file.key, stored->events_read, stored->events_inserted,
                downloaded->bytes);
}

asio::awaitable<void> download_worker(slice_run* run) {
  while (run->next < run->files.size() && !run->fatal) {
    data_file f = run->files[run->next++];
    co_await fetch_and_store(run, std::move(f));
    if (run->progress) run->progress(*run->report, run->files_total);
  }
}

// Fetches and stores `run->files` with at most max_concurrent_downloads at once.
//
// The workers are separate coroutines that point into `*run`, so this one must not return while
// any of them runs: a cancellation of the poll (the daemon stopping) does not throw here; it
// stops the workers from taking new files, and the wait goes on until the ones in flight end.
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

// A listing entry that could not be read, as the ledger row that stands for it. The href is left
// empty: nothing may download a rejected entry, and a row without href cannot be fetched (see
// fetch_pending).
struct rejected_file {
  data_file file;
  lpda::error reason;
};

rejected_file to_rejected_file(const api::rejected_entry& e, std::string key, const slice& sl) {
  rejected_file out;
  out.file.key = std::move(key);
  out.file.name = e.name.value_or("");
  if (e.name_parts) {
    out.file.part = e.name_parts->part;
    out.file.scope_start_ms = e.name_parts->scope_start_ms;
    out.file.scope_end_ms = e.name_parts->scope_end_ms;
  } else {
    // No hour to go by: the listed slice places the row in the ledger's order.
    out.file.scope_start_ms = sl.start_ms;
    out.file.scope_end_ms = sl.end_ms;
  }
  std::string message = "listing entry rejected: " + e.reason.message;
  if (e.href) message += " (@href " + api::escape_text(*e.href) + ")";
  out.reason = lpda::error{e.reason.code, std::move(message)};
  return out;
}

// Whether the ledger has the file as done or quarantined.
asio::awaitable<result<bool>> is_terminal(store_worker* store, std::string account,
                                          std::string data_type, std::string key) {
  auto st = co_await store->run(
      [&](store::database& db) { return db.status_of(account, data_type, key); });
  if (!st) co_return st.error();
  co_return *st && (**st == store::file_status::done || **st == store::file_status::quarantined);
}

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
  std::vector<std::vector<data_file>> pending(slices.size());
  std::vector<std::vector<rejected_file>> rejected(slices.size());
  std::vector<api::file_listing> listings;
  std::set<std::string> seen;

  for (std::size_t i = 0; i < slices.size(); ++i) {
    auto listing = co_await client->list_files(data_type, slices[i].start_ms, slices[i].end_ms);
    if (!listing) {
      report->error = listing.error();
      spdlog::error("account={} data_type={}: listing [{}, {}) failed: {}", account, data_type,
                    format_iso8601_ms(slices[i].start_ms), format_iso8601_ms(slices[i].end_ms),
                    listing.error().what());
      break;
    }
    listings.push_back(std::move(*listing));
  }
  const std::size_t listed_slices = listings.size();

  // Well-formed entries of this poll that share a key but not a href: which one holds the file
  // cannot be known, and storing either under the key could put one file's events under
  // another's name. Neither is downloaded; the key fails (listed first, in its first slice).
  std::map<std::string, std::vector<std::string>> hrefs_of;
  for (const auto& l : listings)
    for (const auto& f : l.files) {
      auto& hrefs = hrefs_of[f.key];
      if (std::find(hrefs.begin(), hrefs.end(), f.href) == hrefs.end()) hrefs.push_back(f.href);
    }

  for (std::size_t i = 0; i < listed_slices; ++i) {
    for (auto& f : listings[i].files) {
      if (!seen.insert(f.key).second) continue;
      ++report->files_listed;
      if (const auto& hrefs = hrefs_of[f.key]; hrefs.size() > 1) {
        auto terminal = co_await is_terminal(store, account, data_type, f.key);
        if (!terminal) {
          report->error = terminal.error();
          co_return complete;
        }
        if (*terminal) {
          // Stored or quarantined before; a conflicting listing must not replace it either.
          spdlog::warn(
              "account={} data_type={} file={}: listed {} times with different hrefs; "
              "the ledger has it finished, so it is not fetched again",
              account, data_type, f.key, hrefs.size());
          ++report->files_skipped;
          continue;
        }
        std::string list;
        for (const auto& h : hrefs) list += (list.empty() ? "" : ", ") + api::escape_text(h);
        rejected_file r;
        r.file = f;
        r.file.href.clear();  // a row without href is never downloaded (see fetch_pending)
        r.reason =
            lpda::error{errc::bad_listing,
                        "listing entry rejected: file " + f.key + " is listed " +
                            std::to_string(hrefs.size()) + " times with different hrefs (" + list +
                            "); neither is downloaded, since either could hold the other's events"};
        rejected[i].push_back(std::move(r));
        continue;
      }
      auto terminal = co_await is_terminal(store, account, data_type, f.key);
      if (!terminal) {
        report->error = terminal.error();
        co_return complete;
      }
      if (*terminal && !refetch) {
        ++report->files_skipped;
        continue;
      }
      pending[i].push_back(std::move(f));
    }
    for (const auto& e : listings[i].rejected) {
      std::string key = api::ledger_key(e);
      // Keyed by its name, unless a well-formed entry of this poll has that name: then the file
      // is fetched under its name and the bad entry gets its own derived key.
      if (hrefs_of.count(key) != 0) key = e.entry_key;
      if (!seen.insert(key).second) continue;
      ++report->files_listed;
      auto terminal = co_await is_terminal(store, account, data_type, key);
      if (!terminal) {
        report->error = terminal.error();
        co_return complete;
      }
      // A quarantined entry was reported when it was quarantined; a done row is a file stored
      // before its entry went bad. Neither is fetched again by a rejected entry.
      if (*terminal) {
        ++report->files_skipped;
        continue;
      }
      rejected[i].push_back(to_rejected_file(e, std::move(key), slices[i]));
    }
  }

  std::size_t total = 0;
  for (const auto& p : pending) total += p.size();
  if (progress) progress(*report, total);
  for (std::size_t i = 0; i < listed_slices; ++i) {
    slice_run run = new_run(client, store, s, data_type, clock, report);
    run.files = std::move(pending[i]);
    run.progress = progress;
    run.files_total = total;
    for (auto& r : rejected[i]) {
      if (run.fatal) break;
      co_await record_file_failure(&run, std::move(r.file), std::move(r.reason), {}, true);
    }
    if (!run.files.empty() && !run.fatal) co_await run_slice(&run);
    complete[i] = run.complete && !run.fatal;
    if (run.fatal) {
      report->error = run.fatal;
      if (stops_account(run.fatal->code))
        spdlog::error("account={} data_type={}: not authorized, poll stopped: {}", account,
                      data_type, run.fatal->what());
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
  slice_run run = new_run(client, store, s, data_type, clock, report);
  std::vector<rejected_file> unfetchable;
  for (const auto& f : *pending) {
    if (f.data_type != data_type) continue;
    data_file file{f.key, f.name, f.href, f.part, f.scope_start_ms, f.scope_end_ms};
    ++report->files_listed;
    if (f.href.empty()) {
      // The row of a rejected listing entry: it has nothing to download. Only a listing that
      // shows the file well-formed can fetch it, so this attempt fails (and counts) as such.
      const std::string head = "ledger row " + f.key + " has no href to fetch (";
      const std::string cause = f.last_error.value_or("its listing entry was rejected");
      lpda::error err{
          errc::bad_listing,
          cause.rfind(head, 0) == 0
              ? cause
              : head + cause + "); it is fetched only when a listing shows it well-formed"};
      unfetchable.push_back({std::move(file), std::move(err)});
      continue;
    }
    run.files.push_back(std::move(file));
  }
  for (auto& u : unfetchable) {
    if (run.fatal) break;
    co_await record_file_failure(&run, std::move(u.file), std::move(u.reason), {}, true);
  }
  if (!run.files.empty() && !run.fatal) {
    spdlog::info("account={} data_type={}: fetching {} file(s) reset from quarantine", account,
                 data_type, run.files.size());
    co_await run_slice(&run);
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
    poll_error = std::to_string(report.files_failed + report.files_quarantined) +
                 " file(s) failed this poll (see the files not done)";
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
