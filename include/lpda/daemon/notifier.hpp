#pragma once
/// The service manager notification protocol (systemd `Type=notify`): READY, STATUS, WATCHDOG,
/// STOPPING and RELOADING messages sent as datagrams to the socket named by `$NOTIFY_SOCKET`.
///
/// Protocol reference: sd_notify(3)
/// (https://www.freedesktop.org/software/systemd/man/sd_notify.html) and sd_watchdog_enabled(3);
/// the `Type=notify-reload` sequence RELOADING=1 + MONOTONIC_USEC is described in
/// systemd.service(5). Outside systemd (`$NOTIFY_SOCKET` unset) every call is a no-op that reports
/// "not sent".
#include "lpda/core/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::daemon {

/// Sends notifications to the service manager. Stateless and cheap: every call reads
/// `$NOTIFY_SOCKET` afresh (libsystemd's `sd_notify`), so a test may point it at its own socket.
/// The environment is never modified (`unset_environment` = 0). Thread-safe.
class notifier {
 public:
  /// `READY=1`: start-up finished (config and database open). After a reload, `ready()` again
  /// ends the reload. Returns true when sent, false when `$NOTIFY_SOCKET` is unset, or an
  /// `errc::network` error naming the message when sending failed.
  result<bool> ready() const;

  /// `STATUS=<text>`: a one-line progress summary shown by `systemctl status`. Line breaks in
  /// `text` are replaced by spaces (a newline would start another assignment). Same results as
  /// `ready()`.
  result<bool> status(std::string_view text) const;

  /// `WATCHDOG=1`: the keep-alive ping; send it at least every `watchdog_interval()`.
  result<bool> watchdog() const;

  /// `STOPPING=1`: shutdown has begun.
  result<bool> stopping() const;

  /// `RELOADING=1` with `MONOTONIC_USEC=<CLOCK_MONOTONIC in µs>`: a configuration reload has
  /// begun; end it with `ready()`.
  result<bool> reloading() const;

  /// `EXTEND_TIMEOUT_USEC=<µs>`: asks the service manager for `ahead` more time from now before
  /// the current start-up (or stop, or runtime) timeout fires — e.g. while a long database
  /// migration runs before `ready()`. Send it again before `ahead` runs out to extend further
  /// (sd_notify(3), systemd 236 and later). Same results as `ready()`.
  result<bool> extend_timeout(std::chrono::microseconds ahead) const;

  /// Sends any assignment list verbatim (lines "KEY=VALUE" separated by '\n').
  result<bool> send(std::string_view assignments) const;

  /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC` (the margin sd_watchdog_enabled(3)
  /// recommends), or nullopt when the watchdog is off (unset, zero, malformed, or
  /// `$WATCHDOG_PID` names another process). At least 1 ms when enabled.
  static std::optional<std::chrono::milliseconds> watchdog_interval();
};

}  // namespace lpda::daemon
