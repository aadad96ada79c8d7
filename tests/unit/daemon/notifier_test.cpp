// sd_notify against a real unix datagram socket standing in for the service manager.
#include "lpda/daemon/notifier.hpp"
#include "lpda/daemon/scheduler.hpp"

#include "notify_socket.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>

using namespace lpda::daemon;
using namespace std::chrono_literals;
using lpda::daemon::test::notify_socket;

namespace {

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

struct env_guard {
  explicit env_guard(std::initializer_list<const char*> names) : names_(names) {}
  ~env_guard() {
    for (auto* n : names_) ::unsetenv(n);
  }
  std::vector<const char*> names_;
};

}  // namespace

TEST_SUITE("integration_daemon") {
  TEST_CASE("without NOTIFY_SOCKET every notification is a no-op") {
    ::unsetenv("NOTIFY_SOCKET");
    notifier n;
    auto r = n.ready();
    REQUIRE(r.has_value());
    CHECK(*r == false);
    CHECK(*n.status("x") == false);
    CHECK(*n.watchdog() == false);
  }

  TEST_CASE(
      "READY STATUS WATCHDOG STOPPING EXTEND_TIMEOUT and RELOADING arrive as exact datagrams") {
    lpda::test::temp_dir dir;
    notify_socket sock(dir / "notify.sock");
    notifier n;
    REQUIRE(n.ready().value());
    CHECK(sock.receive() == "READY=1");
    REQUIRE(n.status("syncing\n2 accounts").value());
    CHECK(sock.receive() == "STATUS=syncing 2 accounts");
    REQUIRE(n.watchdog().value());
    CHECK(sock.receive() == "WATCHDOG=1");
    REQUIRE(n.stopping().value());
    CHECK(sock.receive() == "STOPPING=1");
    REQUIRE(n.extend_timeout(std::chrono::seconds(30)).value());
    CHECK(sock.receive() == "EXTEND_TIMEOUT_USEC=30000000");
    const auto before = monotonic_usec();
    REQUIRE(n.reloading().value());
    const auto after = monotonic_usec();
    const auto msg = sock.receive();
    REQUIRE(msg);
    const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
    REQUIRE(msg->rfind(prefix, 0) == 0);
    const auto usec = std::stoull(msg->substr(prefix.size()));
    CHECK(usec >= before);
    CHECK(usec <= after);
    CHECK(sock.poll() == std::nullopt);  // nothing else was sent
  }

  TEST_CASE("a NOTIFY_SOCKET nobody listens on is an error naming the message") {
    lpda::test::temp_dir dir;
    ::setenv("NOTIFY_SOCKET", (dir / "absent.sock").c_str(), 1);
    env_guard g{"NOTIFY_SOCKET"};
    notifier n;
    auto r = n.ready();
    REQUIRE(r.has_error());
    CHECK(r.error().code == lpda::make_error_code(lpda::errc::network));
    CHECK(r.error().message.find("READY=1") != std::string::npos);
  }

  TEST_CASE("watchdog interval is half of WATCHDOG_USEC for this process only") {
    env_guard g{"WATCHDOG_USEC", "WATCHDOG_PID"};
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    CHECK(notifier::watchdog_interval() == std::nullopt);
    ::setenv("WATCHDOG_USEC", "3000000", 1);
    CHECK(notifier::watchdog_interval() == std::chrono::milliseconds(1500));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    CHECK(notifier::watchdog_interval() == std::chrono::milliseconds(1500));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    CHECK(notifier::watchdog_interval() == std::nullopt);
    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "0", 1);
    CHECK(notifier::watchdog_interval() == std::nullopt);
    ::setenv("WATCHDOG_USEC", "banana", 1);
    CHECK(notifier::watchdog_interval() == std::nullopt);
  }

  TEST_CASE("a heartbeat at the watchdog interval sends WATCHDOG=1 pings from the event loop") {
    lpda::test::temp_dir dir;
    notify_socket sock(dir / "notify.sock");
    env_guard g{"WATCHDOG_USEC"};
    ::setenv("WATCHDOG_USEC", "40000", 1);  // 40 ms → a ping every 20 ms
    const auto interval = notifier::watchdog_interval();
    REQUIRE(interval == std::chrono::milliseconds(20));
    boost::asio::io_context io;
    notifier n;
    REQUIRE(n.ready().value());
    REQUIRE(n.status("1 account: 0 polling, 0 ok, 0 failing, 0 auth failed, 1 waiting; 0 polls")
                .value());
    heartbeat hb(io.get_executor(), *interval, [n]() { (void)n.watchdog(); });
    hb.start();
    boost::asio::steady_timer end(io, 150ms);
    heartbeat* p = &hb;
    end.async_wait([p](boost::system::error_code) { p->stop(); });
    io.run_for(5s);
    CHECK(sock.receive() == "READY=1");
    CHECK(sock.receive() ==
          "STATUS=1 account: 0 polling, 0 ok, 0 failing, 0 auth failed, 1 waiting; 0 polls");
    std::size_t pings = 0;
    while (auto m = sock.poll()) {
      CHECK(*m == "WATCHDOG=1");
      ++pings;
    }
    CHECK(pings == hb.beats());
    CHECK(pings >= 3);
  }
}
