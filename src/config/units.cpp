#include "lpda/config/units.hpp"

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

namespace {

// Reads exactly `n` digits at `pos`; advances pos.
std::optional<int> fixed_digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool take(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

result<std::int64_t> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&](std::string_view why) {
    return invalid("bad ISO 8601 time \"" + std::string(text) + "\": " + std::string(why));
  };
  std::size_t pos = 0;
  const auto y = fixed_digits(text, pos, 4);
  if (!y || !take(text, pos, '-')) return bad("expected YYYY-MM-DD");
  const auto mo = fixed_digits(text, pos, 2);
  if (!mo || !take(text, pos, '-')) return bad("expected YYYY-MM-DD");
  const auto d = fixed_digits(text, pos, 2);
  if (!d) return bad("expected YYYY-MM-DD");
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return bad("no such date");
  std::int64_t ms = duration_cast<milliseconds>(sys_days{ymd}.time_since_epoch()).count();
  if (pos == text.size()) return ms;

  if (!(take(text, pos, 'T') || take(text, pos, 't') || take(text, pos, ' '))) {
    return bad("expected \"T\" after the date");
  }
  const auto hh = fixed_digits(text, pos, 2);
  if (!hh || !take(text, pos, ':')) return bad("expected hh:mm after \"T\"");
  const auto mi = fixed_digits(text, pos, 2);
  if (!mi) return bad("expected hh:mm after \"T\"");
  int ss = 0;
  int frac_ms = 0;
  if (take(text, pos, ':')) {
    const auto s = fixed_digits(text, pos, 2);
    if (!s) return bad("expected two digits of seconds");
    ss = *s;
    if (take(text, pos, '.') || take(text, pos, ',')) {
      int digits = 0;
      while (pos < text.size() && is_digit(text[pos])) {
        if (digits < 3) frac_ms = frac_ms * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return bad("expected digits after the decimal point");
      for (int i = digits; i < 3; ++i) frac_ms *= 10;
    }
  }
  if (*hh > 23 || *mi > 59 || ss > 59) return bad("no such time of day");
  ms += ((*hh * 60LL + *mi) * 60LL + ss) * 1000LL + frac_ms;

  if (take(text, pos, 'Z') || take(text, pos, 'z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool minus = text[pos] == '-';
    ++pos;
    const auto oh = fixed_digits(text, pos, 2);
    if (!oh) return bad("expected a zone offset ±hh:mm");
    take(text, pos, ':');
    const auto om = fixed_digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return bad("expected a zone offset ±hh:mm");
    const std::int64_t offset_ms = (*oh * 60LL + *om) * 60'000LL;
    // Local time = UTC + offset, so UTC = local − offset.
    ms += minus ? offset_ms : -offset_ms;
  } else {
    return bad("a date-time needs a zone: \"Z\" or an offset like \"+02:00\"");
  }
  if (pos != text.size()) return bad("unexpected text after the time");
  return ms;
}

}  // namespace lpda::config
