#include "lpda/emulator/time_format.hpp"

#include "test_client.hpp"

#include <doctest/doctest.h>

namespace emu = lpda::emulator;

TEST_SUITE("emulator") {
  TEST_CASE("scope dates carry -05:00 before and -04:00 after 2026-03-08 02:00 local") {
    // 2026-03-08T06:00Z = 01:00 EST; 07:00Z = 03:00 EDT (the clocks skip 02:00-03:00).
    CHECK(emu::format_new_york(1772949600000) == "2026-03-08T01:00:00-05:00");
    CHECK(emu::format_new_york(1772953200000) == "2026-03-08T03:00:00-04:00");
    CHECK(emu::format_new_york(1772956800000) == "2026-03-08T04:00:00-04:00");
  }

  TEST_CASE("scope dates carry -04:00 then -05:00 around 2026-11-01 02:00 local") {
    // 05:00Z = 01:00 EDT; 06:00Z = 01:00 EST (01:00 happens twice).
    CHECK(emu::format_new_york(1793509200000) == "2026-11-01T01:00:00-04:00");
    CHECK(emu::format_new_york(1793512800000) == "2026-11-01T01:00:00-05:00");
    CHECK(emu::format_new_york(1793516400000) == "2026-11-01T02:00:00-05:00");
  }

  TEST_CASE("the docs' listing example renders identically") {
    CHECK(emu::format_new_york(1461387600000) == "2016-04-23T01:00:00-04:00");
    CHECK(emu::format_new_york(1516784400000) == "2018-01-24T04:00:00-05:00");
  }

  TEST_CASE("rendered times parse back to the same instant") {
    for (std::int64_t t = 1772900000000; t < 1773000000000; t += 1234567000) {
      const std::int64_t floored = t / 1000 * 1000;
      CHECK(lpda::emulator::test::parse_offset_time(emu::format_new_york(t)) == floored);
    }
  }

  TEST_CASE("millisecond HTTP and UTC forms") {
    CHECK(emu::format_new_york_ms(1516861155196) == "2018-01-25T01:19:15.196-05:00");
    CHECK(emu::format_http_date(784111777000) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(emu::format_utc(1772928000000) == "2026-03-08T00:00:00Z");
  }

  TEST_CASE("time arguments: epoch ms or UTC ISO") {
    CHECK(emu::parse_time_arg("1772928000000") == 1772928000000);
    CHECK(emu::parse_time_arg("2026-03-08T00:00:00Z") == 1772928000000);
    CHECK(emu::parse_time_arg("2026-03-08T01:30Z") == 1772933400000);
    CHECK(emu::parse_time_arg("2026-03-08") == 1772928000000);
    CHECK_FALSE(emu::parse_time_arg("2026-13-08").has_value());
    CHECK_FALSE(emu::parse_time_arg("yesterday").has_value());
    CHECK_FALSE(emu::parse_time_arg("").has_value());
  }
}
