// The scheduler on a real io_context with real timers at millisecond intervals. Timers never fire
// early, so lower bounds on the gaps between polls are exact; upper bounds carry a generous slack
// for a loaded machine.
#include "lpda/daemon/scheduler.hpp"

#include <doctest/doctest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace lpda::daemon;
namespace asio = boost::asio;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr milliseconds slack = 250ms;  // for a loaded 2-core CI machine

// What the poll function does and what it saw, per account.
struct account_script {
  std::deque<poll_outcome> outcomes;  // popped per poll; `ok` when empty
  milliseconds duration{0};           // how long each poll takes (a timer on the loop)
  bool throw_instead = false;
  std::vector<steady::time_point> starts;
  int in_flight = 0;
  int max_in_flight = 0;
  int aborted = 0;  // polls whose wait ended with operation_aborted
};

struct harness {
  asio::io_context io;
  std::map<std::string, account_script> scripts;
  std::function<void(const std::string&)> after_poll;  // test hook, runs at the end of each poll
  scheduler* sched = nullptr;
  int stopped_calls = 0;
  std::vector<std::string> errors;
};

asio::awaitable<poll_outcome> scripted_poll(harness* h, std::string id) {
  auto& s = h->scripts[id];
  s.starts.push_back(steady::now());
  s.max_in_flight = std::max(s.max_in_flight, ++s.in_flight);
  if (s.duration > 0ms) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(s.duration);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) ++s.aborted;
  }
  --s.in_flight;
  poll_outcome o = poll_outcome::ok;
  if (!s.outcomes.empty()) {
    o = s.outcomes.front();
    s.outcomes.pop_front();
  }
  if (h->after_poll) h->after_poll(id);
  if (s.throw_instead) throw std::runtime_error("listing exploded");
  co_return o;
}

scheduler::options options_for(harness& h, double jitter = 0.0, double u = 0.0) {
  scheduler::options o;
  o.jitter = jitter;
  o.random = [u]() { return u; };
  o.on_stopped = [&h]() { ++h.stopped_calls; };
  o.on_error = [&h](const std::string& id, const std::string& what) {
    h.errors.push_back(id + ": " + what);
  };
  return o;
}

poll_function poll_of(harness& h) {
  harness* p = &h;
  return [p](std::string id) { return scripted_poll(p, std::move(id)); };
}

scheduled_account account(std::string id, milliseconds interval, milliseconds cap = 10s) {
  return scheduled_account{std::move(id), interval, cap};
}

std::vector<milliseconds> gaps(const std::vector<steady::time_point>& starts) {
  std::vector<milliseconds> g;
  for (std::size_t i = 1; i < starts.size(); ++i)
    g.push_back(std::chrono::duration_cast<milliseconds>(starts[i] - starts[i - 1]));
  return g;
}

// Runs the loop until the scheduler reports it stopped, at most `limit`.
void run_until_stopped(harness& h, milliseconds limit = 10s) {
  const auto deadline = steady::now() + limit;
  while (h.stopped_calls == 0 && steady::now() < deadline) {
    h.io.run_for(50ms);
    if (h.io.stopped()) h.io.restart();
  }
}

}  // namespace

