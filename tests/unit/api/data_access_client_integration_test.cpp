// The Data Access client against a scripted stand-in for the API on 127.0.0.1 that checks
// every OAuth signature with independent test code.
#include "lpda/api/data_access_client.hpp"

#include "oauth1_check.hpp"
#include "run_awaitable.hpp"
#include "test_server.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

namespace asio = boost::asio;
using namespace lpda::api;
using namespace lpda::test::http;
using namespace std::chrono_literals;
using lpda::errc;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

const lpda::http::oauth1_credentials creds{"app-key", "app-secret", "access-token", "token-secret"};

// A stand-in for the Data Access API for account 28045150.
struct fake_api {
  std::string base;  // http://localhost:port
  std::string file_bytes = lpda::test::gzip(
      lpda::test::read_file(lpda::test::data_dir() / "agent_activity_docs_example.json"));
  std::unique_ptr<test_server> server;

  fake_api() {
    server = std::make_unique<test_server>(
        server_options{}, [this](const received_request& rq, std::size_t) { return answer(rq); });
    base = "http://localhost:" + std::to_string(server->port());
  }

  reply answer(const received_request& rq) const {
    reply r;
    const auto [path, query] = split_target(rq.target);
    if (!verify_oauth1(rq.header("Authorization"), rq.method, base + path, query, creds.app_secret,
                       creds.access_token_secret)) {
      r.status = 401;
      r.body =
          "<error><time>2018-01-25T01:19:15.196-05:00</time><message>Unauthorized "
          "request</message><internalCode>10</internalCode></error>";
      return r;
    }
    const std::string prefix = "/data_access_le/account/28045150/le";
    if (path == prefix) {
      r.body = replace_all(
          lpda::test::read_file(lpda::test::data_dir() / "api" / "base_resource_docs_example.json"),
          "https://va-a.da.liveperson.net", base);
      return r;
    }
    if (path == prefix + "/agentActivity") {
      std::string start, end;
      for (const auto& [k, v] : query) {
        if (k == "startTime") start = v;
        if (k == "endTime") end = v;
      }
      if (rq.header("Accept") != "application/json" || start.empty() || end.empty()) {
        r.status = 400;
        return r;
      }
      if (start == "0") {
        r.status = 404;
        r.body =
            lpda::test::read_file(lpda::test::data_dir() / "api" / "no_available_files_404.xml");
        return r;
      }
      r.body =
          replace_all(lpda::test::read_file(lpda::test::data_dir() / "listing_docs_example.json"),
                      "https://va-a.da.liveperson.net", base);
      return r;
    }
    if (path.rfind(prefix + "/agentActivity/Agent.", 0) == 0) {
      if (rq.header("Accept") != "*/*") {
        r.status = 400;
        r.body =
            "<error><message>This request is not supported, verify request headers and "
            "method</message><internalCode>5</internalCode></error>";
        return r;
      }
      r.body = path.find("part-00000-0") != std::string::npos && path.size() > 3 &&
                       path.substr(path.size() - 3) != ".gz"
                   ? "{\"plain\": true}"
                   : file_bytes;
      return r;
    }
    r.status = 404;
    r.body = "<error><message>Not found</message><internalCode>2</internalCode></error>";
    return r;
  }
};

lpda::http::client_settings settings() {
  lpda::http::client_settings s;
  s.io_timeout = 2s;
  s.request_timeout = 5s;
  return s;
}

lpda::http::retry_settings retry() {
  lpda::http::retry_settings r;
  r.delays = {5ms};
  r.throttle_min = 5ms;
  r.jitter = 0ms;
  return r;
}

}  // namespace

