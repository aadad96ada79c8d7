#include "lpda/config/units.hpp"

#include "lpda/core/clock.hpp"
#include "lpda/core/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <string>

namespace lpda::config {
namespace {

error invalid(std::string message) {
  return error{errc::config_invalid, std::move(message)};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Splits "123unit" into its decimal digits and the rest; an error if there are no leading
// digits. A number beyond 64 bits is flagged rather than refused, so that the caller can name a
// bad unit first and say its own limit.
struct number_and_unit {
  std::uint64_t value;
  std::string_view unit;
  bool too_large;
};
result<number_and_unit> split_number(std::string_view text, std::string_view what) {
  if (text.empty()) return invalid("empty " + std::string(what));
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) ++n;
  if (n == 0) {
    return invalid("bad " + std::string(what) + " \"" + std::string(text) +
                   "\": expected a non-negative whole number followed by a unit");
  }
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + n, v);
  const bool too_large = ec != std::errc{} || ptr != text.data() + n;
  return number_and_unit{too_large ? 0 : v, text.substr(n), too_large};
}

struct unit {
  std::string_view name;
  std::uint64_t factor;
};

}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<unit, 5> units{
      {{"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};
  auto parts = split_number(text, "duration");
  if (!parts) return parts.error();
  if (parts->unit.empty()) {
    if (!parts->too_large && parts->value == 0) return std::chrono::milliseconds{0};
    return invalid("duration \"" + std::string(text) +
                   "\" has no unit: use ms, s, m, h or d (e.g. \"30s\")");
  }
  for (const auto& u : units) {
    if (parts->unit == u.name) {
      // The count is kept in signed 64-bit milliseconds (std::chrono::milliseconds), so a
      // larger one would wrap; the check divides rather than multiplies for the same reason.
      constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      if (parts->too_large || parts->value > max / u.factor) {
        return invalid("duration \"" + std::string(text) + "\" is too large: the longest is " +
                       std::to_string(max) + "ms (about " + std::to_string(max / 86'400'000) +
                       "d)");
      }
      return std::chrono::milliseconds{static_cast<std::int64_t>(parts->value * u.factor)};
    }
  }
  return invalid("duration \"" + std::string(text) + "\" has an unknown unit \"" +
                 std::string(parts->unit) + "\": use ms, s, m, h or d (e.g. \"30s\")");
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  // The largest exact unit, except that one day reads better as 24h and one minute as 60s
  // (the forms the example config uses).
  struct unit_rule {
    std::int64_t factor;
    std::string_view name;
    std::int64_t min_count;
  };
  static constexpr std::array<unit_rule, 4> units{
      {{86'400'000, "d", 2}, {3'600'000, "h", 1}, {60'000, "m", 2}, {1'000, "s", 1}}};
  for (const auto& u : units) {
    if (ms % u.factor == 0 && ms / u.factor >= u.min_count) {
      return std::to_string(ms / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(ms) + "ms";
}

result<std::uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<unit, 6> units{{{"", 1},
                                              {"B", 1},
                                              {"KiB", 1ULL << 10},
                                              {"MiB", 1ULL << 20},
                                              {"GiB", 1ULL << 30},
                                              {"TiB", 1ULL << 40}}};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> decimal{
      {{"KB", "KiB"},
       {"kB", "KiB"},
       {"kb", "KiB"},
       {"K", "KiB"},
       {"MB", "MiB"},
       {"M", "MiB"},
       {"GB", "GiB"},
       {"G", "GiB"}}};
  auto parts = split_number(text, "size");
  if (!parts) return parts.error();
  for (const auto& u : units) {
    if (parts->unit == u.name) {
      if (parts->too_large || parts->value > std::numeric_limits<std::uint64_t>::max() / u.factor) {
        return invalid("size \"" + std::string(text) + "\" is too large");
      }
      return parts->value * u.factor;
    }
  }
  for (const auto& [dec, bin] : decimal) {
    if (parts->unit == dec) {
      return invalid("size \"" + std::string(text) + "\": \"" + std::string(dec) +
                     "\" is ambiguous, write \"" +
                     std::string(text.substr(0, text.size() - dec.size())) + std::string(bin) +
                     "\" (binary units: B, KiB, MiB, GiB, TiB)");
    }
  }
  return invalid("size \"" + std::string(text) + "\" has an unknown unit \"" +
                 std::string(parts->unit) + "\": use B, KiB, MiB, GiB or TiB (e.g. \"64MiB\")");
}

std::string format_size(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr std::array<std::pair<std::uint64_t, std::string_view>, 4> units{
      {{1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}}};
  for (const auto& [factor, name] : units) {
    if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(name);
  }
  return std::to_string(bytes);
}

result<std::int64_t> parse_iso8601(std::string_view text) {
  auto ms = parse_iso8601_ms(text);
  if (!ms) return invalid("bad ISO 8601 time \"" + std::string(text) + "\": " + ms.error().message);
  return *ms;
}

result<std::int64_t> parse_time_argument(std::string_view text, std::int64_t now_ms) {
  const std::string quoted = "'" + escape_text(text) + "'";
  const auto too_early = [&quoted] {
    return lpda::error(errc::config_invalid,
                       quoted +
                           " lies before 0001-01-01T00:00:00Z; give a shorter duration or a "
                           "later date");
  };
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
  }
  if (auto t = parse_iso8601(text)) {
    if (*t < earliest_time_argument_ms) return too_early();
    return *t;
  }
  if (auto d = parse_duration(text)) {
    // A duration longer than the time since 0001-01-01 would name a year the ISO 8601 form
    // cannot write, and 2^63 ms would wrap: refused, not clamped, so a typo is seen.
    std::int64_t t = 0;
    if (__builtin_sub_overflow(now_ms, d->count(), &t) || t < earliest_time_argument_ms)
      return too_early();
    return t;
  }
  return lpda::error(errc::config_invalid,
                     quoted +
                         " is not a time: expected an ISO 8601 date (2024-03-04) or date-time "
                         "with zone (2024-03-04T09:00:00Z), epoch milliseconds, or a duration "
                         "back from now (7d, 12h)");
}

}  // namespace lpda::config
