#include "lpda/sync/window.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using lpda::sync::slice;

namespace {
constexpr std::int64_t hour = 3600LL * 1000;
constexpr std::int64_t day = 24 * hour;
constexpr std::int64_t now = 1'767'258'000'000;  // 2026-01-01T09:00:00Z
}  // namespace

TEST_SUITE("sync") {
  TEST_CASE("a new account starts at initial_start") {
    CHECK(lpda::sync::poll_window(std::nullopt, now - 7 * day, 12 * hour, now) ==
          slice{now - 7 * day, now});
  }
  TEST_CASE("a known account re-lists the overlap behind its watermark") {
    CHECK(lpda::sync::poll_window(now - hour, 0, 12 * hour, now) == slice{now - 13 * hour, now});
  }
  TEST_CASE("the window never starts before the 29-day retention bound") {
    CHECK(lpda::sync::poll_window(now - 40 * day, 0, 12 * hour, now) == slice{now - 29 * day, now});
    CHECK(lpda::sync::poll_window(std::nullopt, now - 90 * day, 0, now) ==
          slice{now - 29 * day, now});
  }
  TEST_CASE("a watermark in the future gives an empty window") {
    CHECK(lpda::sync::poll_window(now + 20 * hour, 0, 12 * hour, now) == slice{now, now});
    CHECK(lpda::sync::split_window({now, now}, day).empty());
  }
  TEST_CASE("split_window cuts into max_window pieces with a short last one") {
    const auto s = lpda::sync::split_window({0, 50 * hour}, 24 * hour);
    REQUIRE(s.size() == 3);
    CHECK(s[0] == slice{0, 24 * hour});
    CHECK(s[1] == slice{24 * hour, 48 * hour});
    CHECK(s[2] == slice{48 * hour, 50 * hour});
    CHECK_THROWS_AS(lpda::sync::split_window({0, 1}, 0), std::invalid_argument);
  }
  TEST_CASE("the watermark advances contiguously and stops at the first incomplete slice") {
    const std::vector<slice> s{{0, 10}, {10, 20}, {20, 30}};
    CHECK(lpda::sync::advance_watermark(std::nullopt, s, {true, true, true}) == 30);
    CHECK(lpda::sync::advance_watermark(std::nullopt, s, {true, false, true}) == 10);
    CHECK(lpda::sync::advance_watermark(5, s, {false, true, true}) == 5);
    CHECK(lpda::sync::advance_watermark(std::nullopt, s, {false, true, true}) == std::nullopt);
  }
  TEST_CASE("the watermark never moves back") {
    const std::vector<slice> s{{0, 10}, {10, 20}};
    CHECK(lpda::sync::advance_watermark(25, s, {true, true}) == 25);
  }
}
