// The /metrics /healthz /readyz endpoint on 127.0.0.1 (port 0), its health probe, and the
// rendered families checked by Prometheus' own promtool.
#include "lpda/endpoint/server.hpp"
#include "lpda/endpoint/health_probe.hpp"
#include "lpda/metrics/daemon_metrics.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

namespace asio = boost::asio;
using namespace lpda::endpoint;
using namespace lpda::metrics;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

// An endpoint running on its own io_context thread, as in the daemon.
class running_endpoint {
 public:
  running_endpoint(server_settings s, server_hooks h) : guard_(io_.get_executor()) {
    auto e = server::start(io_.get_executor(), std::move(s), std::move(h));
    REQUIRE_MESSAGE(e.has_value(), (e ? "" : e.error().what()));
    endpoint_ = std::move(*e);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_endpoint() {
    // stop() runs on the endpoint's thread, as its contract asks.
    std::promise<void> done;
    asio::post(io_, [&] {
      endpoint_.reset();
      done.set_value();
    });
    done.get_future().wait();
    guard_.reset();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(endpoint_->port()); }
  std::uint16_t port() const { return endpoint_->port(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<server> endpoint_;
  std::thread thread_;
};

server_settings local_settings() {
  server_settings s;
  s.listen = "127.0.0.1:0";
  s.io_timeout = 300ms;
  return s;
}

// Sends raw bytes on a fresh connection and reads until the server closes (or 3 s pass).
std::string raw_exchange(std::uint16_t port, const std::string& bytes, bool half_close = false) {
  asio::io_context io;
  tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(sock, asio::buffer(bytes));
  if (half_close) sock.shutdown(tcp::socket::shutdown_send);
  std::string out;
  boost::system::error_code ec;
  std::array<char, 4096> buf{};
  // The server closes each of these connections itself (Connection: close, error or timeout).
  for (;;) {
    const auto n = sock.read_some(asio::buffer(buf), ec);
    out.append(buf.data(), n);
    if (ec) break;
  }
  return out;
}

}  // namespace

TEST_SUITE("integration_endpoint") {
  TEST_CASE("endpoint serves /metrics /healthz /readyz following the callables") {
    std::atomic<bool> writable{true};
    daemon_metrics m;
    server_hooks h;
    h.metrics = [&m] { return m.render(); };
    h.store_writable = [&writable] { return writable.load(); };
    h.ready = [&m] { return m.check_ready(); };
    running_endpoint ep(local_settings(), h);

    auto r = probe(ep.address(), "/metrics", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == m.render());
    CHECK(r->body.find("# TYPE lpda_sync_polls_total counter\n") != std::string::npos);

    r = probe(ep.address(), "/healthz", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "ok\n");
    CHECK(check_health(ep.address(), 2s).has_value());

    writable = false;
    r = probe(ep.address(), "/healthz", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 503);
    CHECK(r->body == "store not writable\n");
    const auto unhealthy = check_health(ep.address(), 2s);
    REQUIRE_FALSE(unhealthy.has_value());
    CHECK(unhealthy.error().message == "HTTP 503: store not writable");
    writable = true;
    CHECK(check_health(ep.address(), 2s).has_value());

    r = probe(ep.address(), "/readyz", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 503);
    CHECK(r->body == "configuration not loaded\n");
    m.expect_accounts({"42"});
    r = probe(ep.address(), "/readyz", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 503);
    CHECK(r->body == "no successful poll yet for account(s) 42\n");
    poll_figures p;
    p.account_id = "42";
    p.data_type = "agentActivity";
    p.files_done = 2;
    m.record_poll(p);
    r = probe(ep.address(), "/readyz?verbose=1", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "ok\n");

    r = probe(ep.address(), "/metrics", 2s);
    REQUIRE(r.has_value());
    CHECK(
        r->body.find("lpda_sync_files_downloaded_total{account=\"42\",data_type=\"agentActivity\"} "
                     "2\n") != std::string::npos);

    r = probe(ep.address(), "/nope", 2s);
    REQUIRE(r.has_value());
    CHECK(r->status == 404);
  }

  TEST_CASE("endpoint: content type - HEAD without body - 405 for POST - keep-alive") {
    server_hooks h;
    h.metrics = [] { return std::string("x_total 1\n"); };
    running_endpoint ep(local_settings(), h);

    const auto get = raw_exchange(ep.port(),
                                  "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // Two answers on one connection: the GET with its body, the HEAD with the same length and
    // no body; then the server closes.
    const std::string head_part = "HTTP/1.1 200 OK\r\n";
    CHECK(get.find(head_part) == 0);
    CHECK(get.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
          std::string::npos);
    CHECK(get.find("Content-Length: 10\r\n") != std::string::npos);
    const auto second = get.find(head_part, 1);
    REQUIRE(second != std::string::npos);
    CHECK(get.substr(0, second).size() > 10);
    CHECK(get.substr(second - 10, 10) == "x_total 1\n");
    const auto tail = get.substr(second);
    CHECK(tail.find("Content-Length: 10\r\n") != std::string::npos);
    CHECK(tail.size() == tail.find("\r\n\r\n") + 4);  // nothing after the HEAD answer's header

    const auto post = raw_exchange(ep.port(),
                                   "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK(post.find("HTTP/1.1 405 Method Not Allowed\r\n") == 0);
    CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  }

  TEST_CASE("endpoint: a request with a body or oversized headers gets 400 and is closed") {
    server_settings s = local_settings();
    s.header_limit = 1024;
    running_endpoint ep(s, {});
    const auto body = raw_exchange(ep.port(),
                                   "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 5\r\n\r\nhello");
    CHECK(body.find("HTTP/1.1 400 Bad Request\r\n") == 0);
    const auto big = raw_exchange(ep.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                                 std::string(4000, 'a') + "\r\n\r\n");
    CHECK(big.find("HTTP/1.1 400 Bad Request\r\n") == 0);
    const auto junk = raw_exchange(ep.port(), "NOT HTTP AT ALL\r\n\r\n");
    CHECK(junk.find("HTTP/1.1 400 Bad Request\r\n") == 0);
  }

  TEST_CASE("endpoint: a silent or slow client is disconnected after io_timeout") {
    running_endpoint ep(local_settings(), {});  // io_timeout 300 ms
    const auto t0 = std::chrono::steady_clock::now();
    // Half a request line, then nothing: the server must give up on its own.
    const auto got = raw_exchange(ep.port(), "GET /hea");
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(got.empty());
    CHECK(waited >= 250ms);
    CHECK(waited < 2500ms);
    // It still serves others afterwards.
    CHECK(check_health(ep.address(), 2s).has_value());
  }

  TEST_CASE("endpoint: connections beyond max_connections are closed at once") {
    server_settings s = local_settings();
    s.max_connections = 1;
    s.io_timeout = 2s;
    running_endpoint ep(s, {});
    asio::io_context io;
    tcp::socket holder(io);
    holder.connect({asio::ip::make_address("127.0.0.1"), ep.port()});
    asio::write(holder, asio::buffer(std::string("GET /he")));  // occupies the one slot
    std::this_thread::sleep_for(100ms);
    auto r = probe(ep.address(), "/healthz", 1s);
    CHECK_FALSE(r.has_value());
    holder.close();
    // The slot frees once the server has seen the close; poll for it rather than guess a delay.
    for (int i = 0; i < 50; ++i) {
      r = probe(ep.address(), "/healthz", 1s);
      if (r) break;
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
  }

  TEST_CASE("stop closes open connections so the event loop runs out of work") {
    asio::io_context io;
    server_settings s = local_settings();
    s.io_timeout = 30s;  // only stop() can end the connection in time
    auto e = server::start(io.get_executor(), s, {});
    REQUIRE(e.has_value());
    std::unique_ptr<server> ep = std::move(*e);
    const auto port = ep->port();
    std::thread loop([&io] { io.run(); });

    asio::io_context client_io;
    tcp::socket sock(client_io);
    sock.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(sock, asio::buffer(std::string("GET /heal")));
    std::this_thread::sleep_for(100ms);  // the server is now waiting for the rest

    const auto t0 = std::chrono::steady_clock::now();
    asio::post(io, [&ep] { ep->stop(); });
    loop.join();  // returns only when the accept loop and the connection have ended
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    std::array<char, 16> buf{};
    boost::system::error_code ec;
    sock.read_some(asio::buffer(buf), ec);
    CHECK(ec);  // closed by the server
    ep.reset();
  }

  TEST_CASE("endpoint start errors: bad address and port in use") {
    asio::io_context io;
    server_settings s;
    s.listen = "no-port-here";
    auto e = server::start(io.get_executor(), s, {});
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == lpda::make_error_code(lpda::errc::config_invalid));
    CHECK(e.error().message.find("no-port-here") != std::string::npos);

    s.listen = "127.0.0.1:0";
    auto first = server::start(io.get_executor(), s, {});
    REQUIRE(first.has_value());
    s.listen = "127.0.0.1:" + std::to_string((*first)->port());
    auto second = server::start(io.get_executor(), s, {});
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code == lpda::make_error_code(lpda::errc::network));
    CHECK(second.error().message.find(s.listen) != std::string::npos);
    CHECK((*first)->address() == s.listen);
  }

  TEST_CASE("endpoint on IPv6 loopback and on a host name") {
    asio::io_context probe_io;
    boost::system::error_code ec;
    tcp::acceptor v6(probe_io);
    v6.open(tcp::v6(), ec);
    if (!ec) v6.bind({asio::ip::make_address("::1"), 0}, ec);
    if (ec) {
      MESSAGE("skipped the IPv6 case: ::1 is not available here (" << ec.message() << ")");
    } else {
      v6.close();
      server_settings s = local_settings();
      s.listen = "[::1]:0";
      running_endpoint ep(s, {});
      CHECK(check_health("[::1]:" + std::to_string(ep.port()), 2s).has_value());
    }
    server_settings s = local_settings();
    s.listen = "localhost:0";
    running_endpoint ep(s, {});
    CHECK(ep.port() != 0);
    // A wildcard listen value is probed on loopback.
    server_settings any = local_settings();
    any.listen = "0.0.0.0:0";
    running_endpoint all(any, {});
    CHECK(check_health("0.0.0.0:" + std::to_string(all.port()), 2s).has_value());
  }

  TEST_CASE("check_health fails when nothing listens or the server does not answer in time") {
    // A port that was just free: bind, note it, close.
    std::uint16_t port = 0;
    {
      asio::io_context io;
      tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
      port = a.local_endpoint().port();
    }
    const auto refused = check_health("127.0.0.1:" + std::to_string(port), 1s);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == lpda::make_error_code(lpda::errc::network));
    auto r = probe("127.0.0.1:" + std::to_string(port), "/healthz", 1s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == lpda::make_error_code(lpda::errc::network));
    CHECK_FALSE(check_health("not an address", 1s).has_value());

    // Accepts but never answers: the timeout decides.
    asio::io_context io;
    tcp::acceptor mute(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto t0 = std::chrono::steady_clock::now();
    r = probe("127.0.0.1:" + std::to_string(mute.local_endpoint().port()), "/healthz", 300ms);
    const auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == lpda::make_error_code(lpda::errc::timeout));
    CHECK(waited < 2s);
  }

  TEST_CASE("the /metrics output of every family passes promtool check metrics") {
    const auto which = lpda::test::run_command("command -v promtool");
    if (which.status != 0) {
      MESSAGE(
          "SKIPPED: promtool not found (Debian package prometheus; scripts/install-deps "
          "installs it)");
      return;
    }
    std::int64_t now_ms = 1'700'000'000'000;
    daemon_metrics m([&] { return now_ms; });
    // Every family gets series, with label values that need escaping.
    poll_figures p;
    p.account_id = "acc\"1\\x\ny";
    p.data_type = "agentActivity";
    p.files_done = 2;
    p.files_failed = 1;
    p.files_quarantined = 1;
    p.events_read = 10;
    p.events_inserted = 7;
    p.bytes_downloaded = 12345;
    p.watermark_after_ms = now_ms - 3'600'000;
    m.record_poll(p);
    lpda::http::request_event ev;
    ev.status = 503;
    ev.retrying = true;
    m.record_http(ev);
    lpda::http::request_event t;
    t.error = lpda::errc::timeout;
    m.record_http(t);
    m.observe_store_transaction(std::chrono::milliseconds(12));

    server_hooks h;
    h.metrics = [&m] { return m.render(); };
    running_endpoint ep(local_settings(), h);
    auto r = probe(ep.address(), "/metrics", 2s);
    REQUIRE(r.has_value());
    REQUIRE(r->status == 200);
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "metrics.txt", r->body);
    const auto check = lpda::test::run_command("promtool check metrics < '" +
                                               (dir / "metrics.txt").string() + "'");
    INFO("promtool stdout: " << check.out);
    INFO("promtool stderr: " << check.err);
    CHECK(check.status == 0);
    CHECK(check.err.empty());

    // promtool is not lenient: a counter without _total fails, so the check above can fail.
    lpda::test::write_file(dir / "bad.txt",
                           "# HELP x_seconds X.\n# TYPE x_seconds counter\n"
                           "x_seconds 1\n");
    const auto bad =
        lpda::test::run_command("promtool check metrics < '" + (dir / "bad.txt").string() + "'");
    CHECK(bad.status != 0);
  }
}
