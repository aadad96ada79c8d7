// Socket tests of the HTTP client against the scripted test server on 127.0.0.1.
#include "lpda/core/version.hpp"
#include "lpda/http/client.hpp"

#include "oauth1_check.hpp"
#include "run_awaitable.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace lpda::http;
using namespace lpda::test::http;
using namespace std::chrono_literals;
using lpda::errc;

namespace {

client_settings fast_settings() {
  client_settings s;
  s.connect_timeout = 2s;
  s.tls_handshake_timeout = 2s;
  s.io_timeout = 2s;
  s.request_timeout = 5s;
  return s;
}

retry_settings fast_retry() {
  retry_settings r;
  r.delays = {5ms, 10ms, 15ms};
  r.throttle_min = 10ms;
  r.jitter = 0ms;
  return r;
}

// A GET of `url`; `allowed_hosts` as in `request`.
request get(std::string url, std::vector<std::string> allowed_hosts = {}) {
  request r;
  r.url = std::move(url);
  r.allowed_hosts = std::move(allowed_hosts);
  return r;
}

double no_jitter() {
  return 0.0;
}

std::string url_of(const test_server& s, const std::string& host, const std::string& path,
                   bool tls = false) {
  return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(s.port()) + path;
}

reply ok(std::string body) {
  reply r;
  r.body = std::move(body);
  return r;
}

std::string big_body(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

std::int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

// OAuth 2.0 settings with an explicit token URL (`url` not empty) or, with `csds_url`, a token
// URL derived through the Domain API for `account_id`.
oauth2_settings token_settings(std::string url, std::string id, std::string secret,
                               client_auth_method how = client_auth_method::basic,
                               std::string csds_url = {}, std::string account_id = {}) {
  oauth2_settings s;
  s.token_url = std::move(url);
  s.client_id = std::move(id);
  s.client_secret = std::move(secret);
  s.client_auth = how;
  if (!csds_url.empty()) s.csds_url = std::move(csds_url);
  s.account_id = std::move(account_id);
  return s;
}

struct counting_nonce {
  std::shared_ptr<std::atomic<int>> n = std::make_shared<std::atomic<int>>(0);
  std::string operator()() const { return "nonce" + std::to_string((*n)++); }
};

}  // namespace

TEST_SUITE("integration_http") {
  TEST_CASE("TLS verifies with the test CA - fails with the wrong host name and with no CA") {
    lpda::test::temp_dir dir;
    const auto ca = make_ca("lpda test CA");
    const auto good = make_server_cert(ca, {"localhost"}, {"127.0.0.1"});
    const auto wrong = make_server_cert(ca, {"other.example"}, {});
    lpda::test::write_file(dir / "ca.pem", ca.cert_pem);
    auto hello = [](const received_request&, std::size_t) { return ok("hello over TLS"); };
    test_server good_srv({true, good.cert_pem, good.key_pem, false}, hello);
    test_server wrong_srv({true, wrong.cert_pem, wrong.key_pem, false}, hello);

    asio::io_context io;
    auto settings = fast_settings();
    settings.ca_file = (dir / "ca.pem").string();
    retry_settings once = fast_retry();
    once.max_attempts = 1;
    client c(io.get_executor(), settings, once, lpda::system_now_ms, no_jitter);

    auto r = run(io, c.send(get(url_of(good_srv, "localhost", "/x", true)), nullptr));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "hello over TLS");
    auto by_ip = run(io, c.send(get(url_of(good_srv, "127.0.0.1", "/x", true)), nullptr));
    CHECK(by_ip.has_value());

    auto w = run(io, c.send(get(url_of(wrong_srv, "localhost", "/x", true)), nullptr));
    REQUIRE(w.has_error());
    CHECK(w.error().code == errc::tls);
    CHECK(w.error().message.find("localhost") != std::string::npos);
    CHECK(wrong_srv.requests().empty());

    client system_store(io.get_executor(), fast_settings(), once, lpda::system_now_ms, no_jitter);
    auto n = run(io, system_store.send(get(url_of(good_srv, "localhost", "/x", true)), nullptr));
    REQUIRE(n.has_error());
    CHECK(n.error().code == errc::tls);
    CHECK(n.error().message.find("certificate") != std::string::npos);
    CHECK(good_srv.requests().size() == 2);
  }

  TEST_CASE("a bad ca_file is a configuration error") {
    asio::io_context io;
    auto settings = fast_settings();
    settings.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(client(io.get_executor(), settings, fast_retry()), lpda::error_exception);
  }