TEST_SUITE("daemon") {
  TEST_CASE("an account polls at once then every interval and never early") {
    harness h;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    h.after_poll = [&h](const std::string& id) {
      if (h.scripts[id].starts.size() == 5) h.sched->stop();
    };
    const auto t0 = steady::now();
    sched.update_accounts({account("a", 40ms)});
    run_until_stopped(h);
    REQUIRE(h.stopped_calls == 1);
    const auto& starts = h.scripts["a"].starts;
    REQUIRE(starts.size() == 5);
    CHECK(starts[0] - t0 < slack);  // the first poll is not delayed by an interval
    for (auto g : gaps(starts)) {
      CHECK(g >= 39ms);  // due = last start + 40 ms (1 ms for the poll's own clock read)
      CHECK(g < 40ms + slack);
    }
    CHECK(sched.active_loops() == 0);
  }

  TEST_CASE("jitter draws lengthen the delay") {
    harness h;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h, 0.5, 1.0));
    h.sched = &sched;
    h.after_poll = [&h](const std::string& id) {
      if (h.scripts[id].starts.size() == 3) h.sched->stop();
    };
    sched.update_accounts({account("a", 40ms)});
    run_until_stopped(h);
    for (auto g : gaps(h.scripts["a"].starts)) CHECK(g >= 59ms);  // 40 × 1.5
  }

  TEST_CASE("consecutive failures back off exponentially up to the cap and a success resets") {
    harness h;
    auto& s = h.scripts["a"];
    s.outcomes = {poll_outcome::failed, poll_outcome::failed, poll_outcome::failed,
                  poll_outcome::failed, poll_outcome::ok,     poll_outcome::ok};
    std::vector<std::pair<poll_outcome, milliseconds>> finished;
    auto o = options_for(h);
    o.on_poll_finished = [&finished](const std::string&, poll_outcome oc, milliseconds next) {
      finished.emplace_back(oc, next);
    };
    scheduler sched(h.io.get_executor(), poll_of(h), o);
    h.sched = &sched;
    std::vector<int> failures_seen;
    h.after_poll = [&h, &failures_seen](const std::string& id) {
      if (h.scripts[id].starts.size() == 7) h.sched->stop();
    };
    sched.update_accounts({account("a", 20ms, 100ms)});
    run_until_stopped(h);
    const auto g = gaps(h.scripts["a"].starts);
    REQUIRE(g.size() == 6);
    // after failure 1..4: 20, 40, 80, 160→100 (cap); after the successes: 20, 20
    const milliseconds expected[] = {20ms, 40ms, 80ms, 100ms, 20ms, 20ms};
    for (std::size_t i = 0; i < g.size(); ++i) {
      INFO("gap " << i);
      CHECK(g[i] >= expected[i] - 1ms);
      CHECK(g[i] < expected[i] + slack);
    }
    CHECK(g[4] < g[3]);  // the success reset the backoff
    REQUIRE(finished.size() >= 5);
    CHECK(finished[3].first == poll_outcome::failed);
    CHECK(finished[3].second <= 100ms);
    CHECK(finished[3].second > 50ms);
  }

  TEST_CASE("an auth failure waits one interval without growth") {
    harness h;
    h.scripts["a"].outcomes = {poll_outcome::auth_failed, poll_outcome::auth_failed,
                               poll_outcome::auth_failed};
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    h.after_poll = [&h](const std::string& id) {
      if (h.scripts[id].starts.size() == 4) h.sched->stop();
    };
    sched.update_accounts({account("a", 30ms, 1000ms)});
    run_until_stopped(h);
    for (auto g : gaps(h.scripts["a"].starts)) {
      CHECK(g >= 29ms);
      CHECK(g < 30ms + slack);
    }
    auto p = sched.progress();
    CHECK(p.empty());  // stopped loops are gone
  }

  TEST_CASE("a slow account does not delay another and never overlaps itself") {
    harness h;
    h.scripts["slow"].duration = 300ms;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    h.after_poll = [&h](const std::string& id) {
      if (id == "slow" && h.scripts[id].starts.size() == 2) h.sched->stop();
    };
    sched.update_accounts({account("slow", 10ms), account("fast", 20ms)});
    run_until_stopped(h);
    const auto& slow = h.scripts["slow"];
    const auto& fast = h.scripts["fast"];
    CHECK(slow.max_in_flight == 1);
    REQUIRE(slow.starts.size() == 2);
    CHECK(slow.starts[1] - slow.starts[0] >= 299ms);  // the 10 ms interval waited for the poll
    // While the first slow poll ran (300 ms), the fast account polled on its own 20 ms cadence.
    std::size_t during = 0;
    for (auto t : fast.starts)
      if (t >= slow.starts[0] && t < slow.starts[1]) ++during;
    CHECK(during >= 5);
    CHECK(during <= 300 / 20 + 1);
  }

  TEST_CASE("progress shows the polling account and the last outcomes") {
    harness h;
    h.scripts["b"].outcomes = {poll_outcome::failed, poll_outcome::failed};
    h.scripts["a"].duration = 200ms;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    std::vector<account_progress> snapshot;
    h.after_poll = [&h, &snapshot](const std::string& id) {
      if (id == "b" && h.scripts[id].starts.size() == 2) {
        snapshot = h.sched->progress();
        h.sched->stop();
      }
    };
    sched.update_accounts({account("a", 1000ms), account("b", 20ms)});
    run_until_stopped(h);
    REQUIRE(snapshot.size() == 2);
    CHECK(snapshot[0].account_id == "a");
    CHECK(snapshot[0].polling);
    CHECK(snapshot[0].polls_started == 1);
    CHECK(snapshot[1].account_id == "b");
    CHECK(snapshot[1].polling);  // the hook runs inside b's second poll
    CHECK(snapshot[1].last_outcome == poll_outcome::failed);
    CHECK(snapshot[1].consecutive_failures == 1);
    CHECK(snapshot[1].polls_finished == 1);
    CHECK(format_status(snapshot) ==
          "2 accounts: 2 polling, 0 ok, 0 failing, 0 auth failed; 1 poll");
  }

  TEST_CASE(
      "removed accounts stop after their current poll while added ones start and intervals "
      "change") {
    harness h;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    bool reconfigured = false;
    h.after_poll = [&h, &reconfigured](const std::string& id) {
      if (id == "b" && h.scripts["b"].starts.size() == 3 && !reconfigured) {
        reconfigured = true;
        // b is removed while its poll runs; a's interval drops from 10 s to 20 ms; c is added.
        h.sched->update_accounts({account("a", 20ms), account("c", 20ms)});
      }
      if (id == "c" && h.scripts["c"].starts.size() == 4) h.sched->stop();
    };
    sched.update_accounts({account("a", 10s), account("b", 20ms)});
    run_until_stopped(h);
    REQUIRE(reconfigured);
    CHECK(h.scripts["b"].starts.size() == 3);  // no poll after the removal
    CHECK(h.scripts["c"].starts.size() == 4);
    // a polled at start, then (10 s due) re-timed to 20 ms after its first start: it polled
    // again long before 10 s.
    REQUIRE(h.scripts["a"].starts.size() >= 2);
    CHECK(h.scripts["a"].starts[1] - h.scripts["a"].starts[0] < 2s);
  }

  TEST_CASE("an account removed and re-added during its poll keeps one loop") {
    harness h;
    h.scripts["a"].duration = 30ms;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    h.after_poll = [&h](const std::string& id) {
      const auto n = h.scripts[id].starts.size();
      if (n == 1) {
        h.sched->update_accounts({});
        h.sched->update_accounts({account("a", 10ms)});
        CHECK(h.sched->active_loops() == 1);
      }
      if (n == 4) h.sched->stop();
    };
    sched.update_accounts({account("a", 10ms)});
    run_until_stopped(h);
    CHECK(h.scripts["a"].max_in_flight == 1);
    CHECK(h.scripts["a"].starts.size() == 4);
  }

  TEST_CASE("stop ends a run whose accounts are waiting") {
    harness h;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    sched.update_accounts({account("a", 1h), account("b", 1h)});
    asio::steady_timer later(h.io, 50ms);
    scheduler* s = &sched;
    later.async_wait([s](boost::system::error_code) { s->stop(); });
    const auto t0 = steady::now();
    h.io.run_for(5s);  // returns when no work is left
    CHECK(steady::now() - t0 < 2s);
    CHECK(h.stopped_calls == 1);
    CHECK(sched.stopping());
    CHECK(sched.active_loops() == 0);
    CHECK(h.scripts["a"].starts.size() == 1);
    CHECK(h.scripts["b"].starts.size() == 1);
    sched.update_accounts({account("c", 10ms)});  // ignored after stop
    CHECK(sched.active_loops() == 0);
  }

  TEST_CASE("stop lets a poll in flight finish") {
    harness h;
    h.scripts["a"].duration = 200ms;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    sched.update_accounts({account("a", 10ms)});
    asio::steady_timer later(h.io, 50ms);
    scheduler* s = &sched;
    later.async_wait([s](boost::system::error_code) { s->stop(scheduler::stop_mode::finish); });
    const auto t0 = steady::now();
    h.io.run_for(5s);
    CHECK(steady::now() - t0 >= 199ms);
    CHECK(h.stopped_calls == 1);
    CHECK(h.scripts["a"].aborted == 0);
    CHECK(h.scripts["a"].starts.size() == 1);
  }

  TEST_CASE("stop with cancel cuts a poll in flight short") {
    harness h;
    h.scripts["a"].duration = 60s;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    sched.update_accounts({account("a", 10ms)});
    asio::steady_timer later(h.io, 50ms);
    scheduler* s = &sched;
    later.async_wait([s](boost::system::error_code) { s->stop(scheduler::stop_mode::cancel); });
    const auto t0 = steady::now();
    h.io.run_for(10s);
    CHECK(steady::now() - t0 < 5s);
    CHECK(h.stopped_calls == 1);
    CHECK(h.scripts["a"].aborted == 1);
    CHECK(h.errors.empty());
  }

  TEST_CASE("an exception from a poll counts as a failure and is reported") {
    harness h;
    h.scripts["a"].throw_instead = true;
    scheduler sched(h.io.get_executor(), poll_of(h), options_for(h));
    h.sched = &sched;
    std::vector<poll_outcome> outcomes;
    h.after_poll = [&h](const std::string& id) {
      if (h.scripts[id].starts.size() == 3) h.sched->stop();
    };
    sched.update_accounts({account("a", 20ms, 1000ms)});
    run_until_stopped(h);
    REQUIRE(h.errors.size() == 3);
    CHECK(h.errors[0] == "a: listing exploded");
    const auto g = gaps(h.scripts["a"].starts);
    REQUIRE(g.size() == 2);
    CHECK(g[0] >= 19ms);
    CHECK(g[1] >= 39ms);  // second failure in a row: 2 × 20 ms
  }

  TEST_CASE("heartbeat beats every interval while the loop runs and not while it is blocked") {
    asio::io_context io;
    std::vector<steady::time_point> beats;
    heartbeat hb(io.get_executor(), 10ms, [&beats]() { beats.push_back(steady::now()); });
    hb.start();
    steady::time_point block_start, block_end;
    asio::steady_timer block(io, 100ms);
    block.async_wait([&](boost::system::error_code) {
      block_start = steady::now();
      std::this_thread::sleep_for(150ms);  // the loop makes no progress
      block_end = steady::now();
    });
    asio::steady_timer end(io, 400ms);
    heartbeat* p = &hb;
    end.async_wait([p](boost::system::error_code) { p->stop(); });
    const auto t0 = steady::now();
    io.run_for(5s);
    const auto elapsed = std::chrono::duration_cast<milliseconds>(steady::now() - t0);
    CHECK(hb.beats() == beats.size());
    CHECK(beats.size() >= 10);
    CHECK(beats.size() <= static_cast<std::size_t>(elapsed / 10ms) + 1);
    std::size_t during_block = 0;
    for (auto t : beats)
      if (t > block_start && t < block_end) ++during_block;
    CHECK(during_block == 0);
    // beats resumed after the block
    CHECK(beats.back() > block_end);
  }
}
