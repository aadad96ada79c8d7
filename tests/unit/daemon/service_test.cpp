// The composed service on a real event loop: real signals raised to this process, a real
// $NOTIFY_SOCKET, real timers.
#include "lpda/daemon/service.hpp"

#include "notify_socket.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <vector>

using namespace lpda::daemon;
namespace asio = boost::asio;
using lpda::daemon::test::notify_collector;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct recorder {
  std::map<std::string, int> polls;
  milliseconds duration{0};
  bool ignore_cancellation = false;
  int aborted = 0;
  int finished = 0;
};

asio::awaitable<poll_outcome> recorded_poll(recorder* r, std::string id) {
  ++r->polls[id];
  if (r->ignore_cancellation)
    co_await asio::this_coro::reset_cancellation_state(
        [](asio::cancellation_type) { return asio::cancellation_type::none; });
  if (r->duration > 0ms) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(r->duration);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) ++r->aborted;
  }
  ++r->finished;
  co_return id == "denied" ? poll_outcome::auth_failed : poll_outcome::ok;
}

poll_function poll_of(recorder& r) {
  recorder* p = &r;
  return [p](std::string id) { return recorded_poll(p, std::move(id)); };
}

scheduled_account sched_account(std::string id, milliseconds interval = 20ms) {
  return scheduled_account{std::move(id), interval, 1000ms};
}

// Raises `signo` to this process after `delay`, from the loop.
void raise_after(asio::io_context& io, std::vector<std::unique_ptr<asio::steady_timer>>& timers,
                 milliseconds delay, int signo) {
  timers.push_back(std::make_unique<asio::steady_timer>(io, delay));
  timers.back()->async_wait([signo](boost::system::error_code ec) {
    if (!ec) ::raise(signo);
  });
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& prefix,
                     std::size_t from = 0) {
  for (std::size_t i = from; i < v.size(); ++i)
    if (v[i].rfind(prefix, 0) == 0) return i;
  return v.size();
}

}  // namespace

TEST_SUITE("integration_daemon") {
  TEST_CASE("service notifies readiness and reloads on SIGHUP and stops on SIGTERM") {
    lpda::test::temp_dir dir;
    notify_collector sock(dir / "notify.sock");
    asio::io_context io;
    recorder rec;
    int reload_calls = 0;
    service_hooks hooks;
    hooks.poll = poll_of(rec);
    hooks.reload = [&reload_calls]() -> lpda::result<std::vector<scheduled_account>> {
      if (++reload_calls == 1)
        return std::vector{sched_account("a"), sched_account("b"), sched_account("denied")};
      return lpda::error(lpda::errc::config_invalid, "config.yaml:3:5: accounts[0].id: empty");
    };
    service_settings settings;
    settings.watchdog_interval = 20ms;
    service svc(io.get_executor(), hooks, settings);
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    std::map<std::string, int> polls_at_second_reload;
    raise_after(io, timers, 100ms, SIGHUP);  // adds b and denied
    raise_after(io, timers, 200ms, SIGHUP);  // rejected: a, b, denied keep polling
    timers.push_back(std::make_unique<asio::steady_timer>(io, 210ms));
    timers.back()->async_wait(
        [&](boost::system::error_code) { polls_at_second_reload = rec.polls; });
    raise_after(io, timers, 350ms, SIGTERM);
    svc.start({sched_account("a")});
    const auto t0 = steady::now();
    io.run_for(10s);
    CHECK(steady::now() - t0 < 5s);  // the loop ran out of work after the stop
    CHECK(svc.stopped());
    CHECK(reload_calls == 2);
    CHECK(svc.reloads_applied() == 1);
    CHECK(svc.reloads_rejected() == 1);
    CHECK(rec.polls["a"] >= 5);
    CHECK(rec.polls["b"] >= 2);
    // After the rejected reload the accounts of the first reload kept polling.
    CHECK(rec.polls["b"] > polls_at_second_reload["b"]);
    CHECK(rec.polls["a"] > polls_at_second_reload["a"]);
    // The auth failure's 20 ms interval does not grow: it polled about as often as b.
    CHECK(rec.polls["denied"] * 2 >= rec.polls["b"]);

    const auto msgs = sock.stop();
    REQUIRE_FALSE(msgs.empty());
    const auto ready = index_of(msgs, "READY=1");
    REQUIRE(ready < msgs.size());
    CHECK(index_of(msgs, "STATUS=1 account: ") < msgs.size());
    const auto reload1 = index_of(msgs, "RELOADING=1\nMONOTONIC_USEC=");
    REQUIRE(reload1 < msgs.size());
    CHECK(reload1 > ready);
    const auto ready2 = index_of(msgs, "READY=1", reload1);
    CHECK(ready2 < msgs.size());
    const auto reload2 = index_of(msgs, "RELOADING=1\nMONOTONIC_USEC=", reload1 + 1);
    REQUIRE(reload2 < msgs.size());
    CHECK(index_of(msgs, "READY=1", reload2) < msgs.size());
    CHECK(index_of(msgs, "STATUS=3 accounts: ") < msgs.size());
    const auto stopping = index_of(msgs, "STOPPING=1");
    CHECK(stopping > reload2);
    CHECK(stopping < msgs.size());
    CHECK(std::count(msgs.begin(), msgs.end(), "WATCHDOG=1") >= 5);
  }

  TEST_CASE("SIGTERM cancels polls in flight and the loop ends") {
    asio::io_context io;
    recorder rec;
    rec.duration = 60s;
    service_hooks hooks;
    hooks.poll = poll_of(rec);
    service svc(io.get_executor(), hooks, {});
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    raise_after(io, timers, 50ms, SIGTERM);
    svc.start({sched_account("a"), sched_account("b")});
    const auto t0 = steady::now();
    io.run_for(20s);
    CHECK(steady::now() - t0 < 5s);
    CHECK(svc.stopped());
    CHECK(rec.aborted == 2);
    CHECK(rec.finished == 2);
  }

  TEST_CASE("a poll that ignores cancellation meets the shutdown timeout") {
    asio::io_context io;
    recorder rec;
    rec.duration = 3s;
    rec.ignore_cancellation = true;
    bool timed_out = false;
    service_hooks hooks;
    hooks.poll = poll_of(rec);
    asio::io_context* iop = &io;
    hooks.on_shutdown_timeout = [&timed_out, iop]() {
      timed_out = true;
      iop->stop();
    };
    service_settings settings;
    settings.shutdown_timeout = 100ms;
    service svc(io.get_executor(), hooks, settings);
    svc.start({sched_account("a")});
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    timers.push_back(std::make_unique<asio::steady_timer>(io, 50ms));
    service* s = &svc;
    timers.back()->async_wait([s](boost::system::error_code) { s->request_stop(); });
    const auto t0 = steady::now();
    io.run_for(20s);
    const auto elapsed = steady::now() - t0;
    CHECK(timed_out);
    CHECK(elapsed >= 149ms);
    CHECK(elapsed < 2s);
    CHECK_FALSE(svc.stopped());
    CHECK(rec.aborted == 0);
  }
}