TEST_SUITE("integration_api") {
  TEST_CASE("list - download and base resource against a signature-checking server") {
    fake_api api;
    asio::io_context io;
    lpda::http::client http(io.get_executor(), settings(), retry());
    lpda::http::oauth1_auth auth{lpda::http::oauth1_signer(creds)};
    data_access_client dac(http, auth, {api.base, "28045150", {}});

    CHECK(dac.listing_url("agentActivity", 1461387600000, 1461405600000) ==
          api.base +
              "/data_access_le/account/28045150/le/"
              "agentActivity?startTime=1461387600000&endTime=1461405600000");
    auto listing = run(io, dac.list_files("agentActivity", 1461387600000, 1461405600000));
    REQUIRE(listing.has_value());
    CHECK(listing->rejected.empty());
    const auto* files = &listing->files;
    REQUIRE(files->size() == 5);
    CHECK((*files)[0].scope_start_ms == 1461387600000);
    CHECK((*files)[0].href.rfind(api.base, 0) == 0);

    auto empty = run(io, dac.list_files("agentActivity", 0, 1));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());

    lpda::test::temp_dir dir;
    auto d = run(io, dac.download((*files)[0], dir / "f0"));
    REQUIRE(d.has_value());
    CHECK(d->kind == lpda::decode::content_kind::gzip);
    CHECK(d->bytes == api.file_bytes.size());
    CHECK(lpda::test::read_file(dir / "f0") == api.file_bytes);
    // The docs' last href has no .gz; the stand-in serves plain JSON there.
    auto plain = run(io, dac.download((*files)[4], dir / "f4"));
    REQUIRE(plain.has_value());
    CHECK(plain->kind == lpda::decode::content_kind::json);

    auto types = run(io, dac.base_resource());
    REQUIRE(types.has_value());
    REQUIRE(types->size() == 4);
    CHECK((*types)[0].rel == "agentActivity");

    // Every request went over one kept-alive connection.
    CHECK(api.server->accepts() == 1);
    CHECK(api.server->requests().size() == 5);
  }

  TEST_CASE("wrong credentials surface the XML message and a foreign href is refused") {
    fake_api api;
    asio::io_context io;
    lpda::http::client http(io.get_executor(), settings(), retry());
    lpda::http::oauth1_auth bad{
        lpda::http::oauth1_signer({"app-key", "wrong", "access-token", "token-secret"})};
    data_access_client dac(http, bad, {api.base, "28045150", {}});
    auto r = run(io, dac.list_files("agentActivity", 1, 2));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().message.find("Unauthorized request") != std::string::npos);
    CHECK(r.error().message.find("wrong") == std::string::npos);
    CHECK(api.server->requests().size() == 1);  // 401 is not retried

    lpda::http::oauth1_auth good{lpda::http::oauth1_signer(creds)};
    data_access_client ok(http, good, {api.base, "28045150", {}});
    lpda::data_file foreign;
    foreign.key = "Agent.1.2.part-00000-0";
    foreign.href = "https://files.example.com/Agent.1.2.part-00000-0.gz";
    lpda::test::temp_dir dir;
    auto d = run(io, ok.download(foreign, dir / "x"));
    REQUIRE(d.has_error());
    CHECK(d.error().code == errc::host_not_allowed);
    CHECK(d.error().message.find("Agent.1.2.part-00000-0") != std::string::npos);

    lpda::data_file missing;
    missing.key = "Agent.9.10.part-00000-0";
    missing.href = api.base + "/data_access_le/account/28045150/le/nothing";
    auto m = run(io, ok.download(missing, dir / "m"));
    REQUIRE(m.has_error());
    CHECK(m.error().code == errc::client_error);
    CHECK(m.error().message.find("Not found") != std::string::npos);
  }

  TEST_CASE("a download error names the href escaped: listing text cannot forge a log line") {
    fake_api api;
    asio::io_context io;
    lpda::http::client http(io.get_executor(), settings(), retry());
    lpda::http::oauth1_auth auth{lpda::http::oauth1_signer(creds)};
    data_access_client dac(http, auth, {api.base, "28045150", {}});
    lpda::data_file f;
    f.key = "Agent.1.2.part-00000-0";
    f.href = api.base + "/a\nerror: account=1 forged\x1b[31m\xff";
    lpda::test::temp_dir dir;
    auto d = run(io, dac.download(f, dir / "x"));
    REQUIRE(d.has_error());
    const std::string& m = d.error().message;
    CHECK_MESSAGE(m.find(R"(/a\x0aerror: account=1 forged\x1b[31m\xff)") != std::string::npos, m);
    for (const char ch : m) {
      const auto b = static_cast<unsigned char>(ch);
      CHECK((b >= 0x20 && b < 0x7f));
    }
    CHECK(api.server->requests().empty());
  }
}
