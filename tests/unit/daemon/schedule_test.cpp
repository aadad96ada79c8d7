#include "lpda/daemon/schedule.hpp"
#include "lpda/daemon/scheduler.hpp"
#include "lpda/daemon/sync_outcome.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <vector>

using namespace lpda::daemon;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {
schedule_settings settings(milliseconds interval, milliseconds cap, double jitter = 0.0) {
  schedule_settings s;
  s.poll_interval = interval;
  s.backoff_max = cap;
  s.jitter = jitter;
  return s;
}
}  // namespace

TEST_SUITE("daemon") {
  TEST_CASE("base delay doubles per consecutive failure from the interval up to the cap") {
    const auto s = settings(60s, 1h);
    CHECK(base_delay(s, 0) == 60s);
    CHECK(base_delay(s, 1) == 60s);   // 60 s × 2^0
    CHECK(base_delay(s, 2) == 120s);  // 60 s × 2^1
    CHECK(base_delay(s, 3) == 240s);
    CHECK(base_delay(s, 6) == 1920s);  // 60 × 32
    CHECK(base_delay(s, 7) == 3600s);  // 60 × 64 = 3840 s, capped at 1 h
    CHECK(base_delay(s, 1000) == 3600s);
  }

  TEST_CASE("a cap below the interval never makes an account poll faster than its interval") {
    const auto s = settings(60s, 30s);
    CHECK(base_delay(s, 1) == 60s);
    CHECK(base_delay(s, 5) == 60s);
  }

  TEST_CASE("a cap that is not a power-of-two multiple is reached exactly") {
    const auto s = settings(1000ms, 5000ms);
    CHECK(base_delay(s, 3) == 4000ms);
    CHECK(base_delay(s, 4) == 5000ms);  // 8000 capped
  }

  TEST_CASE("jitter scales the delay by 1 + jitter x u and clamps u") {
    CHECK(apply_jitter(1000ms, 0.1, 0.0) == 1000ms);
    CHECK(apply_jitter(1000ms, 0.1, 1.0) == 1100ms);
    CHECK(apply_jitter(1000ms, 0.1, -1.0) == 900ms);
    CHECK(apply_jitter(1000ms, 0.1, 0.5) == 1050ms);
    CHECK(apply_jitter(1000ms, 0.1, 7.0) == 1100ms);
    CHECK(apply_jitter(1000ms, 0.1, -7.0) == 900ms);
    CHECK(apply_jitter(1ms, 0.5, -1.0) == 1ms);  // never below 1 ms
  }

  TEST_CASE("backoff state grows on failures and resets on success") {
    const auto s = settings(20ms, 100ms);
    backoff_state b;
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 20ms);
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 40ms);
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 80ms);
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 100ms);
    CHECK(b.consecutive_failures() == 4);
    CHECK(b.record(poll_outcome::ok, s, 0.0) == 20ms);
    CHECK(b.consecutive_failures() == 0);
  }

  TEST_CASE("an auth failure pauses for one interval and ends a run of failures") {
    const auto s = settings(20ms, 1000ms);
    backoff_state b;
    b.record(poll_outcome::failed, s, 0.0);
    b.record(poll_outcome::failed, s, 0.0);
    CHECK(b.record(poll_outcome::auth_failed, s, 0.0) == 20ms);
    CHECK(b.consecutive_failures() == 0);
    CHECK(b.record(poll_outcome::auth_failed, s, 0.0) == 20ms);  // no growth
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 20ms);       // a new run starts at 1
  }

  TEST_CASE("the jittered delay of the state uses the draw") {
    const auto s = settings(1000ms, 10000ms, 0.2);
    backoff_state b;
    CHECK(b.record(poll_outcome::failed, s, 0.0) == 1000ms);
    CHECK(b.record(poll_outcome::failed, s, 1.0) == 2400ms);  // 2000 × 1.2
    CHECK(b.current_delay(s, -1.0) == 1600ms);                // 2000 × 0.8
  }

  TEST_CASE("next due is last start plus delay but never in the past") {
    using tp = std::chrono::steady_clock::time_point;
    const tp start{std::chrono::seconds(100)};
    CHECK(next_due(start, 30s, start + 1s) == start + 30s);
    CHECK(next_due(start, 30s, start + 45s) == start + 45s);  // slow poll: next one at once
  }

  TEST_CASE("default jitter source draws within -1 and 1 and varies") {
    auto r = default_jitter_source();
    double lo = 2, hi = -2;
    for (int i = 0; i < 1000; ++i) {
      const double u = r();
      REQUIRE(u >= -1.0);
      REQUIRE(u <= 1.0);
      lo = std::min(lo, u);
      hi = std::max(hi, u);
    }
    CHECK(lo < -0.5);
    CHECK(hi > 0.5);
  }

  TEST_CASE("outcome names") {
    CHECK(to_string(poll_outcome::ok) == "ok");
    CHECK(to_string(poll_outcome::auth_failed) == "auth_failed");
    CHECK(to_string(poll_outcome::failed) == "failed");
  }

  TEST_CASE("status line counts accounts by state") {
    std::vector<account_progress> p(5);
    p[0].account_id = "a";
    p[0].polling = true;
    p[0].polls_finished = 3;
    p[1].account_id = "b";
    p[1].last_outcome = poll_outcome::ok;
    p[1].polls_finished = 4;
    p[2].account_id = "c";
    p[2].last_outcome = poll_outcome::failed;
    p[2].consecutive_failures = 2;
    p[2].polls_finished = 2;
    p[3].account_id = "d";
    p[3].last_outcome = poll_outcome::failed;
    p[3].consecutive_failures = 5;
    p[3].polls_finished = 5;
    p[4].account_id = "e";
    p[4].last_outcome = poll_outcome::auth_failed;
    p[4].polls_finished = 1;
    CHECK(format_status(p) ==
          "5 accounts: 1 polling, 1 ok, 2 failing (max 5 in a row), 1 auth failed; 15 polls");
    std::vector<account_progress> one(1);
    one[0].account_id = "x";
    CHECK(format_status(one) ==
          "1 account: 0 polling, 0 ok, 0 failing, 0 auth failed, 1 waiting; 0 polls");
  }
}

namespace {
// The shape of sync::poll_report that outcome_of reads (the poll's early-stop error), plus the
// file counters that must not influence it.
struct report {
  std::size_t files_failed = 0;
  std::size_t files_quarantined = 0;
  std::optional<lpda::error> error;
};
}  // namespace

TEST_SUITE("daemon") {
  TEST_CASE("a poll's outcome from its reports") {
    CHECK(outcome_of(std::vector<report>{}) == poll_outcome::ok);
    report fine;
    report bad_file;
    bad_file.files_failed = 1;
    bad_file.files_quarantined = 1;
    CHECK(outcome_of(std::vector{fine, bad_file}) == poll_outcome::ok);  // files retry; no backoff
    report listing_failed;
    listing_failed.error = lpda::error(lpda::errc::server_error, "listing: HTTP 503");
    CHECK(outcome_of(std::vector{fine, listing_failed}) == poll_outcome::failed);
    report denied;
    denied.error = lpda::error(lpda::errc::auth_failed, "listing: HTTP 401");
    CHECK(outcome_of(std::vector{listing_failed, denied}) == poll_outcome::auth_failed);
  }
}
