#include "lpda/http/server_time.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>

using namespace lpda::http;

namespace {
// 784111777 s = Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110 §5.6.7.
constexpr std::int64_t rfc_example_ms = 784111777000;
// Epoch seconds computed with Python's calendar.timegm.
constexpr std::int64_t sat_2026_12_05_16h_ms = 1796486400000;  // Sat, 05 Dec 2026 16:00:00 GMT
constexpr std::int64_t leap_day_2000_ms = 951868799000;        // Tue, 29 Feb 2000 23:59:59 GMT
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;
}  // namespace

TEST_SUITE("http") {
  TEST_CASE("HTTP-date: IMF-fixdate and the two obsolete forms of RFC 9110 section 5.6.7") {
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == rfc_example_ms);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == rfc_example_ms);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == rfc_example_ms);
    CHECK(parse_http_date("Sun Nov 06 08:49:37 1994") == rfc_example_ms);
    CHECK(parse_http_date("Sat, 05 Dec 2026 16:00:00 GMT") == sat_2026_12_05_16h_ms);
    CHECK(parse_http_date("Saturday, 05-Dec-26 16:00:00 GMT") == sat_2026_12_05_16h_ms);
    CHECK(parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT") == leap_day_2000_ms);
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    CHECK(parse_http_date(" \tSun, 06 Nov 1994 08:49:37 GMT \t") == rfc_example_ms);
    // A leap second reads as second 59 of its minute.
    CHECK(parse_http_date("Sat, 05 Dec 2026 15:59:60 GMT") == sat_2026_12_05_16h_ms - 1000);
  }

  TEST_CASE("HTTP-date: anything else is not a date") {
    for (const char* bad : {
             "",
             "now",
             "1796486400",
             "Sun, 06 Nov 1994 08:49:37 UTC",    // only GMT
             "Sun, 06 Nov 1994 08:49:37 +0000",  // no numeric zones
             "Sun, 6 Nov 1994 08:49:37 GMT",     // IMF-fixdate days have two digits
             "Mon, 06 Nov 1994 08:49:37 GMT",    // wrong weekday
             "sun, 06 Nov 1994 08:49:37 GMT",    // names are case-sensitive
             "Sun, 06 nov 1994 08:49:37 GMT",
             "Sun, 31 Nov 1994 08:49:37 GMT",       // no such day
             "Wed, 29 Feb 2023 08:49:37 GMT",       // not a leap year
             "Sun, 06 Nov 1994 24:00:00 GMT",       // hour out of range
             "Sun, 06 Nov 1994 08:60:37 GMT",       // minute out of range
             "Sun, 06 Nov 1994 08:49:61 GMT",       // second out of range
             "Sun, 06 Nov 1994 08:49:37 GMT junk",  // trailing text
             "Sun, 06 Nov 1994 08:49 GMT",          // no seconds
             "Sun, 06-Nov-94 08:49:37 GMT",         // RFC 850 needs the long day name
             "Sunday, 06 Nov 1994 08:49:37 GMT",
             "Sun Nov  6 08:49:37 94",  // asctime has a four-digit year
         })
      CHECK_MESSAGE(!parse_http_date(bad).has_value(), bad);
  }

  TEST_CASE("server now = Date + monotonic time since it arrived, never less than the Date") {
    const server_time_sample s{sat_2026_12_05_16h_ms, sat_2026_12_05_16h_ms + 2 * day_ms, 50'000};
    CHECK(estimate_server_now_ms(s, 50'000) == sat_2026_12_05_16h_ms);
    CHECK(estimate_server_now_ms(s, 50'000 + 90'000) == sat_2026_12_05_16h_ms + 90'000);
    // A monotonic reading before the sample's (another clock's epoch) adds nothing.
    CHECK(estimate_server_now_ms(s, 10'000) == sat_2026_12_05_16h_ms);
    CHECK(clock_skew_ms(s) == 2 * day_ms);
    const server_time_sample behind{sat_2026_12_05_16h_ms, sat_2026_12_05_16h_ms - 6 * hour_ms, 0};
    CHECK(clock_skew_ms(behind) == -6 * hour_ms);
  }

  TEST_CASE(
      "server_clock: the last usable Date and the elapsed monotonic time - a wall-clock "
      "step of the host changes neither") {
    std::int64_t host = sat_2026_12_05_16h_ms + 2 * day_ms + 400;  // 2 days ahead
    std::int64_t steady = 1'000;
    server_clock clock([&] { return host; }, [&] { return steady; });
    CHECK_FALSE(clock.now_ms().has_value());
    CHECK_FALSE(clock.skew_ms().has_value());

    CHECK_FALSE(clock.observe(""));
    CHECK(clock.missed() == 1);
    CHECK_FALSE(clock.now_ms().has_value());

    CHECK(clock.observe("Sat, 05 Dec 2026 16:00:00 GMT"));
    CHECK(clock.skew_ms() == 2 * day_ms + 400);
    CHECK(clock.now_ms() == sat_2026_12_05_16h_ms);

    // 30 s later the host's clock is corrected (stepped back 2 days): the server's now runs on.
    steady += 30'000;
    host += 30'000 - 2 * day_ms;
    CHECK(clock.now_ms() == sat_2026_12_05_16h_ms + 30'000);
    CHECK(clock.host_now_ms() == host);

    // An unusable Date keeps the last sample.
    CHECK_FALSE(clock.observe("yesterday"));
    CHECK(clock.missed() == 2);
    CHECK(clock.now_ms() == sat_2026_12_05_16h_ms + 30'000);

    CHECK(clock.observe("Sat, 05 Dec 2026 16:00:31 GMT"));
    CHECK(clock.skew_ms() == (sat_2026_12_05_16h_ms + 30'400) - (sat_2026_12_05_16h_ms + 31'000));
    CHECK(clock.now_ms() == sat_2026_12_05_16h_ms + 31'000);
  }
}

TEST_SUITE("http") {
  TEST_CASE("clock skew in words, and the 401 clause only beyond the threshold") {
    CHECK(describe_clock_skew(2 * day_ms + 400) == "2d 0h ahead of");
    CHECK(describe_clock_skew(-(6 * hour_ms + 5 * 60'000)) == "6h 5m behind");
    CHECK(describe_clock_skew(250'000) == "4m 10s ahead of");
    CHECK(describe_clock_skew(-2'600) == "3s behind");
    CHECK(describe_clock_skew(499) == "in step with");

    constexpr std::int64_t five_min = 300'000;
    CHECK(clock_skew_clause(std::nullopt, five_min).empty());
    CHECK(clock_skew_clause(five_min - 1, five_min).empty());
    CHECK(clock_skew_clause(-(five_min - 1), five_min).empty());
    const std::string ahead = clock_skew_clause(2 * day_ms, five_min);
    CHECK(ahead.rfind("; the host's clock is 2d 0h ahead of the server's", 0) == 0);
    CHECK(ahead.find("oauth_timestamp") != std::string::npos);
    CHECK(clock_skew_clause(-five_min, five_min).find("5m 0s behind") != std::string::npos);
  }
}
