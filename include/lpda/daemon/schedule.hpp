#pragma once
/// When an account polls next: pure arithmetic over poll outcomes, so the scheduler's decisions
/// are tested without clocks.
///
/// Rules (issue "the daemon", DESIGN.md "Retries follow LivePerson's policy"):
/// - after a successful poll the next one is due `poll_interval` after the last one *started*;
/// - after the n-th consecutive failed poll (n ≥ 1) it is due `poll_interval × 2^(n−1)` after,
///   capped at `backoff_max` (never below `poll_interval`, so a small `backoff_max` cannot make an
///   account poll faster than its interval);
/// - after a 401/403 (`auth_failed`) it is due one `poll_interval` after: the credentials are
///   wrong or revoked, and waiting longer would not fix them, while polling sooner would only
///   repeat the alert. An auth failure ends a run of other failures (the counter restarts at 0),
///   because the server did answer;
/// - every delay is multiplied by (1 + jitter × u), u ∈ [−1, 1] drawn from an injected source,
///   so accounts configured alike drift apart instead of polling in lock-step. With jitter, a
///   capped delay may exceed `backoff_max` by up to the jitter fraction.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace lpda::daemon {

/// How one poll of an account ended, as the scheduler sees it.
enum class poll_outcome {
  ok,           ///< everything listed was stored (or nothing was new)
  auth_failed,  ///< HTTP 401/403: the account is paused until its next interval
  failed,       ///< anything else went wrong (network, 5xx, store, a file that failed)
};

/// "ok", "auth_failed", "failed".
std::string_view to_string(poll_outcome o) noexcept;

/// One account's schedule settings (from its config).
struct schedule_settings {
  std::chrono::milliseconds poll_interval{15 * 60'000};
  std::chrono::milliseconds backoff_max{60 * 60'000};
  /// Fraction of a delay by which it may be lengthened or shortened, in [0, 1). 0.1 = ±10 %.
  double jitter = 0.1;
};

/// A source of uniform random numbers in [−1, 1] (injected so tests choose them).
using jitter_source = std::function<double()>;

/// A `jitter_source` over a Mersenne Twister seeded from `std::random_device`.
jitter_source default_jitter_source();

/// The delay before the next poll, before jitter, after `consecutive_failures` failed polls in a
/// row (0 = the last poll succeeded) — see the rules above. Never below 1 ms.
std::chrono::milliseconds base_delay(const schedule_settings& s, int consecutive_failures);

/// `delay × (1 + jitter × u)` with `u` clamped to [−1, 1], rounded to whole ms, at least 1 ms.
std::chrono::milliseconds apply_jitter(std::chrono::milliseconds delay, double jitter, double u);

/// The failure counter of one account and the delay it implies.
class backoff_state {
 public:
  /// Records how a poll ended and returns the jittered delay from that poll's start to the next:
  /// `ok` resets the counter; `failed` increments it; `auth_failed` resets it and yields one
  /// interval. `u` is a draw from a `jitter_source`.
  std::chrono::milliseconds record(poll_outcome outcome, const schedule_settings& s, double u);

  /// The delay implied by the current counter (for a changed `schedule_settings`), jittered.
  std::chrono::milliseconds current_delay(const schedule_settings& s, double u) const;

  /// Failed polls in a row since the last success or auth failure.
  int consecutive_failures() const noexcept { return failures_; }

 private:
  int failures_ = 0;
};

/// When the next poll is due: `last_start + delay`, but never before `now` (a poll that ran
/// longer than the delay is followed at once, never overlapped).
template <class TimePoint>
TimePoint next_due(TimePoint last_start, std::chrono::milliseconds delay, TimePoint now) {
  const TimePoint due = last_start + delay;
  return due < now ? now : due;
}

}  // namespace lpda::daemon
