#pragma once
// Private to the cli module: how a command that opens the store for writing shows the
// migrations it runs (sqlite::settings::on_migration): log lines, or one updating line on a
// terminal, and under systemd EXTEND_TIMEOUT_USEC and STATUS so a long migration at start-up is
// not killed by the start timeout (sd_notify(3)).
#include "lpda/sqlite/migration.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace lpda::cli {

/// Where migration progress goes. Timing comes from the events' `elapsed`, so a test can feed
/// events without waiting.
struct migration_report_sinks {
  /// stderr is a terminal: one line rewritten in place (`terminal`), no log lines.
  bool tty = false;
  std::function<void(std::string_view)> terminal;  ///< writes text as it is ("\r..." updates)
  std::function<void(std::string_view)> log;       ///< one info log line
  /// Sends sd_notify assignments ("KEY=VALUE" lines); empty when not under systemd.
  std::function<void(std::string_view)> notify;
  /// A log line (or terminal update) of progress at most this often.
  std::chrono::milliseconds log_every{5000};
  /// EXTEND_TIMEOUT_USEC asks for this much more time from each message ...
  std::chrono::milliseconds extend_by{30000};
  /// ... sent again at least this often while a migration runs (on its events and heartbeats).
  std::chrono::milliseconds extend_every{5000};
  /// The terminal line is rewritten at most this often.
  std::chrono::milliseconds tty_every{200};
};

/// The observer for `sinks`: a log line when a migration starts (with the free disk it needs),
/// every `log_every` of progress ("45% (1200000 of 2700000 rows), 210000 rows/s, ETA 7s", or
/// the time it has worked when it reports no progress) and when it ends (its seconds); on a
/// terminal the same text in one updating line instead. With `notify`: EXTEND_TIMEOUT_USEC and
/// STATUS=migrating ... at its start and every `extend_every`, and a STATUS at its end.
sqlite::migration_observer migration_reporter(migration_report_sinks sinks);

/// The sinks of this process: stderr's terminal (isatty(2)), spdlog's default logger, and
/// daemon::notifier when `$NOTIFY_SOCKET` is set.
migration_report_sinks process_migration_sinks();

/// "migration 3 of agentActivity (description)": how messages name a migration.
std::string migration_label(std::string_view component, int number, std::string_view description);

}  // namespace lpda::cli
