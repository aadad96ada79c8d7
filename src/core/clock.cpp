#include "lpda/core/clock.hpp"

#include <date/date.h>

#include <optional>

namespace lpda {

std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string format_iso8601_ms(std::int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{epoch_ms}};
  return date::format("%FT%TZ", tp);
}

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

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

result<std::int64_t> parse_iso8601_ms(std::string_view text, iso8601_form form) {
  using namespace std::chrono;
  const auto bad = [](std::string_view why) { return error{errc::bad_field, std::string(why)}; };
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
  if (pos == text.size()) {
    if (form == iso8601_form::date_time) return bad("expected a time of day after the date");
    return ms;
  }

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

}  // namespace lpda
