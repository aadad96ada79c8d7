#include "lpda/http/retry.hpp"

#include "lpda/core/error_kind.hpp"
#include "lpda/http/server_time.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lpda::http {

using std::chrono::milliseconds;

retry_decision decide_retry(errc kind, int attempt, std::optional<milliseconds> retry_after,
                            const retry_settings& s, double jitter_fraction) {
  if (attempt >= s.max_attempts || !traits_of(kind).retry_request) return {};
  if (kind == errc::throttled) {
    milliseconds wait = std::max(retry_after.value_or(std::chrono::seconds(1)), s.throttle_min);
    const double j = std::clamp(jitter_fraction, 0.0, 1.0);
    wait += milliseconds(
        static_cast<std::int64_t>(std::floor(j * static_cast<double>(s.jitter.count()))));
    return {true, std::min(wait, s.max_retry_after)};
  }
  if (s.delays.empty()) return {true, milliseconds(0)};
  const auto i = std::min(static_cast<std::size_t>(std::max(attempt, 1) - 1), s.delays.size() - 1);
  return {true, s.delays[i]};
}

std::optional<milliseconds> parse_retry_after(std::string_view value, std::int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && p == value.data() + value.size())
    return seconds < 0 ? std::nullopt : std::optional<milliseconds>(std::chrono::seconds(seconds));
  const auto at_ms = parse_http_date(value);
  if (!at_ms) return std::nullopt;
  return milliseconds(std::max<std::int64_t>(0, *at_ms - now_ms));
}

}  // namespace lpda::http
