// The http client's observer reports each attempt to the metrics, against the scripted test
// server on 127.0.0.1.
#include "lpda/http/client.hpp"
#include "lpda/metrics/daemon_metrics.hpp"

#include "test_server.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace lpda::http;
using namespace std::chrono_literals;
using lpda::errc;
using lpda::test::http::received_request;
using lpda::test::http::reply;
using lpda::test::http::server_options;
using lpda::test::http::test_server;

namespace {

// A copy of an event whose string views outlive the call.
struct seen {
  std::string method;
  std::string host;
  unsigned status = 0;
  std::optional<errc> error;
  int attempt = 0;
  bool retrying = false;
  std::chrono::milliseconds delay{0};
};

asio::awaitable<void> send_into(client* c, request req,
                                std::optional<lpda::result<response>>* out) {
  *out = co_await c->send(std::move(req), nullptr);
}

lpda::result<response> send(asio::io_context& io, client& c, std::string url) {
  std::optional<lpda::result<response>> out;
  request req;
  req.url = std::move(url);
  asio::co_spawn(io, send_into(&c, std::move(req), &out), asio::detached);
  io.restart();
  io.run();
  REQUIRE(out.has_value());
  return std::move(*out);
}

client_settings fast() {
  client_settings s;
  s.connect_timeout = 2s;
  s.io_timeout = 2s;
  s.request_timeout = 5s;
  return s;
}

retry_settings quick_retry() {
  retry_settings r;
  r.max_attempts = 3;
  r.delays = {5ms, 7ms};
  r.throttle_min = 10ms;
  r.jitter = 0ms;
  return r;
}

struct recorder {
  std::vector<seen> events;
  lpda::metrics::daemon_metrics* metrics = nullptr;
  void operator()(const request_event& e) {
    events.push_back({std::string(e.method), std::string(e.host), e.status, e.error, e.attempt,
                      e.retrying, e.retry_delay});
    if (metrics != nullptr) metrics->record_http(e);
  }
};

}  // namespace

TEST_SUITE("integration_metrics") {
  TEST_CASE("observer: 503 then 429 then 200 gives three attempts - two retried") {
    test_server srv({}, [](const received_request&, std::size_t i) {
      reply r;
      if (i == 0) r.status = 503;
      if (i == 1) {
        r.status = 429;
        r.headers = {{"Retry-After", "0"}};
      }
      if (i == 2) r.body = "done";
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast(), quick_retry(), lpda::system_now_ms, [] { return 0.0; });
    lpda::metrics::daemon_metrics m;
    recorder rec;
    rec.metrics = &m;
    c.set_observer(std::ref(rec));
    auto r = send(io, c, "http://127.0.0.1:" + std::to_string(srv.port()) + "/x");
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->attempts == 3);
    REQUIRE(rec.events.size() == 3);
    CHECK(rec.events[0].status == 503);
    CHECK(rec.events[0].attempt == 1);
    CHECK(rec.events[0].retrying);
    CHECK(rec.events[0].delay == 5ms);
    CHECK(rec.events[1].status == 429);
    CHECK(rec.events[1].attempt == 2);
    CHECK(rec.events[1].retrying);
    CHECK(rec.events[1].delay == 10ms);  // Retry-After 0 → throttle_min
    CHECK(rec.events[2].status == 200);
    CHECK(rec.events[2].attempt == 3);
    CHECK_FALSE(rec.events[2].retrying);
    for (const auto& e : rec.events) {
      CHECK(e.method == "GET");
      CHECK(e.host == "127.0.0.1");
      CHECK_FALSE(e.error.has_value());
    }
    const auto text = m.render();
    CHECK(text.find("lpda_sync_http_responses_total{code=\"200\"} 1\n") != std::string::npos);
    CHECK(text.find("lpda_sync_http_responses_total{code=\"429\"} 1\n") != std::string::npos);
    CHECK(text.find("lpda_sync_http_responses_total{code=\"503\"} 1\n") != std::string::npos);
    CHECK(text.find("lpda_sync_http_retries_total{reason=\"server_error\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_http_retries_total{reason=\"throttled\"} 1\n") != std::string::npos);
  }

  TEST_CASE("observer: a redirect hop is an attempt but not a retry - a final 404 is reported") {
    test_server srv({}, [](const received_request& q, std::size_t) {
      reply r;
      if (q.target == "/old") {
        r.status = 302;
        r.headers = {{"Location", "/new"}};
      } else {
        r.status = 404;
      }
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast(), quick_retry());
    recorder rec;
    c.set_observer(std::ref(rec));
    auto r = send(io, c, "http://127.0.0.1:" + std::to_string(srv.port()) + "/old");
    REQUIRE(r.has_value());
    CHECK(r->status == 404);
    REQUIRE(rec.events.size() == 2);
    CHECK(rec.events[0].status == 302);
    CHECK_FALSE(rec.events[0].retrying);
    CHECK(rec.events[1].status == 404);
    CHECK(rec.events[1].attempt == 1);
    CHECK_FALSE(rec.events[1].retrying);
  }

  TEST_CASE("observer: connections closed at once are network errors - retried until the last") {
    server_options o;
    o.hang_up = true;
    test_server srv(o, [](const received_request&, std::size_t) { return reply{}; });
    asio::io_context io;
    client c(io.get_executor(), fast(), quick_retry());
    lpda::metrics::daemon_metrics m;
    recorder rec;
    rec.metrics = &m;
    c.set_observer(std::ref(rec));
    auto r = send(io, c, "http://127.0.0.1:" + std::to_string(srv.port()) + "/x");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == lpda::make_error_code(errc::network));
    REQUIRE(rec.events.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(rec.events[i].status == 0);
      REQUIRE(rec.events[i].error.has_value());
      CHECK(*rec.events[i].error == errc::network);
      CHECK(rec.events[i].attempt == static_cast<int>(i) + 1);
      CHECK(rec.events[i].retrying == (i < 2));
    }
    const auto text = m.render();
    CHECK(text.find("lpda_sync_http_transport_errors_total{kind=\"network\"} 3\n") !=
          std::string::npos);
    CHECK(text.find("lpda_sync_http_retries_total{reason=\"network\"} 2\n") != std::string::npos);
  }

  TEST_CASE("observer: none installed changes nothing - a refused host has no attempt") {
    test_server srv({}, [](const received_request&, std::size_t) { return reply{}; });
    asio::io_context io;
    client c(io.get_executor(), fast(), quick_retry());
    auto r = send(io, c, "http://127.0.0.1:" + std::to_string(srv.port()) + "/x");
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    recorder rec;
    c.set_observer(std::ref(rec));
    // Plain http to a non-loopback host is refused before any connection.
    auto refused = send(io, c, "http://192.0.2.1/x");
    REQUIRE_FALSE(refused.has_value());
    CHECK(rec.events.empty());
  }
}
