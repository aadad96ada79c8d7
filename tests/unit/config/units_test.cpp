#include "lpda/config/units.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace std::chrono_literals;
using lpda::config::format_duration;
using lpda::config::format_size;
using lpda::config::parse_duration;
using lpda::config::parse_iso8601;
using lpda::config::parse_size;
using lpda::config::parse_time_argument;
using lpda::config::earliest_time_argument_ms;
using lpda::errc;

TEST_SUITE("config") {
  TEST_CASE("parse_duration accepts every unit") {
    CHECK(parse_duration("250ms").value() == 250ms);
    CHECK(parse_duration("30s").value() == 30'000ms);
    CHECK(parse_duration("15m").value() == 900'000ms);
    CHECK(parse_duration("12h").value() == 43'200'000ms);
    CHECK(parse_duration("7d").value() == 604'800'000ms);
    CHECK(parse_duration("0").value() == 0ms);
    CHECK(parse_duration("0s").value() == 0ms);
    CHECK(parse_duration("0007s").value() == 7'000ms);
    // 2^63-1 ms is the largest representable; 106751991167d is just below it.
    CHECK(parse_duration("106751991167d").value().count() == 106751991167LL * 86'400'000LL);
  }

  TEST_CASE("parse_duration rejects bad text with a message naming it") {
    for (const char* bad : {"", "30", "s", "-5s", "+5s", "1.5h", "5 s", " 5s", "5S", "5sec",
                            "1h30m", "5w", "10ms ", "106751991168d", "99999999999999999999999ms"}) {
      CAPTURE(bad);
      const auto r = parse_duration(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == lpda::errc::config_invalid);
      if (*bad != '\0') CHECK(r.error().message.find(bad) != std::string::npos);
    }
    CHECK(parse_duration("30").error().message.find("no unit") != std::string::npos);
    CHECK(parse_duration("5w").error().message.find("unknown unit \"w\"") != std::string::npos);
    CHECK(parse_duration("106751991168d").error().message.find("too large") != std::string::npos);
  }

  TEST_CASE("parse_duration refuses a millisecond count beyond 64 bits and says the limit") {
    // Beyond uint64 digits, beyond int64 ms after the unit's factor, and one past int64 in ms.
    for (const char* big : {"99999999999999999999d", "106751991168d", "9223372036854775808ms",
                            "153722867280913m", "2562047788016h", "9223372036854776s"}) {
      CAPTURE(big);
      const auto r = parse_duration(big);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == lpda::errc::config_invalid);
      CHECK(r.error().message == "duration \"" + std::string(big) +
                                     "\" is too large: the longest is 9223372036854775807ms "
                                     "(about 106751991167d)");
    }
    // Exactly the limit in each unit still parses, to the exact count.
    CHECK(parse_duration("9223372036854775807ms").value().count() ==
          std::numeric_limits<std::int64_t>::max());
    CHECK(parse_duration("9223372036854775s").value().count() == 9223372036854775LL * 1000);
    CHECK(parse_duration("153722867280912m").value().count() == 153722867280912LL * 60'000);
    // A bad unit is named before the size of the number.
    CHECK(parse_duration("99999999999999999999x").error().message.find("unknown unit \"x\"") !=
          std::string::npos);
  }

  TEST_CASE("format_duration uses a large exact unit and round-trips") {
    CHECK(format_duration(0ms) == "0s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(1'500ms) == "1500ms");
    CHECK(format_duration(90s) == "90s");
    CHECK(format_duration(90min) == "90m");
    CHECK(format_duration(12h) == "12h");
    CHECK(format_duration(168h) == "7d");
    CHECK(format_duration(25h) == "25h");
    CHECK(format_duration(24h) == "24h");
    CHECK(format_duration(48h) == "2d");
    CHECK(format_duration(1h) == "1h");
    CHECK(format_duration(60s) == "60s");
    CHECK(format_duration(120s) == "2m");
    CHECK(format_duration(61min) == "61m");
    for (const std::int64_t ms :
         std::initializer_list<std::int64_t>{1, 999, 1000, 61'000, 3'600'000, 86'400'001,
                                             std::numeric_limits<std::int64_t>::max()}) {
      CAPTURE(ms);
      CHECK(parse_duration(format_duration(std::chrono::milliseconds{ms})).value().count() == ms);
    }
  }

  TEST_CASE("parse_size accepts bytes and binary units") {
    CHECK(parse_size("0").value() == 0);
    CHECK(parse_size("1048576").value() == 1'048'576);
    CHECK(parse_size("100B").value() == 100);
    CHECK(parse_size("512KiB").value() == 512ULL * 1024);
    CHECK(parse_size("64MiB").value() == 64ULL * 1024 * 1024);
    CHECK(parse_size("4GiB").value() == 4ULL * 1024 * 1024 * 1024);
    CHECK(parse_size("2TiB").value() == 2ULL * 1024 * 1024 * 1024 * 1024);
    CHECK(parse_size("18446744073709551615").value() == std::numeric_limits<std::uint64_t>::max());
  }

  TEST_CASE("parse_size rejects decimal units and fractions and signs and overflow") {
    for (const char* bad : {"", "MiB", "-1", "1.5GiB", "64 MiB", "64mib", "64MB", "64KB", "64kB",
                            "4G", "4GB", "64Mi", "18446744073709551616", "16777216TiB"}) {
      CAPTURE(bad);
      const auto r = parse_size(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == lpda::errc::config_invalid);
    }
    CHECK(parse_size("64MB").error().message.find("\"64MiB\"") != std::string::npos);
    CHECK(parse_size("16777216TiB").error().message.find("too large") != std::string::npos);
  }

  TEST_CASE("format_size uses the largest exact binary unit and round-trips") {
    CHECK(format_size(0) == "0");
    CHECK(format_size(100) == "100");
    CHECK(format_size(1536) == "1536");
    CHECK(format_size(1536ULL * 1024) == "1536KiB");
    CHECK(format_size(64ULL << 20) == "64MiB");
    CHECK(format_size(4ULL << 30) == "4GiB");
    for (const std::uint64_t b : std::initializer_list<std::uint64_t>{
             1, 1023, 1024, 3ULL << 40, 5ULL << 41, std::numeric_limits<std::uint64_t>::max()}) {
      CAPTURE(b);
      CHECK(parse_size(format_size(b)).value() == b);
    }
  }

  TEST_CASE("parse_iso8601 reads dates and zoned date-times as epoch ms UTC") {
    // 2016-04-23T05:00:00Z = 1461387600000 (the fixtures' first listing scope, see tests/data).
    CHECK(parse_iso8601("2016-04-23T05:00:00Z").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23T01:00:00-04:00").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23T07:30:00+02:30").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23T05:00:00.000Z").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23T05:00:00.25Z").value() == 1461387600250);
    CHECK(parse_iso8601("2016-04-23T05:00:00.123456Z").value() == 1461387600123);
    CHECK(parse_iso8601("2016-04-23T05:00Z").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23 05:00:00z").value() == 1461387600000);
    CHECK(parse_iso8601("2016-04-23T0500:00+0000").has_value() == false);
    CHECK(parse_iso8601("2016-04-23T05:00:00+0000").value() == 1461387600000);
    CHECK(parse_iso8601("1970-01-01").value() == 0);
    CHECK(parse_iso8601("2026-01-01").value() == 1767225600000);
    CHECK(parse_iso8601("2024-02-29").value() == 1709164800000);
    CHECK(parse_iso8601("1969-12-31T23:59:59.999Z").value() == -1);
  }

  TEST_CASE("parse_iso8601 rejects other shapes and impossible dates and missing zones") {
    for (const char* bad :
         {"", "2026", "2026-1-01", "2026-01-01T", "2026-01-01T10", "2026-01-01T10:00",
          "2026-01-01T10:00:00", "2026-02-30", "2023-02-29", "2026-13-01", "2026-01-01T24:00Z",
          "2026-01-01T10:60Z", "2026-01-01T10:00:61Z", "2026-01-01T10:00:00.Z",
          "2026-01-01T10:00:00Zjunk", "2026-01-01T10:00:00+2:00", "20260101", "7d"}) {
      CAPTURE(bad);
      const auto r = parse_iso8601(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == lpda::errc::config_invalid);
    }
    CHECK(parse_iso8601("2026-01-01T10:00:00").error().message.find("needs a zone") !=
          std::string::npos);
    CHECK(parse_iso8601("2026-02-30").error().message.find("no such date") != std::string::npos);
  }

  TEST_CASE("command-line times: ISO 8601, epoch ms or a duration back from now") {
    constexpr std::int64_t day0 = 1709510400000;  // 2024-03-04T00:00:00Z (date -u -d 2024-03-04 +%s)
    constexpr std::int64_t day1 = day0 + 86400000;
    constexpr std::int64_t hour = 3600000;
    const std::int64_t now = day1 + 5 * hour;
    CHECK(parse_time_argument("2024-03-04", now).value() == day0);
    CHECK(parse_time_argument("2024-03-04T09:00:00Z", now).value() == day0 + 9 * hour);
    CHECK(parse_time_argument("1709510400000", now).value() == day0);
    CHECK(parse_time_argument("1d", now).value() == day0 + 5 * hour);
    auto bad = parse_time_argument("yesterday", now);
    REQUIRE(bad.has_error());
    CHECK(bad.error().code == make_error_code(errc::config_invalid));
    CHECK(bad.error().message.find("yesterday") != std::string::npos);
    // Points before 0001-01-01, and durations that would wrap, are refused, not wrapped.
    for (const char* early : {"9223372036854775807ms", "106751991167d", "1000000d", "0000-12-31"}) {
      CAPTURE(early);
      const auto e = parse_time_argument(early, now);
      REQUIRE(e.has_error());
      CHECK(e.error().message.find("lies before 0001-01-01") != std::string::npos);
    }
    CHECK(parse_time_argument("0001-01-01", now).value() == earliest_time_argument_ms);
  }
}
