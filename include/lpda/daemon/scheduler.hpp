#pragma once
/// Runs every account's polls on its own schedule on one event loop.
///
/// Each account has one loop coroutine: wait on a timer until the account is due, run the poll
/// function, compute the next due time with `backoff_state` (schedule.hpp), repeat. So one slow or
/// failing account never delays another, a poll of an account never overlaps the previous poll of
/// the same account, and an idle daemon is a set of pending timers (no busy loop).
#include "lpda/daemon/schedule.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lpda::daemon {

/// One account as the scheduler sees it (built from the config by the caller).
struct scheduled_account {
  std::string account_id;
  std::chrono::milliseconds poll_interval{15 * 60'000};
  std::chrono::milliseconds backoff_max{60 * 60'000};
  bool operator==(const scheduled_account&) const = default;
};

/// Runs one poll of the account named by its argument. Runs on the scheduler's executor.
/// An exception escaping it counts as `poll_outcome::failed` (and is reported to `on_error`).
using poll_function = std::function<boost::asio::awaitable<poll_outcome>(std::string account_id)>;

/// A snapshot of one account's progress, for STATUS= lines, logs and metrics.
struct account_progress {
  std::string account_id;
  std::uint64_t polls_started = 0;
  std::uint64_t polls_finished = 0;
  std::optional<poll_outcome> last_outcome;  ///< nullopt before the first poll ends
  int consecutive_failures = 0;
  bool polling = false;  ///< a poll is in flight now
  std::chrono::milliseconds last_poll_duration{0};
  /// Time from now until the next poll is due, in ms (0 when due or polling).
  std::chrono::milliseconds next_poll_in{0};
};

/// A one-line summary of progress for `sd_notify` STATUS=, e.g.
/// "3 accounts: 1 polling, 1 ok, 1 failing (max 3 in a row), 0 auth failed; 42 polls".
/// Accounts that have not finished a poll yet count as "waiting".
std::string format_status(const std::vector<account_progress>& progress);

/// The scheduler of all accounts. Not thread-safe: create it, call its functions and run its
/// executor on one thread (the daemon's event loop). Destroying it stops it; loops still
/// pending keep the shared state alive until they end.
class scheduler {
 public:
  struct options {
    /// Fraction of each delay used for jitter, in [0, 1).
    double jitter = 0.1;
    /// Draws u ∈ [−1, 1] for each delay; defaults to `default_jitter_source()`.
    jitter_source random;
    /// Called (on the executor) for each exception that escaped a poll, with the account and
    /// the exception's text. The poll counts as failed.
    std::function<void(const std::string& account_id, const std::string& what)> on_error;
    /// Called (on the executor) with each finished poll's account, outcome and the delay until
    /// the account's next poll.
    std::function<void(const std::string& account_id, poll_outcome outcome,
                       std::chrono::milliseconds next_delay)>
        on_poll_finished;
    /// Called once, after `stop()`, when the last account loop has ended.
    std::function<void()> on_stopped;
  };

  /// How `stop()` treats polls in flight.
  enum class stop_mode {
    finish,  ///< let polls in flight run to their end
    cancel,  ///< also emit terminal cancellation into each poll coroutine (Asio per-operation
             ///< cancellation: the awaited operation completes with operation_aborted)
  };

  scheduler(boost::asio::any_io_executor executor, poll_function poll, options opts);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// Starts (or after a reload, changes) the set of accounts, keyed by `account_id`:
  /// - a new account starts with a poll at once;
  /// - an account no longer listed stops: at once when it is waiting, after its current poll
  ///   when one is in flight (the poll is not cancelled);
  /// - an account whose interval or backoff cap changed keeps its failure count; its next poll
  ///   is re-timed from its last start with the new settings (at once if that is past);
  /// - an account removed and re-added while its last poll runs continues on the same loop, so
  ///   two polls of one account never overlap.
  /// Ignored after `stop()`. Duplicate ids: the last entry wins.
  void update_accounts(std::vector<scheduled_account> accounts);

  /// No new polls from now on; every waiting account loop ends at once. Polls in flight finish
  /// or are cancelled per `mode`. `options::on_stopped` runs once the last loop has ended, always
  /// posted to the executor (never from inside `stop`). Idempotent.
  void stop(stop_mode mode = stop_mode::finish);

  /// True after `stop()`.
  bool stopping() const noexcept;

  /// Number of account loops still running (polling, waiting, or finishing after removal/stop).
  std::size_t active_loops() const noexcept;

  /// Progress of every current account, ordered by account id (removed accounts are left out).
  std::vector<account_progress> progress() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// Calls `beat` every `interval` on `executor` until `stop()`: the watchdog keep-alive. Because
/// it runs on the daemon's event loop, a blocked or busy-stuck loop sends no beats and the
/// service manager's watchdog fires. Not thread-safe (one thread, like `scheduler`).
class heartbeat {
 public:
  heartbeat(boost::asio::any_io_executor executor, std::chrono::milliseconds interval,
            std::function<void()> beat);
  ~heartbeat();
  heartbeat(const heartbeat&) = delete;
  heartbeat& operator=(const heartbeat&) = delete;

  /// Sends the first beat at once, then one every interval.
  void start();
  /// No further beats; the timer is cancelled. Idempotent.
  void stop();
  /// Beats sent so far.
  std::uint64_t beats() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace lpda::daemon