  TEST_CASE("a server that never answers the TLS handshake hits the handshake timeout") {
    test_server silent({false, {}, {}, true},
                       [](const received_request&, std::size_t) { return ok(""); });
    asio::io_context io;
    auto settings = fast_settings();
    settings.tls_handshake_timeout = 200ms;
    retry_settings once = fast_retry();
    once.max_attempts = 1;
    client c(io.get_executor(), settings, once, lpda::system_now_ms, no_jitter);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(io, c.send(get(url_of(silent, "localhost", "/", true)), nullptr));
    const auto elapsed = ms_since(t0);
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::timeout);
    CHECK(r.error().message.find("TLS handshake") != std::string::npos);
    CHECK(elapsed >= 150);
    CHECK(elapsed < 1500);
    CHECK(silent.accepts() == 1);
  }

  TEST_CASE("a connection closed during the TLS handshake is a network error and retried") {
    server_options o;
    o.hang_up = true;
    test_server srv(o, [](const received_request&, std::size_t) { return ok(""); });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/", true)), nullptr));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::network);
    CHECK(r.error().message.find("after 4 attempts") != std::string::npos);
    CHECK(srv.accepts() == 4);
  }

  TEST_CASE("429 with Retry-After in seconds - as an HTTP date - or absent - then 200") {
    // The client's clock is fixed so the HTTP date is exactly 1 s ahead of it.
    const std::int64_t now_ms = 1445412479000;  // Wed, 21 Oct 2015 07:27:59 GMT
    struct variant {
      const char* name;
      std::optional<std::string> retry_after;
      std::int64_t expect_ms;
    };
    const variant variants[] = {{"seconds", "1", 1000},
                                {"date", "Wed, 21 Oct 2015 07:28:00 GMT", 1000},
                                {"absent", std::nullopt, 1000}};
    for (const auto& v : variants) {
      CAPTURE(v.name);
      test_server srv({}, [&v](const received_request&, std::size_t i) {
        if (i == 0) {
          reply r;
          r.status = 429;
          if (v.retry_after) r.headers.emplace_back("Retry-After", *v.retry_after);
          return r;
        }
        return ok("after throttle");
      });
      asio::io_context io;
      client c(
          io.get_executor(), fast_settings(), fast_retry(), [now_ms] { return now_ms; }, no_jitter);
      const auto t0 = std::chrono::steady_clock::now();
      auto r = run(io, c.send(get(url_of(srv, "127.0.0.1", "/l")), nullptr));
      const auto elapsed = ms_since(t0);
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->body == "after throttle");
      CHECK(r->attempts == 2);
      CHECK(srv.requests().size() == 2);
      CHECK(elapsed >= v.expect_ms - 20);
      CHECK(elapsed < v.expect_ms + 900);
    }
  }

  TEST_CASE("429 waits are capped by max_retry_after") {
    test_server srv({}, [](const received_request&, std::size_t i) {
      if (i == 0) {
        reply r;
        r.status = 429;
        r.headers.emplace_back("Retry-After", "3600");
        return r;
      }
      return ok("ok");
    });
    asio::io_context io;
    auto retry = fast_retry();
    retry.max_retry_after = 50ms;
    client c(io.get_executor(), fast_settings(), retry, lpda::system_now_ms, no_jitter);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run(io, c.send(get(url_of(srv, "127.0.0.1", "/")), nullptr));
    CHECK(ms_since(t0) < 800);
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
  }

  TEST_CASE("503 three times then 200 and with fewer attempts the 503 is returned") {
    auto script = [](const received_request&, std::size_t i) {
      if (i < 3) {
        reply r;
        r.status = 503;
        r.body = "busy";
        return r;
      }
      return ok("finally");
    };
    {
      test_server srv({}, script);
      asio::io_context io;
      client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
      auto r = run(io, c.send(get(url_of(srv, "localhost", "/f")), nullptr));
      REQUIRE(r.has_value());
      CHECK(r->status == 200);
      CHECK(r->body == "finally");
      CHECK(r->attempts == 4);
      CHECK(srv.requests().size() == 4);
    }
    {
      test_server srv({}, script);
      asio::io_context io;
      auto retry = fast_retry();
      retry.max_attempts = 3;
      client c(io.get_executor(), fast_settings(), retry, lpda::system_now_ms, no_jitter);
      auto r = run(io, c.send(get(url_of(srv, "localhost", "/f")), nullptr));
      REQUIRE(r.has_value());
      CHECK(r->status == 503);
      CHECK(r->attempts == 3);
      CHECK(srv.requests().size() == 3);
      lpda::test::temp_dir dir;
      test_server srv2({}, script);
      auto d = run(io, c.download(get(url_of(srv2, "localhost", "/f")), dir / "spool", nullptr));
      REQUIRE(d.has_error());
      CHECK(d.error().code == errc::server_error);
      CHECK(d.error().message.find("503") != std::string::npos);
    }
  }

  TEST_CASE("404 and 401 are not retried") {
    test_server srv({}, [](const received_request& rq, std::size_t) {
      reply r;
      r.status = rq.target == "/auth" ? 401 : 404;
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto a = run(io, c.send(get(url_of(srv, "localhost", "/missing")), nullptr));
    REQUIRE(a.has_value());
    CHECK(a->status == 404);
    CHECK(a->attempts == 1);
    auto b = run(io, c.send(get(url_of(srv, "localhost", "/auth")), nullptr));
    CHECK(b->status == 401);
    CHECK(srv.requests().size() == 2);
  }

  TEST_CASE("a connection cut mid-body is retried and the download is whole") {
    const std::string body = big_body(100000);
    test_server srv({}, [&body](const received_request&, std::size_t i) {
      reply r = ok(body);
      if (i == 0) {
        r.what = reply::fault::cut;
        r.fault_at = 40000;
      }
      return r;
    });
    lpda::test::temp_dir dir;
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/file.gz")), dir / "spool", nullptr));
    REQUIRE(d.has_value());
    CHECK(d->attempts == 2);
    CHECK(d->bytes == body.size());
    CHECK(lpda::test::read_file(d->path) == body);
    CHECK(srv.accepts() == 2);
  }

  TEST_CASE("spool files are created 0600 whatever the umask, with or without a transport layer") {
    const std::string body = big_body(3000);
    test_server srv({}, [&body](const received_request& rq, std::size_t) {
      reply r = ok(rq.target == "/layered" ? lpda::test::gzip(body) : body);
      if (rq.target == "/layered") r.headers.push_back({"Content-Encoding", "gzip"});
      return r;
    });
    lpda::test::temp_dir dir;
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    const mode_t old_mask = ::umask(022);
    for (const std::string path : {"/plain", "/layered"}) {
      CAPTURE(path);
      const auto spool = dir / ("spool" + path.substr(1));
      // A file left behind with a wider mode is replaced by a private one.
      lpda::test::write_file(spool, "old");
      std::filesystem::permissions(spool, std::filesystem::perms(0644));
      auto d = run(io, c.download(get(url_of(srv, "localhost", path)), spool, nullptr));
      REQUIRE(d.has_value());
      CHECK(lpda::test::read_file(d->path) == body);
      struct stat st {};
      REQUIRE(::stat(spool.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
    }
    ::umask(old_mask);
  }

  TEST_CASE("a cut body is never a success: truncation error after the last attempt") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok(big_body(5000));
      r.what = reply::fault::cut;
      r.fault_at = 100;
      return r;
    });
    lpda::test::temp_dir dir;
    asio::io_context io;
    auto retry = fast_retry();
    retry.max_attempts = 2;
    client c(io.get_executor(), fast_settings(), retry, lpda::system_now_ms, no_jitter);
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/f")), dir / "spool", nullptr));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::network);
    CHECK(d.error().message.find("before the end") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "spool"));
    CHECK(srv.requests().size() == 2);
    auto s = run(io, c.send(get(url_of(srv, "localhost", "/f")), nullptr));
    REQUIRE(s.has_error());
    CHECK(s.error().code == errc::network);
  }

  TEST_CASE("a stall mid-body hits the I/O timeout and a dripping body hits the request deadline") {
    test_server srv({}, [](const received_request& rq, std::size_t) {
      reply r = ok(big_body(2000));
      if (rq.target == "/stall") {
        r.what = reply::fault::stall;
        r.fault_at = 10;
        r.fault_for = 3s;
      } else {
        r.what = reply::fault::drip;
        r.fault_for = 20ms;
      }
      return r;
    });
    asio::io_context io;
    auto settings = fast_settings();
    settings.io_timeout = 200ms;
    settings.request_timeout = 400ms;
    retry_settings once = fast_retry();
    once.max_attempts = 1;
    client c(io.get_executor(), settings, once, lpda::system_now_ms, no_jitter);
    auto t0 = std::chrono::steady_clock::now();
    auto s = run(io, c.send(get(url_of(srv, "localhost", "/stall")), nullptr));
    REQUIRE(s.has_error());
    CHECK(s.error().code == errc::timeout);
    CHECK(ms_since(t0) < 1500);
    t0 = std::chrono::steady_clock::now();
    auto d = run(io, c.send(get(url_of(srv, "localhost", "/drip")), nullptr));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::timeout);
    const auto elapsed = ms_since(t0);
    CHECK(elapsed >= 350);
    CHECK(elapsed < 1500);
  }

  TEST_CASE("a body that keeps arriving without pause is cut off by the request deadline") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok(std::string(64 * 1024, 'x'));
      r.headers.emplace_back("Content-Length", "1099511627776");  // 1 TiB announced
      r.what = reply::fault::endless;
      return r;
    });
    asio::io_context io;
    auto settings = fast_settings();
    settings.io_timeout = 2s;  // never silent: only the whole-request deadline can end it
    settings.request_timeout = 300ms;
    settings.max_download_bytes = 1ull << 40;
    retry_settings once = fast_retry();
    once.max_attempts = 1;
    client c(io.get_executor(), settings, once, lpda::system_now_ms, no_jitter);
    lpda::test::temp_dir dir;
    const auto t0 = std::chrono::steady_clock::now();
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/endless")), dir / "spool", nullptr));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::timeout);
    CHECK(ms_since(t0) >= 250);
    CHECK(ms_since(t0) < 1500);
    CHECK_FALSE(std::filesystem::exists(dir / "spool"));  // a failed download leaves no spool
  }

  TEST_CASE("timeouts are retried with the configured delays") {
    test_server srv({}, [](const received_request&, std::size_t i) {
      reply r = ok("late");
      if (i == 0) r.delay = 1s;
      return r;
    });
    asio::io_context io;
    auto settings = fast_settings();
    settings.io_timeout = 150ms;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr));
    REQUIRE(r.has_value());
    CHECK(r->body == "late");
    CHECK(r->attempts == 2);
  }

  TEST_CASE("Content-Encoding gzip over a gzip file yields the file's own gzip bytes") {
    const std::string file_bytes =
        lpda::test::gzip(R"({"metaData":{},"recordCollection":[]})" + big_body(3000));
    const std::string wire = lpda::test::gzip(file_bytes);
    test_server srv({}, [&wire](const received_request&, std::size_t) {
      reply r = ok(wire);
      r.headers.emplace_back("Content-Encoding", "gzip");
      return r;
    });
    lpda::test::temp_dir dir;
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/a.gz")), dir / "spool", nullptr));
    REQUIRE(d.has_value());
    CHECK(d->bytes == file_bytes.size());
    CHECK(lpda::test::read_file(dir / "spool") == file_bytes);
    CHECK_FALSE(std::filesystem::exists(dir / "spool.transport"));
    auto s = run(io, c.send(get(url_of(srv, "localhost", "/a.gz")), nullptr));
    REQUIRE(s.has_value());
    CHECK(s->body == file_bytes);
    const auto rq = srv.requests();
    REQUIRE(rq.size() == 2);
    CHECK_FALSE(rq[0].has_header("Accept-Encoding"));
    CHECK(rq[0].header("User-Agent") == std::string(lpda::user_agent()));
  }

  TEST_CASE("a corrupt Content-Encoding gzip layer is an error and leaves no spool") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok(lpda::test::gzip("payload").substr(0, 12));
      r.headers.emplace_back("Content-Encoding", "gzip");
      return r;
    });
    lpda::test::temp_dir dir;
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/a.gz")), dir / "spool", nullptr));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::protocol);
    CHECK_FALSE(std::filesystem::exists(dir / "spool"));
    CHECK_FALSE(std::filesystem::exists(dir / "spool.transport"));
    test_server br({}, [](const received_request&, std::size_t) {
      reply r = ok("x");
      r.headers.emplace_back("Content-Encoding", "br");
      return r;
    });
    auto b = run(io, c.send(get(url_of(br, "localhost", "/")), nullptr));
    REQUIRE(b.has_error());
    CHECK(b.error().code == errc::protocol);
  }

  TEST_CASE("a redirect to another allowed host is signed anew for its own URL") {
    const oauth1_credentials creds{"app-key", "app-secret", "tok", "tok-secret"};
    test_server b({}, [](const received_request&, std::size_t) { return ok("from b"); });
    const std::string b_url = url_of(b, "127.0.0.1", "/files/f.gz?sig=x%2Cy&v=1");
    test_server a({}, [&b_url](const received_request&, std::size_t) {
      reply r;
      r.status = 302;
      r.headers.emplace_back("Location", b_url);
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth1_auth auth(oauth1_signer(creds, lpda::system_now_ms, counting_nonce{}));
    const request req =
        get(url_of(a, "localhost", "/list?startTime=1&endTime=2"), {"localhost", "127.0.0.1"});
    auto r = run(io, c.send(req, &auth));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "from b");
    CHECK(r->url == b_url);
    const auto ra = a.requests();
    const auto rb = b.requests();
    REQUIRE(ra.size() == 1);
    REQUIRE(rb.size() == 1);
    const auto ha = ra[0].header("Authorization");
    const auto hb = rb[0].header("Authorization");
    CHECK(verify_oauth1(ha, "GET", "http://localhost:" + std::to_string(a.port()) + "/list",
                        {{"startTime", "1"}, {"endTime", "2"}}, "app-secret", "tok-secret"));
    CHECK(verify_oauth1(hb, "GET", "http://127.0.0.1:" + std::to_string(b.port()) + "/files/f.gz",
                        {{"sig", "x,y"}, {"v", "1"}}, "app-secret", "tok-secret"));
    CHECK_FALSE(verify_oauth1(hb, "GET", "http://localhost:" + std::to_string(a.port()) + "/list",
                              {{"startTime", "1"}, {"endTime", "2"}}, "app-secret", "tok-secret"));
    CHECK(oauth_fields(ha)["oauth_nonce"] == "nonce0");
    CHECK(oauth_fields(hb)["oauth_nonce"] == "nonce1");
    CHECK(ha.find("app-secret") == std::string::npos);
  }

  TEST_CASE("every retry attempt carries a fresh nonce") {
    test_server srv({}, [](const received_request&, std::size_t i) {
      reply r = ok("x");
      if (i < 2) r.status = 500;
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth1_auth auth(oauth1_signer({"k", "s", "t", "ts"}, lpda::system_now_ms, counting_nonce{}));
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/")), &auth));
    REQUIRE(r.has_value());
    const auto rq = srv.requests();
    REQUIRE(rq.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
      CHECK(oauth_fields(rq[i].header("Authorization"))["oauth_nonce"] ==
            "nonce" + std::to_string(i));
  }

  TEST_CASE("a redirect or URL to a foreign host is refused and gets no Authorization") {
    test_server foreign({}, [](const received_request&, std::size_t) { return ok("secret sink"); });
    const std::string foreign_url = url_of(foreign, "127.0.0.1", "/steal");
    test_server a({}, [&foreign_url](const received_request&, std::size_t) {
      reply r;
      r.status = 307;
      r.headers.emplace_back("Location", foreign_url);
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth1_auth auth(oauth1_signer({"k", "s", "t", "ts"}));
    auto r = run(
        io, c.send(get(url_of(a, "localhost", "/x"), {"localhost", "*.da.liveperson.net"}), &auth));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::host_not_allowed);
    CHECK(r.error().message.find("127.0.0.1") != std::string::npos);
    CHECK(a.requests().size() == 1);
    CHECK(foreign.accepts() == 0);
    auto direct = run(io, c.send(get(foreign_url, {"localhost"}), &auth));
    REQUIRE(direct.has_error());
    CHECK(direct.error().code == errc::host_not_allowed);
    CHECK(foreign.accepts() == 0);
  }

  TEST_CASE("more than 5 redirects is an error") {
    std::string self;
    test_server srv({}, [&self](const received_request&, std::size_t i) {
      reply r;
      r.status = 302;
      r.headers.emplace_back("Location", "/hop" + std::to_string(i + 1));
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/hop0")), nullptr));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::protocol);
    CHECK(srv.requests().size() == 6);
    CHECK(srv.requests().back().target == "/hop5");
  }

  TEST_CASE("20 sequential requests reuse one connection") {
    test_server srv(
        {}, [](const received_request& rq, std::size_t) { return ok("echo " + rq.target); });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    for (int i = 0; i < 20; ++i) {
      auto r = run(io, c.send(get(url_of(srv, "localhost", "/r" + std::to_string(i))), nullptr));
      REQUIRE(r.has_value());
      CHECK(r->body == "echo /r" + std::to_string(i));
    }
    CHECK(srv.accepts() == 1);
    CHECK(srv.requests().size() == 20);
    CHECK(c.stats().connections_opened == 1);
  }

  TEST_CASE("an idle pooled connection past its idle timeout is not reused") {
    test_server srv({}, [](const received_request&, std::size_t) { return ok("x"); });
    asio::io_context io;
    auto settings = fast_settings();
    settings.pool_idle_timeout = 50ms;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    CHECK(run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr)).has_value());
    std::this_thread::sleep_for(100ms);
    CHECK(run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr)).has_value());
    CHECK(srv.accepts() == 2);
  }

  TEST_CASE("a pooled connection the server closed is replaced without costing an attempt") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok("x");
      r.drop_after = true;  // keep-alive promised, then closed
      return r;
    });
    asio::io_context io;
    retry_settings once = fast_retry();
    once.max_attempts = 1;
    client c(io.get_executor(), fast_settings(), once, lpda::system_now_ms, no_jitter);
    CHECK(run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr)).has_value());
    std::this_thread::sleep_for(50ms);
    auto second = run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr));
    REQUIRE(second.has_value());
    CHECK(second->attempts == 1);
    CHECK(srv.accepts() == 2);
    CHECK(srv.requests().size() == 2);
  }

  TEST_CASE("a response with Connection: close is not pooled") {
    test_server closing({}, [](const received_request&, std::size_t) {
      reply r = ok("bye");
      r.close_after = true;
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    CHECK(run(io, c.send(get(url_of(closing, "localhost", "/")), nullptr)).has_value());
    CHECK(run(io, c.send(get(url_of(closing, "localhost", "/")), nullptr)).has_value());
    CHECK(closing.accepts() == 2);
  }

  TEST_CASE("concurrency is bounded per host") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok("slow");
      r.delay = 100ms;
      return r;
    });
    asio::io_context io;
    auto settings = fast_settings();
    settings.max_per_host = 2;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    std::vector<std::optional<lpda::result<response>>> out(6);
    for (auto& o : out)
      asio::co_spawn(io, store_result(c.send(get(url_of(srv, "localhost", "/")), nullptr), &o),
                     asio::detached);
    io.run();
    for (auto& o : out) {
      REQUIRE(o.has_value());
      CHECK(o->has_value());
    }
    CHECK(srv.max_in_flight() == 2);
    CHECK(srv.requests().size() == 6);
  }

  TEST_CASE("concurrency is bounded globally across hosts") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r = ok("slow");
      r.delay = 60ms;
      return r;
    });
    asio::io_context io;
    auto settings = fast_settings();
    settings.max_concurrent = 1;
    settings.max_per_host = 4;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    std::vector<std::optional<lpda::result<response>>> out(4);
    for (std::size_t i = 0; i < out.size(); ++i)
      asio::co_spawn(
          io,
          store_result(c.send(get(url_of(srv, i % 2 ? "localhost" : "127.0.0.1", "/")), nullptr),
                       &out[i]),
          asio::detached);
    io.run();
    for (auto& o : out) {
      REQUIRE(o.has_value());
      CHECK(o->has_value());
    }
    CHECK(srv.max_in_flight() == 1);
    CHECK(srv.requests().size() == 4);
  }

  TEST_CASE("plain http to a non-loopback host is refused unless allowed") {
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get("http://va.da.liveperson.invalid/x"), nullptr));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::protocol);
    CHECK(r.error().message.find("allow_insecure_http") != std::string::npos);
  }

  TEST_CASE("plain http to loopback written as 127.1 is sent as the config accepts it") {
    // "127.1" is 127.0.0.1 to the resolver, and `validate-config` accepts it as loopback
    // (config_test "127.1 is loopback"): the request must reach the server, not be refused.
    test_server srv({}, [](const received_request&, std::size_t) { return ok("here"); });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get(url_of(srv, "127.1", "/x")), nullptr));
    REQUIRE(r.has_value());
    CHECK(r->body == "here");
    CHECK(srv.requests().size() == 1);
  }

  TEST_CASE("an in-memory body over body_limit is refused") {
    test_server srv({}, [](const received_request&, std::size_t) { return ok(big_body(5000)); });
    asio::io_context io;
    auto settings = fast_settings();
    settings.body_limit = 1000;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/")), nullptr));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::protocol);
    CHECK(srv.requests().size() == 1);
  }

  TEST_CASE("OAuth 2.0 client credentials: token cached - refreshed once on 401") {
    std::atomic<int> tokens{0};
    test_server srv({}, [&tokens](const received_request& rq, std::size_t) {
      if (rq.target == "/token") {
        const int n = ++tokens;
        reply r = ok(R"({"access_token":"tok)" + std::to_string(n) +
                     R"(","token_type":"Bearer","expires_in":3600})");
        r.headers.emplace_back("Content-Type", "application/json");
        if (rq.method != "POST" || rq.body != "grant_type=client_credentials" ||
            rq.header("Authorization").rfind("Basic ", 0) != 0)
          r.status = 400;
        return r;
      }
      reply r = ok("data for " + rq.header("Authorization"));
      if (rq.header("Authorization") != "Bearer tok2") r.status = 401;
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth2_client_credentials auth(
        c, token_settings(url_of(srv, "localhost", "/token"), "id", "the-secret"));
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/data")), &auth));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->body == "data for Bearer tok2");
    CHECK(auth.token_requests() == 2);
    auto again = run(io, c.send(get(url_of(srv, "localhost", "/data")), &auth));
    CHECK(again->status == 200);
    CHECK(auth.token_requests() == 2);
    // A second 401 in one request is final.
    tokens = 10;
    auth.on_unauthorized();
    auto denied = run(io, c.send(get(url_of(srv, "localhost", "/data")), &auth));
    CHECK(denied->status == 401);
    CHECK(auth.token_requests() == 4);
  }

  TEST_CASE("OAuth 2.0 token is reused until shortly before expires_in") {
    std::atomic<int> tokens{0};
    test_server srv({}, [&tokens](const received_request& rq, std::size_t) {
      if (rq.target == "/token")
        return ok(R"({"access_token":"t)" + std::to_string(++tokens) + R"(","expires_in":"120"})");
      return ok(rq.header("Authorization"));
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    std::int64_t now = 1'000'000;
    oauth2_client_credentials auth(c, token_settings(url_of(srv, "localhost", "/token"), "id", "s"),
                                   [&now] { return now; });
    auto fetch = [&] { return run(io, c.send(get(url_of(srv, "localhost", "/d")), &auth))->body; };
    CHECK(fetch() == "Bearer t1");
    now += 59'000;  // 120 s token, 60 s margin: still good
    CHECK(fetch() == "Bearer t1");
    now += 2'000;
    CHECK(fetch() == "Bearer t2");
    CHECK(auth.token_requests() == 2);
    const auto rq = srv.requests();
    CHECK(rq[0].body == "grant_type=client_credentials");
    CHECK(rq[0].header("Content-Type") == "application/x-www-form-urlencoded");
  }

  TEST_CASE("a refused token request is an auth error without the secret") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r;
      r.status = 401;
      r.body = R"({"error":"invalid_client"})";
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth2_client_credentials auth(
        c, token_settings(url_of(srv, "localhost", "/token"), "id", "very-secret-value"));
    auto r = run(io, c.send(get(url_of(srv, "localhost", "/d")), &auth));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().message.find("very-secret-value") == std::string::npos);
    CHECK(srv.requests().size() == 1);
  }

  TEST_CASE("a download over max_download_bytes is refused") {
    test_server srv({}, [](const received_request&, std::size_t) { return ok(big_body(50000)); });
    lpda::test::temp_dir dir;
    asio::io_context io;
    auto settings = fast_settings();
    settings.max_download_bytes = 10000;
    client c(io.get_executor(), settings, fast_retry(), lpda::system_now_ms, no_jitter);
    auto d = run(io, c.download(get(url_of(srv, "localhost", "/big")), dir / "spool", nullptr));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::protocol);
    CHECK(srv.requests().size() == 1);
    CHECK_FALSE(std::filesystem::exists(dir / "spool"));
  }

  TEST_CASE("concurrent requests share one OAuth 2.0 token request") {
    std::atomic<int> tokens{0};
    test_server srv({}, [&tokens](const received_request& rq, std::size_t) {
      if (rq.target == "/token") {
        reply r =
            ok(R"({"access_token":"t)" + std::to_string(++tokens) + R"(","expires_in":3600})");
        r.delay = 50ms;
        return r;
      }
      return ok(rq.header("Authorization"));
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth2_client_credentials auth(c,
                                   token_settings(url_of(srv, "localhost", "/token"), "id", "s"));
    std::vector<std::optional<lpda::result<response>>> out(5);
    for (auto& o : out)
      asio::co_spawn(io, store_result(c.send(get(url_of(srv, "localhost", "/d")), &auth), &o),
                     asio::detached);
    io.run();
    for (auto& o : out) {
      REQUIRE(o.has_value());
      REQUIRE(o->has_value());
      CHECK((*o)->body == "Bearer t1");
    }
    CHECK(auth.token_requests() == 1);
    CHECK(tokens == 1);
  }

  TEST_CASE("LivePerson's flow: Domain API once, then the exact sentinel token request") {
    std::atomic<int> tokens{0};
    std::uint16_t port = 0;
    test_server srv({}, [&tokens, &port](const received_request& rq, std::size_t) {
      if (rq.target.rfind("/api/account/", 0) == 0)
        return ok(R"({"service":"sentinel","account":"4711","baseURI":"127.0.0.1:)" +
                  std::to_string(port) + "\"}");
      if (rq.target.rfind("/sentinel/", 0) == 0)
        return ok(R"({"access_token":"t)" + std::to_string(++tokens) +
                  R"(","token_type":"Bearer","expires_in":"120"})");
      return ok(rq.header("Authorization"));
    });
    port = srv.port();
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    std::int64_t now = 1'000'000;
    csds_cache cache;
    std::vector<token_fetch_result> fetches;
    auto s = token_settings("", "the-id", "the secret&", client_auth_method::body,
                            url_of(srv, "127.0.0.1", ""), "4711");
    s.cache = &cache;
    s.on_token_fetch = [&fetches](token_fetch_result r) { fetches.push_back(r); };
    oauth2_client_credentials auth(c, s, [&now] { return now; });
    auto fetch = [&] { return run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &auth))->body; };
    CHECK(fetch() == "Bearer t1");
    now += 59'000;  // 120 s token ("120" as a string), 60 s margin: still good
    CHECK(fetch() == "Bearer t1");
    now += 2'000;
    CHECK(fetch() == "Bearer t2");
    const auto rq = srv.requests();
    REQUIRE(rq.size() == 6);
    CHECK(rq[0].method == "GET");
    CHECK(rq[0].target == "/api/account/4711/service/sentinel/baseURI.json?version=1.0");
    CHECK_FALSE(rq[0].has_header("Authorization"));
    CHECK(rq[1].method == "POST");
    CHECK(rq[1].target == "/sentinel/api/v2/account/4711/app/token?v=2.0");
    CHECK(rq[1].header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(rq[1].header("Accept") == "application/json");
    CHECK_FALSE(rq[1].has_header("Authorization"));
    CHECK(rq[1].body ==
          "client_id=the-id&client_secret=the%20secret%26&grant_type=client_credentials");
    CHECK(rq[2].header("Authorization") == "Bearer t1");
    CHECK(rq[3].header("Authorization") == "Bearer t1");
    // The second token came from the cached sentinel host: no second Domain API lookup.
    CHECK(rq[4].target == "/sentinel/api/v2/account/4711/app/token?v=2.0");
    CHECK(auth.token_url() ==
          url_of(srv, "127.0.0.1", "/sentinel/api/v2/account/4711/app/token?v=2.0"));
    CHECK(auth.last_expires_in_s() == 120);
    CHECK(cache.find(s.csds_url, "4711") == "127.0.0.1:" + std::to_string(port));
    CHECK(fetches ==
          std::vector<token_fetch_result>{token_fetch_result::ok, token_fetch_result::ok});
    // A strategy built later (a reload) reuses the cached answer.
    oauth2_client_credentials again(c, s, [&now] { return now; });
    CHECK(run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &again))->body == "Bearer t3");
    CHECK(srv.requests().size() == 8);
  }

  TEST_CASE("a Domain API answer naming a foreign host gets no secret") {
    test_server srv({}, [](const received_request& rq, std::size_t) {
      if (rq.target.rfind("/api/account/", 0) == 0)
        return ok(R"({"service":"sentinel","account":"1","baseURI":"sentinel.evil.example.com"})");
      reply r = ok(R"({"access_token":"x","expires_in":60})");
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    auto s = token_settings("", "id", "never-sent", client_auth_method::body,
                            url_of(srv, "127.0.0.1", ""), "1");
    std::vector<token_fetch_result> fetches;
    s.on_token_fetch = [&fetches](token_fetch_result r) { fetches.push_back(r); };
    oauth2_client_credentials auth(c, s);
    auto r = run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &auth));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::host_not_allowed);
    CHECK(r.error().message ==
          "refusing to send the OAuth 2.0 client secret to "
          "http://sentinel.evil.example.com/sentinel/api/v2/account/1/app/token: "
          "sentinel.evil.example.com is not under *.sentinel.liveperson.net (name the host with "
          "token_url to trust it)");
    CHECK(srv.requests().size() == 1);  // the lookup only
    CHECK(fetches == std::vector<token_fetch_result>{token_fetch_result::refused});
  }

  TEST_CASE("token service and Domain API refusals carry the status and message, not the secret") {
    test_server srv({}, [](const received_request& rq, std::size_t) {
      reply r;
      r.status = rq.target.rfind("/api/account/2/", 0) == 0 ? 401 : 400;
      r.body = rq.target.rfind("/api/account/", 0) == 0
                   ? std::string(R"({"error":"invalid site"})")
                   : R"({"error":"invalid_client","error_description":"no client with secret )" +
                         std::string("very-secret-value") + "\"}";
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth2_client_credentials auth(
        c, token_settings(url_of(srv, "127.0.0.1", "/token"), "id", "very-secret-value"));
    auto r = run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &auth));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().message == "OAuth 2.0 token request refused: HTTP 400 from " +
                                   url_of(srv, "127.0.0.1", "/token") +
                                   ": invalid_client (no client with secret ***)");
    oauth2_client_credentials derived(
        c, token_settings("", "id", "very-secret-value", client_auth_method::body,
                          url_of(srv, "127.0.0.1", ""), "2"));
    auto lookup = run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &derived));
    REQUIRE(lookup.has_error());
    CHECK(lookup.error().code == errc::auth_failed);
    CHECK(lookup.error().message ==
          "Domain API lookup of the sentinel host refused: HTTP 401 from " +
              url_of(srv, "127.0.0.1", "/api/account/2/service/sentinel/baseURI.json") +
              ": invalid site");
  }

  TEST_CASE("a token endpoint's redirect is not followed (the body holds the secret)") {
    test_server srv({}, [](const received_request&, std::size_t) {
      reply r;
      r.status = 307;
      r.headers.emplace_back("Location", "http://127.0.0.2:1/steal");
      return r;
    });
    asio::io_context io;
    client c(io.get_executor(), fast_settings(), fast_retry(), lpda::system_now_ms, no_jitter);
    oauth2_client_credentials auth(c, token_settings(url_of(srv, "127.0.0.1", "/token"), "id",
                                                     "sec", client_auth_method::body));
    auto r = run(io, c.send(get(url_of(srv, "127.0.0.1", "/d")), &auth));
    REQUIRE(r.has_error());
    CHECK(r.error().message.find("HTTP 307") != std::string::npos);
    CHECK(srv.requests().size() == 1);
  }
}
