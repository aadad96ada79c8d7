#pragma once
/// The long-running service around the scheduler: signals, systemd notification, watchdog and
/// configuration reload composed on one event loop — everything `lpda-sync run` needs except
/// building the accounts' poll function from the config.
///
/// Life cycle (issue "the daemon"; systemd.service(5) `Type=notify`, sd_notify(3)):
/// 1. `start(accounts)`: signal handlers installed, every account scheduled (first polls at once),
///    `READY=1` and a `STATUS=` line sent, and — when `$WATCHDOG_USEC` is set — a heartbeat on
///    the loop sends `WATCHDOG=1` every half of it.
/// 2. after every poll: `STATUS=` with `format_status` of the scheduler's progress.
/// 3. SIGHUP: `RELOADING=1`, then the `reload` hook; its accounts replace the running set
///    (`scheduler::update_accounts`); a reload error is logged and the old set kept; `READY=1`.
/// 4. SIGTERM/SIGINT (or `request_stop`): `STOPPING=1`, no new polls, polls in flight cancelled
///    (Asio terminal cancellation). When the last poll has ended, the heartbeat and the signal
///    watch end too, so the event loop runs out of work and `io_context::run` returns.
///    If polls are still running `shutdown_timeout` after the stop, `on_shutdown_timeout` runs
///    (e.g. `io_context::stop`), so the process still exits in bounded time.
#include "lpda/core/error.hpp"
#include "lpda/daemon/notifier.hpp"
#include "lpda/daemon/scheduler.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lpda::daemon {

/// What the service calls back into; only `poll` is required.
struct service_hooks {
  /// One poll of an account (see `poll_function`).
  poll_function poll;
  /// On SIGHUP: the new set of accounts from a freshly loaded config, or an error (with a message
  /// naming the file and the problem) to keep the old set. Empty: SIGHUP only logs.
  std::function<result<std::vector<scheduled_account>>()> reload;
  /// At a stop request (SIGTERM, SIGINT, `request_stop`), on the executor, before polls are
  /// cancelled: e.g. to stop other work on the loop (the metrics endpoint) so it can run out.
  std::function<void()> on_stopping;
  /// When polls are still running `shutdown_timeout` after a stop request.
  std::function<void()> on_shutdown_timeout;
  /// Called after each poll with the account, its outcome and the delay to its next poll, for
  /// logs and metrics (the service itself logs only auth failures, reloads and stops).
  std::function<void(const std::string& account_id, poll_outcome outcome,
                     std::chrono::milliseconds next_delay)>
      on_poll_finished;
};

/// Settings of the service.
struct service_settings {
  double jitter = 0.1;   ///< of each poll delay, in [0, 1)
  jitter_source random;  ///< empty: `default_jitter_source()`
  /// Bound on the wait for polls in flight after a stop request.
  std::chrono::milliseconds shutdown_timeout{8000};
  /// Watchdog ping period; nullopt: from `$WATCHDOG_USEC` (`notifier::watchdog_interval`), which
  /// is also nullopt outside systemd (no pings).
  std::optional<std::chrono::milliseconds> watchdog_interval;
};

/// Composes `scheduler`, `signal_watcher`, `heartbeat` and `notifier` on one executor. Not
/// thread-safe: create it, call it and run its executor on one thread. Logs with spdlog.
class service {
 public:
  /// Throws `boost::system::system_error` if the signal handlers cannot be installed.
  service(boost::asio::any_io_executor executor, service_hooks hooks, service_settings settings);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Starts the service with the initial accounts (step 1 above). Call once.
  void start(std::vector<scheduled_account> accounts);

  /// Stops as on SIGTERM (step 4). Idempotent.
  void request_stop();

  /// Reloads as on SIGHUP (step 3).
  void reload();

  /// True once every poll has ended after a stop.
  bool stopped() const noexcept;

  /// Reloads that were applied / rejected so far.
  int reloads_applied() const noexcept;
  int reloads_rejected() const noexcept;

  /// The scheduler, e.g. for `progress()`.
  const scheduler& accounts() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace lpda::daemon
