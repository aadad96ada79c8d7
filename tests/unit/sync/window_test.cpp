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

// The window's end and the watermark come from the server's clock, whatever the host's says.
// `now` is the server's; the host runs ahead or behind by seconds, hours or days.
TEST_SUITE("sync") {
  TEST_CASE("the window ends at the server's now minus the margin, with the host ahead or behind") {
    using lpda::sync::server_now_margin_ms;
    for (const std::int64_t offset : std::initializer_list<std::int64_t>{
             7'000, 6 * hour, 2 * day, -7'000, -6 * hour, -2 * day}) {
      CAPTURE(offset);
      const std::int64_t host_now = now + offset;
      const std::int64_t end = lpda::sync::window_end_ms(now, host_now);
      CHECK(end == now - server_now_margin_ms);
      // A known account: [watermark − overlap, server now − margin], whatever the host says.
      const std::int64_t wm = now - 2 * hour;
      const auto w = lpda::sync::poll_window(wm, 0, 12 * hour, end);
      CHECK(w == slice{now - 14 * hour, now - server_now_margin_ms});
      // The watermark this poll may reach is the end of its last slice: never past the server.
      const auto slices = lpda::sync::split_window(w, day);
      const auto next =
          lpda::sync::advance_watermark(wm, slices, std::vector<bool>(slices.size(), true));
      CHECK(next == now - server_now_margin_ms);
      // A new account starts at initial_start, also clamped by the server's retention bound.
      CHECK(lpda::sync::poll_window(std::nullopt, now - 40 * day, 12 * hour, end).start_ms ==
            end - 29 * day);
    }
  }
  TEST_CASE("without the server's clock the host's ends the window") {
    CHECK(lpda::sync::window_end_ms(std::nullopt, now + 2 * day) == now + 2 * day);
    CHECK(lpda::sync::window_end_ms(std::nullopt, now - 6 * hour) == now - 6 * hour);
  }
  TEST_CASE("a watermark beyond the server's now is pulled back to now minus the overlap") {
    // Set by a host 2 days ahead, 6 hours ahead, 7 seconds ahead.
    for (const std::int64_t ahead : std::initializer_list<std::int64_t>{2 * day, 6 * hour, 7'000}) {
      CAPTURE(ahead);
      const auto fixed = lpda::sync::repaired_watermark(now + ahead, now, 12 * hour);
      REQUIRE(fixed.has_value());
      CHECK(*fixed == now - 12 * hour);
      // The next window lists everything since then, up to the server's now.
      const auto end = lpda::sync::window_end_ms(now, now + ahead);
      CHECK(lpda::sync::poll_window(*fixed, 0, 12 * hour, end) ==
            slice{now - 24 * hour, now - lpda::sync::server_now_margin_ms});
    }
    // Further back when the newest hour listed is older than now - overlap (a bad state that
    // lasted longer than the overlap); never forward of now - overlap.
    CHECK(lpda::sync::repaired_watermark(now + day, now, 12 * hour, now - 3 * day) ==
          std::optional<std::int64_t>(now - 3 * day));
    CHECK(lpda::sync::repaired_watermark(now + day, now, 12 * hour, now - hour) ==
          std::optional<std::int64_t>(now - 12 * hour));
    // Not beyond the server's now: left alone (a host behind the server changes nothing).
    CHECK_FALSE(lpda::sync::repaired_watermark(now, now, 12 * hour).has_value());
    CHECK_FALSE(lpda::sync::repaired_watermark(now - 6 * hour, now, 12 * hour).has_value());
    CHECK_FALSE(lpda::sync::repaired_watermark(std::nullopt, now, 12 * hour).has_value());
  }
}
