// sd_notify against a real unix datagram socket standing in for the service manager.
#include "lpda/daemon/notifier.hpp"
#include "lpda/daemon/scheduler.hpp"

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

namespace {

// A bound AF_UNIX/SOCK_DGRAM socket; $NOTIFY_SOCKET points at it while it lives.
class notify_socket {
 public:
  explicit notify_socket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto s = path.string();
    if (s.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      throw std::runtime_error("bind failed: " + std::string(std::strerror(errno)));
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setenv("NOTIFY_SOCKET", s.c_str(), 1);
  }
  ~notify_socket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  /// The next datagram, or nullopt after 2 s without one.
  std::optional<std::string> receive() {
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  /// The next datagram if one is already queued.
  std::optional<std::string> poll() {
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

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

  TEST_CASE("READY STATUS WATCHDOG STOPPING and RELOADING arrive as exact datagrams") {
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
