#include "lpda/core/clock.hpp"

#include <doctest/doctest.h>

TEST_SUITE("core") {
  TEST_CASE("format_iso8601_ms renders UTC with milliseconds") {
    // 1461387600000 ms = 2016-04-23T05:00:00Z (the docs' first listed file, reference §4.3).
    CHECK(lpda::format_iso8601_ms(1461387600000) == "2016-04-23T05:00:00.000Z");
    CHECK(lpda::format_iso8601_ms(1465992202047) == "2016-06-15T12:03:22.047Z");
    CHECK(lpda::format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  }
  TEST_CASE("parse_iso8601_ms takes a date alone only where asked and says why it refuses") {
    using lpda::iso8601_form;
    // 2016-04-23T05:00:00Z = 1461387600000 ms (format_iso8601_ms above renders it back).
    CHECK(lpda::parse_iso8601_ms("2016-04-23T01:00:00-04:00").value() == 1461387600000);
    CHECK(lpda::parse_iso8601_ms("2016-04-23T05:00:00.250Z", iso8601_form::date_time).value() ==
          1461387600250);
    CHECK(lpda::parse_iso8601_ms("2016-04-23").value() == 1461369600000);
    const auto date_only = lpda::parse_iso8601_ms("2016-04-23", iso8601_form::date_time);
    REQUIRE(date_only.has_error());
    CHECK(date_only.error().code == lpda::errc::bad_field);
    CHECK(date_only.error().message == "expected a time of day after the date");
    CHECK(lpda::parse_iso8601_ms("2016-04-23T05:00:00").error().message ==
          "a date-time needs a zone: \"Z\" or an offset like \"+02:00\"");
    for (const auto ms : {std::int64_t{0}, std::int64_t{1465992202047}, std::int64_t{-1}})
      CHECK(lpda::parse_iso8601_ms(lpda::format_iso8601_ms(ms), iso8601_form::date_time).value() ==
            ms);
  }

  TEST_CASE("system_now_ms is after 2026-01-01") { CHECK(lpda::system_now_ms() > 1767225600000); }
}
