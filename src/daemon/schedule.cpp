#include "lpda/daemon/schedule.hpp"
#include "lpda/core/enum_names.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace lpda::daemon {

namespace {

constexpr auto poll_outcome_names =
    make_enum_names<poll_outcome>({{poll_outcome::ok, "ok"},
                                   {poll_outcome::auth_failed, "auth_failed"},
                                   {poll_outcome::failed, "failed"}});

}  // namespace

std::string_view to_string(poll_outcome o) noexcept {
  return poll_outcome_names.name(o);
}

jitter_source default_jitter_source() {
  // Shared so the std::function stays copyable; the engine is touched by one thread (the
  // scheduler's event loop).
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine]() { return std::uniform_real_distribution<double>(-1.0, 1.0)(*engine); };
}

std::chrono::milliseconds base_delay(const schedule_settings& s, int consecutive_failures) {
  using std::chrono::milliseconds;
  const milliseconds interval = std::max(s.poll_interval, milliseconds(1));
  if (consecutive_failures <= 1) return interval;
  const milliseconds cap = std::max(s.backoff_max, interval);
  // Double step by step, stopping at the cap: no shift can overflow however long the run.
  milliseconds d = interval;
  for (int i = 1; i < consecutive_failures && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
  return std::min(d, cap);
}

std::chrono::milliseconds apply_jitter(std::chrono::milliseconds delay, double jitter, double u) {
  u = std::clamp(u, -1.0, 1.0);
  jitter = std::clamp(jitter, 0.0, 1.0);
  const double scaled = static_cast<double>(delay.count()) * (1.0 + jitter * u);
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(scaled)));
}

std::chrono::milliseconds backoff_state::record(poll_outcome outcome, const schedule_settings& s,
                                                double u) {
  switch (outcome) {
    case poll_outcome::ok:
    case poll_outcome::auth_failed:
      failures_ = 0;
      break;
    case poll_outcome::failed:
      ++failures_;
      break;
  }
  return current_delay(s, u);
}

std::chrono::milliseconds backoff_state::current_delay(const schedule_settings& s, double u) const {
  return apply_jitter(base_delay(s, failures_), s.jitter, u);
}

}  // namespace lpda::daemon
