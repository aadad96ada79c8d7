#include "lpda/daemon/notifier.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace lpda::daemon {

result<bool> notifier::send(std::string_view assignments) const {
  const std::string msg(assignments);
  const int r = ::sd_notify(0, msg.c_str());
  if (r > 0) return true;
  if (r == 0) return false;  // $NOTIFY_SOCKET unset: not running under a service manager
  const auto first_line = msg.substr(0, msg.find('\n'));
  return lpda::error(errc::network, "sd_notify \"" + first_line +
                                        "\" to $NOTIFY_SOCKET failed: " + std::strerror(-r));
}

result<bool> notifier::ready() const {
  return send("READY=1");
}

result<bool> notifier::status(std::string_view text) const {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  return send("STATUS=" + line);
}

result<bool> notifier::watchdog() const {
  return send("WATCHDOG=1");
}

result<bool> notifier::stopping() const {
  return send("STOPPING=1");
}

result<bool> notifier::reloading() const {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

result<bool> notifier::extend_timeout(std::chrono::microseconds ahead) const {
  return send("EXTEND_TIMEOUT_USEC=" + std::to_string(std::max<std::int64_t>(ahead.count(), 0)));
}

std::optional<std::chrono::milliseconds> notifier::watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  const auto half_ms = static_cast<std::int64_t>(usec / 2000u);
  return std::chrono::milliseconds(std::max<std::int64_t>(half_ms, 1));
}

}  // namespace lpda::daemon
