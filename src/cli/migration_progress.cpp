#include "migration_progress.hpp"

#include "lpda/daemon/notifier.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace lpda::cli {
namespace {

using kind = sqlite::migration_event::kind;
using std::chrono::milliseconds;

std::string seconds_text(milliseconds ms) {
  return fmt::format("{:.1f} s", static_cast<double>(ms.count()) / 1000.0);
}

// "1.5 GiB", "300.0 MiB", "12 KiB": how much free disk a migration needs.
std::string bytes_text(std::uint64_t bytes) {
  const auto b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  return fmt::format("{} KiB", (bytes + 1023) / 1024);
}

// "45% (1200000 of 2700000 rows), 210000 rows/s, ETA 7s"; "1200 rows, 300 rows/s" without a
// total; "working for 12.0 s" before any progress.
std::string progress_text(const sqlite::migration_event& e) {
  if (e.done == 0 && e.total == 0) return "working for " + seconds_text(e.elapsed);
  const double secs = static_cast<double>(e.elapsed.count()) / 1000.0;
  const double rate = secs > 0 ? static_cast<double>(e.done) / secs : 0.0;
  std::string text;
  if (e.total > 0)
    text = fmt::format("{}% ({} of {} {})", e.done * 100 / e.total, e.done, e.total, e.unit);
  else
    text = fmt::format("{} {}", e.done, e.unit);
  text += fmt::format(", {:.0f} {}/s", rate, e.unit);
  if (e.total > e.done && rate > 0)
    text += fmt::format(", ETA {:.0f}s", static_cast<double>(e.total - e.done) / rate);
  return text;
}

class reporter {
 public:
  explicit reporter(migration_report_sinks s) : s_(std::move(s)) {}

  void operator()(const sqlite::migration_event& e) {
    const auto label = migration_label(e.component, e.number, e.description);
    switch (e.what) {
      case kind::started: {
        last_log_ = last_tty_ = last_extend_ = e.elapsed;
        const std::string need =
            e.bytes_needed > 0 ? ", needs about " + bytes_text(e.bytes_needed) + " of free disk"
                               : std::string();
        say(label + ": started" + need, false);
        extend("migrating the database: " + label);
        return;
      }
      case kind::progress:
      case kind::heartbeat: {
        const std::string text = label + ": " + progress_text(e);
        if (s_.tty ? e.elapsed - last_tty_ >= s_.tty_every
                   : e.elapsed - last_log_ >= s_.log_every) {
          last_tty_ = last_log_ = e.elapsed;
          say(text, false);
        }
        if (e.elapsed - last_extend_ >= s_.extend_every) {
          last_extend_ = e.elapsed;
          extend("migrating the database: " + text);
        }
        return;
      }
      case kind::finished:
        if (e.applied_elsewhere) {
          say(label + ": applied meanwhile by another process on this database", true);
          return;
        }
        say(label + ": done in " + seconds_text(e.elapsed), true);
        if (s_.notify) s_.notify("STATUS=migrated the database: " + label);
        return;
      case kind::failed:
        // The caller logs the error itself; close the terminal line and say where it stopped.
        say(label + ": stopped after " + seconds_text(e.elapsed) + ", rolled back", true);
        return;
    }
  }

 private:
  // A log line, or on a terminal the migration's one line, rewritten in place and ended (with
  // its last text) when `last`.
  void say(const std::string& text, bool last) {
    if (!s_.tty) {
      if (s_.log) s_.log(text);
      return;
    }
    if (!s_.terminal) return;
    s_.terminal("\r\033[K" + text + (last ? "\n" : ""));
  }

  void extend(const std::string& status) {
    if (!s_.notify) return;
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(s_.extend_by).count();
    s_.notify("EXTEND_TIMEOUT_USEC=" + std::to_string(usec) + "\nSTATUS=" + status);
  }

  migration_report_sinks s_;
  milliseconds last_log_{0};
  milliseconds last_tty_{0};
  milliseconds last_extend_{0};
};

}  // namespace

std::string migration_label(std::string_view component, int number, std::string_view description) {
  return fmt::format("migration {} of {} ({})", number, component, description);
}

sqlite::migration_observer migration_reporter(migration_report_sinks sinks) {
  auto r = std::make_shared<reporter>(std::move(sinks));
  return [r](const sqlite::migration_event& e) { (*r)(e); };
}

migration_report_sinks process_migration_sinks() {
  migration_report_sinks s;
  s.tty = ::isatty(STDERR_FILENO) == 1;
  s.terminal = [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  };
  s.log = [](std::string_view text) { spdlog::info("{}", text); };
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket != nullptr && *socket != '\0')
    s.notify = [](std::string_view assignments) {
      // A lost notification must not stop the migration; the next one may get through.
      if (auto r = daemon::notifier{}.send(assignments); !r) spdlog::warn("{}", r.error().what());
    };
  return s;
}

}  // namespace lpda::cli
