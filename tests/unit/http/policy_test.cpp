#include "lpda/http/hosts.hpp"
#include "lpda/http/retry.hpp"
#include "lpda/http/settings.hpp"
#include "lpda/http/status.hpp"

#include <doctest/doctest.h>

using namespace lpda::http;
using lpda::errc;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_SUITE("http") {
  TEST_CASE("the client's defaults are the config's defaults") {
    // config_test's check_documented_defaults pins the config's: client.io_timeout 60s,
    // connect and TLS 10s, request 5m, 8 downloads, 4 per host; retry 4 attempts, 5/10/15 s,
    // Retry-After cap 5m.
    const client_settings c;
    CHECK(c.io_timeout == 60s);
    CHECK(c.connect_timeout == 10s);
    CHECK(c.tls_handshake_timeout == 10s);
    CHECK(c.request_timeout == 5min);
    CHECK(c.max_concurrent == 8);
    CHECK(c.max_per_host == 4);
    CHECK_FALSE(c.allow_insecure_http);
    const retry_settings r;
    CHECK(r.max_attempts == 4);
    CHECK(r.delays == std::vector<milliseconds>{5s, 10s, 15s});
    CHECK(r.max_retry_after == 5min);
  }

  TEST_CASE("5xx - timeouts and resets wait 5 s - 10 s - 15 s and stop at max_attempts") {
    const retry_settings s;  // defaults: 4 attempts, 5/10/15 s
    for (errc k : {errc::server_error, errc::timeout, errc::network}) {
      CHECK(decide_retry(k, 1, std::nullopt, s, 0.5).delay == 5s);
      CHECK(decide_retry(k, 2, std::nullopt, s, 0.5).delay == 10s);
      CHECK(decide_retry(k, 3, std::nullopt, s, 0.5).delay == 15s);
      CHECK(decide_retry(k, 3, std::nullopt, s, 0.5).retry);
      CHECK_FALSE(decide_retry(k, 4, std::nullopt, s, 0.5).retry);
    }
    retry_settings more = s;
    more.max_attempts = 6;
    CHECK(decide_retry(errc::server_error, 5, std::nullopt, more, 0).delay == 15s);
  }

  TEST_CASE("other errors are not retried") {
    const retry_settings s;
    for (errc k : {errc::auth_failed, errc::client_error, errc::tls, errc::protocol,
                   errc::host_not_allowed, errc::bad_listing})
      CHECK_FALSE(decide_retry(k, 1, std::nullopt, s, 0).retry);
  }

  TEST_CASE("429 waits max(Retry-After or 1 s - minimum) plus jitter - capped") {
    retry_settings s;
    s.jitter = 1000ms;
    CHECK(decide_retry(errc::throttled, 1, std::nullopt, s, 0.0).delay == 1s);
    CHECK(decide_retry(errc::throttled, 1, std::nullopt, s, 0.25).delay == 1250ms);
    CHECK(decide_retry(errc::throttled, 1, milliseconds(0), s, 0.0).delay == 1s);
    CHECK(decide_retry(errc::throttled, 1, milliseconds(7000), s, 0.5).delay == 7500ms);
    CHECK(decide_retry(errc::throttled, 1, milliseconds(3600000), s, 0.5).delay == 5min);
    s.throttle_min = 2s;
    CHECK(decide_retry(errc::throttled, 2, milliseconds(500), s, 0.0).delay == 2s);
    CHECK_FALSE(decide_retry(errc::throttled, 4, milliseconds(500), s, 0.0).retry);
  }

  TEST_CASE("Retry-After as seconds or HTTP date") {
    // 1445412480000 ms = Wed, 21 Oct 2015 07:28:00 GMT (RFC 9110 §10.2.3 example date).
    const std::int64_t at = 1445412480000;
    CHECK(parse_retry_after("120", 0) == milliseconds(120000));
    CHECK(parse_retry_after(" 0 ", 0) == milliseconds(0));
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at - 30000) == milliseconds(30000));
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at + 5000) == milliseconds(0));
    CHECK_FALSE(parse_retry_after("", 0).has_value());
    CHECK_FALSE(parse_retry_after("-5", 0).has_value());
    CHECK_FALSE(parse_retry_after("soon", 0).has_value());
  }

  TEST_CASE("allowed hosts: exact names and *.suffix") {
    const std::vector<std::string> allowed{"va.da.liveperson.net", "*.da.liveperson.net"};
    CHECK(host_allowed("va.da.liveperson.net", allowed));
    CHECK(host_allowed("VA-A.DA.liveperson.net", allowed));
    CHECK(host_allowed("lo.da.liveperson.net.", allowed));
    CHECK_FALSE(host_allowed("da.liveperson.net", {"*.da.liveperson.net"}));
    CHECK_FALSE(host_allowed("evil.example", allowed));
    CHECK_FALSE(host_allowed("da.liveperson.net.evil.example", allowed));
    CHECK_FALSE(host_allowed("xda.liveperson.net", allowed));
    CHECK(host_allowed("[::1]", {"::1"}));
    CHECK_FALSE(host_allowed("", allowed));
  }

  TEST_CASE("loopback hosts") {
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("[::1]"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("va.da.liveperson.net"));
  }

  TEST_CASE("status classification and status_error") {
    CHECK_FALSE(classify_status(200).has_value());
    CHECK_FALSE(classify_status(302).has_value());
    CHECK(classify_status(429) == errc::throttled);
    CHECK(classify_status(401) == errc::auth_failed);
    CHECK(classify_status(403) == errc::auth_failed);
    CHECK(classify_status(404) == errc::client_error);
    CHECK(classify_status(503) == errc::server_error);
    CHECK(classify_status(99) == errc::protocol);
    const auto e = status_error(503, "https://h.example/p?startTime=1&endTime=2", "busy");
    CHECK(e.code == errc::server_error);
    CHECK(e.message == "HTTP 503 from https://h.example/p: busy");
  }
}
