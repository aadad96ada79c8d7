#include "lpda/http/server_time.hpp"

#include <array>
#include <chrono>

namespace lpda::http {
namespace {

constexpr std::array<std::string_view, 7> short_days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A cursor over the header value; every read either consumes what it matched or fails.
struct cursor {
  std::string_view s;
  bool ok = true;

  bool lit(std::string_view t) {
    if (ok && s.substr(0, t.size()) == t) {
      s.remove_prefix(t.size());
      return true;
    }
    ok = false;
    return false;
  }
  // Exactly `n` ASCII digits.
  int digits(std::size_t n) {
    if (!ok || s.size() < n) return ok = false, 0;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return ok = false, 0;
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return v;
  }
  // The index of the name in `names` that `s` starts with, the longest first, or -1.
  template <std::size_t N>
  int name(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; ok && i < N; ++i)
      if (s.substr(0, names[i].size()) == names[i]) {
        s.remove_prefix(names[i].size());
        return static_cast<int>(i);
      }
    ok = false;
    return -1;
  }
};

struct fields {
  int weekday = -1;  // 0 = Sunday
  int day = 0, month = -1, year = 0, hour = 0, minute = 0, second = 0;
};

void time_of_day(cursor& c, fields& f) {
  f.hour = c.digits(2);
  c.lit(":");
  f.minute = c.digits(2);
  c.lit(":");
  f.second = c.digits(2);
}

// The two forms that end in GMT: day-name "," SP day sep month sep year SP time-of-day SP "GMT".
// A two-digit year yy is 20yy when yy < 70, else 19yy.
template <std::size_t N>
void gmt_date(cursor& c, fields& f, const std::array<std::string_view, N>& day_names,
              std::string_view sep, std::size_t year_digits) {
  f.weekday = c.name(day_names);
  c.lit(", ");
  f.day = c.digits(2);
  c.lit(sep);
  f.month = c.name(months);
  c.lit(sep);
  f.year = c.digits(year_digits);
  if (year_digits == 2) f.year += f.year < 70 ? 2000 : 1900;
  c.lit(" ");
  time_of_day(c, f);
  c.lit(" GMT");
}

// Epoch ms of valid fields (the weekday must match the date), or nullopt.
std::optional<std::int64_t> to_epoch_ms(const fields& f) {
  using namespace std::chrono;
  if (f.month < 0 || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month + 1)},
                           day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok()) return std::nullopt;
  const sys_days days{ymd};
  if (weekday{days}.c_encoding() != static_cast<unsigned>(f.weekday)) return std::nullopt;
  const auto t = days + hours{f.hour} + minutes{f.minute} + seconds{f.second == 60 ? 59 : f.second};
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  fields f;
  cursor c{value};
  if (value.size() > 3 && value[3] == ',') {
    // IMF-fixdate: day-name "," SP date1 SP time-of-day SP GMT, date1 = day SP month SP 4DIGIT
    gmt_date(c, f, short_days, " ", 4);
  } else if (value.size() > 3 && value[3] == ' ') {
    // asctime-date: day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
    f.weekday = c.name(short_days);
    c.lit(" ");
    f.month = c.name(months);
    c.lit(" ");
    if (!c.s.empty() && c.s.front() == ' ') {
      c.lit(" ");
      f.day = c.digits(1);
    } else {
      f.day = c.digits(2);
    }
    c.lit(" ");
    time_of_day(c, f);
    c.lit(" ");
    f.year = c.digits(4);
  } else {
    // rfc850-date: day-name-l "," SP date2 SP time-of-day SP GMT, date2 = day "-" month "-" 2DIGIT
    gmt_date(c, f, long_days, "-", 2);
  }
  if (!c.ok || !c.s.empty()) return std::nullopt;
  return to_epoch_ms(f);
}

std::int64_t estimate_server_now_ms(const server_time_sample& s, std::int64_t steady_now_ms) {
  const std::int64_t elapsed = steady_now_ms - s.steady_ms;
  return s.server_ms + (elapsed > 0 ? elapsed : 0);
}

std::int64_t clock_skew_ms(const server_time_sample& s) {
  return s.host_ms - s.server_ms;
}

std::string describe_clock_skew(std::int64_t skew_ms) {
  const std::int64_t magnitude = skew_ms < 0 ? -skew_ms : skew_ms;
  const std::int64_t s = (magnitude + 500) / 1000;
  if (s == 0) return "in step with";
  std::string size;
  if (s >= 86'400)
    size = std::to_string(s / 86'400) + "d " + std::to_string(s % 86'400 / 3'600) + "h";
  else if (s >= 3'600)
    size = std::to_string(s / 3'600) + "h " + std::to_string(s % 3'600 / 60) + "m";
  else if (s >= 60)
    size = std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  else
    size = std::to_string(s) + "s";
  return size + (skew_ms > 0 ? " ahead of" : " behind");
}

std::string clock_skew_clause(std::optional<std::int64_t> skew_ms, std::int64_t threshold_ms) {
  if (!skew_ms || (*skew_ms < 0 ? -*skew_ms : *skew_ms) < threshold_ms) return {};
  return "; the host's clock is " + describe_clock_skew(*skew_ms) +
         " the server's (its Date header), and OAuth 1.0a signatures carry the host's time "
         "(oauth_timestamp), so the clock is the likely cause: set the host's clock right (NTP)";
}

server_clock::server_clock(clock_fn host_clock, steady_clock_fn steady_clock)
    : host_clock_(std::move(host_clock)), steady_clock_(std::move(steady_clock)) {}

bool server_clock::observe(std::string_view date_header) {
  const auto server_ms = parse_http_date(date_header);
  if (!server_ms) {
    ++missed_;
    return false;
  }
  sample_ = server_time_sample{*server_ms, host_clock_(), steady_clock_()};
  return true;
}

std::optional<std::int64_t> server_clock::now_ms() const {
  if (!sample_) return std::nullopt;
  return estimate_server_now_ms(*sample_, steady_clock_());
}

std::optional<std::int64_t> server_clock::skew_ms() const {
  if (!sample_) return std::nullopt;
  return clock_skew_ms(*sample_);
}

}  // namespace lpda::http
