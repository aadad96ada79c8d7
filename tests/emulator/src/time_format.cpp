#include "lpda/emulator/time_format.hpp"

#include <date/date.h>
// ptz.h names `hh_mm_ss` unqualified under `using namespace date; using namespace std::chrono;`
// inside namespace Posix, which is ambiguous with C++20's std::chrono::hh_mm_ss. A declaration in
// Posix itself is found first and settles it.
namespace Posix {
template <class Duration>
using hh_mm_ss = date::hh_mm_ss<Duration>;
}  // namespace Posix
#include <date/ptz.h>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace lpda::emulator {
namespace {

using ms_tp = date::sys_time<std::chrono::milliseconds>;

const Posix::time_zone& new_york() {
  static const Posix::time_zone tz{"EST5EDT,M3.2.0,M11.1.0"};
  return tz;
}

std::string format_zoned(std::int64_t epoch_ms, bool with_ms) {
  const ms_tp tp{std::chrono::milliseconds{epoch_ms}};
  if (with_ms) {
    const date::zoned_time<std::chrono::milliseconds, Posix::time_zone> zt{new_york(), tp};
    return date::format("%FT%T%Ez", zt);
  }
  const date::zoned_time<std::chrono::seconds, Posix::time_zone> zt{
      new_york(), date::floor<std::chrono::seconds>(tp)};
  return date::format("%FT%T%Ez", zt);
}

}  // namespace

std::string format_new_york(std::int64_t epoch_ms) {
  return format_zoned(epoch_ms, false);
}

std::string format_new_york_ms(std::int64_t epoch_ms) {
  return format_zoned(epoch_ms, true);
}

std::string format_http_date(std::int64_t epoch_ms) {
  const auto tp = date::floor<std::chrono::seconds>(ms_tp{std::chrono::milliseconds{epoch_ms}});
  return date::format("%a, %d %b %Y %T GMT", tp);
}

std::string format_utc(std::int64_t epoch_ms) {
  return date::format(
      "%FT%TZ", date::floor<std::chrono::seconds>(ms_tp{std::chrono::milliseconds{epoch_ms}}));
}

std::optional<std::int64_t> parse_time_arg(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc{} && p == text.data() + text.size()) return v;
  // Own parser: date::parse trips g++ 12's -Wmaybe-uninitialized under -O2 -Werror.
  int y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  int h = 0;
  int mi = 0;
  int se = 0;
  int n = 0;
  const std::string s(text);
  const bool full =
      std::sscanf(s.c_str(), "%4d-%2u-%2uT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) == 6 &&
      static_cast<std::size_t>(n) == s.size();
  const bool minutes =
      !full && std::sscanf(s.c_str(), "%4d-%2u-%2uT%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &n) == 5 &&
      static_cast<std::size_t>(n) == s.size();
  const bool day_only = !full && !minutes &&
                        std::sscanf(s.c_str(), "%4d-%2u-%2u%n", &y, &mo, &d, &n) == 3 &&
                        static_cast<std::size_t>(n) == s.size();
  if (!full && !minutes && !day_only) return std::nullopt;
  if (!minutes && !full) h = mi = 0;
  if (!full) se = 0;
  const date::year_month_day ymd{date::year{y}, date::month{mo}, date::day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  const auto tp = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                  std::chrono::seconds{se};
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

}  // namespace lpda::emulator
