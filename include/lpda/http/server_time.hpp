#pragma once
/// The server's clock, read from the HTTP `Date` header of its answers (RFC 9110 §6.6.1: "the
/// date and time at which the message was originated", in the HTTP-date format of §5.6.7).
/// The host's clock can be wrong by days (a restored VM snapshot, an NTP step, a container with a
/// bad clock); the Data Access server's clock is the one that stamps when files were generated,
/// so listing windows end at the server's "now", estimated as the last `Date` received plus the
/// monotonic time elapsed since it was received. Pure functions plus one small stateful class,
/// both fed by injected clocks.
#include "lpda/core/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::http {

/// Parses an HTTP-date (RFC 9110 §5.6.7) to epoch ms UTC (always a whole second):
/// - IMF-fixdate, the preferred form: "Sun, 06 Nov 1994 08:49:37 GMT";
/// - the obsolete RFC 850 form: "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year yy is
///   20yy when yy < 70, else 19yy);
/// - the obsolete asctime form: "Sun Nov  6 08:49:37 1994" (day space-padded or not).
/// Leading and trailing spaces/tabs are ignored; names are case-sensitive as in the grammar;
/// the weekday is checked against the date; second 60 (a leap second) is accepted as 59.
/// nullopt for anything else (out-of-range fields, other zones, trailing text).
std::optional<std::int64_t> parse_http_date(std::string_view value);

/// One `Date` header received: the server's time it names and the host's clocks when it arrived.
struct server_time_sample {
  std::int64_t server_ms = 0;  ///< the `Date` value, epoch ms
  std::int64_t host_ms = 0;    ///< the host's wall clock at receipt, epoch ms
  std::int64_t steady_ms = 0;  ///< the host's monotonic clock at receipt, ms
};

/// The server's "now" estimated from `s`: `s.server_ms` plus the monotonic time elapsed since
/// (`steady_now_ms - s.steady_ms`, never negative). The `Date` value is truncated to the second
/// and the monotonic clock does not run while the host is suspended, so the estimate errs early,
/// never late: a window that ends at it asks for nothing the server has not had time to produce.
std::int64_t estimate_server_now_ms(const server_time_sample& s, std::int64_t steady_now_ms);

/// Host minus server clock at receipt of `s`, ms: positive when the host's clock is ahead.
/// Includes up to 1 s of the `Date` value's truncation plus the answer's transit time.
std::int64_t clock_skew_ms(const server_time_sample& s);

/// A skew in words: its size, largest units first and rounded to the second ("2d 0h", "6h 5m",
/// "4m 10s", "3s"), then "ahead of" (skew > 0) or "behind" (skew < 0) — "in step with" under
/// one second — for sentences like "the host's clock is 2d 0h ahead of the server's".
std::string describe_clock_skew(std::int64_t skew_ms);

/// The clause that a 401 answer to an OAuth 1.0a request gets when the host's clock is at least
/// `threshold_ms` from the server's (`skew_ms`, host minus server): OAuth 1.0a signatures carry
/// the host's time in `oauth_timestamp`, and a server may reject a request whose timestamp is
/// too far from its own clock (RFC 5849 §3.3). Returns "" when the skew is unknown or smaller.
/// The text starts with "; " so it can follow any message about the 401.
std::string clock_skew_clause(std::optional<std::int64_t> skew_ms, std::int64_t threshold_ms);

/// Returns the host's monotonic clock in ms (any epoch); injected for tests.
using steady_clock_fn = std::function<std::int64_t()>;

/// The last usable `Date` header of one server, and whether any answer came without one. Not
/// thread-safe: used on the HTTP client's executor thread.
class server_clock {
 public:
  /// `host_clock`: the wall clock (epoch ms); `steady_clock`: the monotonic clock (ms).
  explicit server_clock(clock_fn host_clock = system_now_ms,
                        steady_clock_fn steady_clock = steady_now_ms);

  /// Records the `Date` header of an answer ("" when it had none). A usable value replaces the
  /// sample; an unusable or missing one keeps the previous sample and counts as `missed()`.
  /// Returns whether the value was usable.
  bool observe(std::string_view date_header);

  /// The server's now (`estimate_server_now_ms`), or nullopt before any usable `Date`.
  std::optional<std::int64_t> now_ms() const;
  /// The host's wall clock now (the injected one).
  std::int64_t host_now_ms() const { return host_clock_(); }
  /// Host minus server at the last usable `Date` (`clock_skew_ms`), or nullopt before one.
  std::optional<std::int64_t> skew_ms() const;
  /// The last usable sample, if any.
  const std::optional<server_time_sample>& sample() const noexcept { return sample_; }
  /// Answers seen without a usable `Date` header.
  std::uint64_t missed() const noexcept { return missed_; }

 private:
  clock_fn host_clock_;
  steady_clock_fn steady_clock_;
  std::optional<server_time_sample> sample_;
  std::uint64_t missed_ = 0;
};

}  // namespace lpda::http
