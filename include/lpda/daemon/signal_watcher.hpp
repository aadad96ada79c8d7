#pragma once
/// Turns the daemon's process signals into callbacks on its event loop: SIGTERM and SIGINT ask it
/// to stop, SIGHUP to reload its configuration (the systemd convention, systemd.service(5)
/// `ExecReload=`/`KillSignal=`; signal numbers from signal(7)).
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace lpda::daemon {

/// Watches SIGTERM, SIGINT and SIGHUP with an Asio `signal_set` (Asio installs the process-wide
/// handlers while it exists, so these signals no longer kill the process). Callbacks run on the
/// executor, never inside a signal handler, so they may do anything. The watch re-arms after each
/// signal until `cancel()`. Not thread-safe: use from the executor's thread.
class signal_watcher {
 public:
  /// `on_stop(signal_number)` for SIGTERM/SIGINT; `on_reload()` for SIGHUP. Either may be empty.
  /// Throws `boost::system::system_error` if the signal handlers cannot be installed.
  signal_watcher(boost::asio::any_io_executor executor, std::function<void(int)> on_stop,
                 std::function<void()> on_reload);
  ~signal_watcher();
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

  /// Starts waiting for signals (idempotent).
  void start();
  /// Stops waiting and removes the handlers; later signals take their default action again.
  void cancel();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace lpda::daemon
