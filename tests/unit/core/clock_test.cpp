#include "lpda/core/clock.hpp"

#include <doctest/doctest.h>

TEST_SUITE("core") {
  TEST_CASE("format_iso8601_ms renders UTC with milliseconds") {
    // 1461387600000 ms = 2016-04-23T05:00:00Z (the docs' first listed file, reference §4.3).
    CHECK(lpda::format_iso8601_ms(1461387600000) == "2016-04-23T05:00:00.000Z");
    CHECK(lpda::format_iso8601_ms(1465992202047) == "2016-06-15T12:03:22.047Z");
    CHECK(lpda::format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  }
  TEST_CASE("system_now_ms is after 2026-01-01") { CHECK(lpda::system_now_ms() > 1767225600000); }
}
