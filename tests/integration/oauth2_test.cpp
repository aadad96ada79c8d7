// OAuth 2.0 the way LivePerson issues it (Domain API → sentinel token endpoint → bearer tokens)
// and `lpda-sync check`, end to end: the real binaries against lpda-emulator on loopback.
#include "harness.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <thread>

using namespace lpda::test;

namespace {

constexpr const char* client_id = "emulator-client";
// Secrets distinct enough that any appearance in an output is a leak, not a coincidence.
constexpr const char* client_secret = "s3cr3t-Client-Value-7f3a";
constexpr const char* wrong_secret = "wr0ng-Secret-Value-91bd";

std::vector<std::string> emulator_args(std::vector<std::string> extra) {
  std::vector<std::string> a{"--accounts", "12345678", "--agents",
                             "4",          "--hours",  "12",
                             "--seed",     "11",       "--oauth2-client-secret",
                             client_secret};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// A config whose only account uses LivePerson's OAuth 2.0 flow with only client_id and
// client_secret: the Domain API at the emulator, so the sentinel host and the Data Access host
// are both the emulator.
std::string oauth2_config(const temp_dir& dir, const std::string& url, const std::string& secret,
                          const std::string& base_url = {}, const std::string& extra_top = {}) {
  std::string y;
  y += "database: " + (dir / "lpda.db").string() + "\n";
  y += "listen: \"\"\nlog: {level: debug}\n";
  y += "retry: {max_attempts: 4, delays: [20ms, 40ms, 60ms], max_retry_after: 2s}\n";
  y += extra_top;
  y += "defaults: {initial_start: 1d}\n";
  y += "accounts:\n  - id: \"12345678\"\n    base_url: " + (base_url.empty() ? url : base_url) +
       "\n";
  y += std::string("    auth: {oauth2: {client_id: ") + client_id + ", client_secret: " + secret +
       ", csds_url: \"" + url + "\"}}\n";
  const auto path = dir / "config.yaml";
  write_file(path, y);
  return path.string();
}

rapidjson::Document counts(const emulator_process& emu) {
  rapidjson::Document d;
  d.Parse(emu.control("counts").c_str());
  return d;
}

void check_exact(const emulator_process& emu, const temp_dir& dir) {
  const auto expected = expected_rows(emu.control("expected", "files=available"));
  const auto actual = database_rows((dir / "lpda.db").string());
  REQUIRE_FALSE(expected.empty());
  CHECK(actual.size() == expected.size());
  CHECK(std::set<std::string>(actual.begin(), actual.end()) == expected);
}

void check_no_secret(const run_result& r) {
  for (const char* s : {client_secret, wrong_secret, emu_app_secret, emu_token_secret}) {
    CHECK_MESSAGE(r.out.find(s) == std::string::npos, "stdout holds a secret: " << r.out);
    CHECK_MESSAGE(r.err.find(s) == std::string::npos, "stderr holds a secret: " << r.err);
  }
}

// What `lpda-sync <command> --config C` did against a new emulator started with `emu_extra` (the
// config's account on it, with `secret`); every output is checked for secrets.
struct check_run {
  std::string url;  // the emulator's, for expected messages
  run_result r;
};

check_run run_check(std::vector<std::string> emu_extra, const std::string& secret,
                    const std::string& command = "check", const std::string& base_url = {},
                    const std::string& extra_top = {}) {
  emulator_process emu(emulator_args(std::move(emu_extra)));
  temp_dir dir;
  const auto config = oauth2_config(dir, emu.url(), secret, base_url, extra_top);
  auto r = run_lpda(command + " --config '" + config + "'");
  check_no_secret(r);
  return {emu.url(), std::move(r)};
}

// The verdict line of `step` in check's output ("" when there is none).
std::string step_line(const std::string& out, const std::string& step) {
  std::size_t at = 0;
  while ((at = out.find('\n', at)) != std::string::npos) {
    ++at;
    const auto end = out.find('\n', at);
    const std::string line = out.substr(at, end == std::string::npos ? end : end - at);
    if (line.size() > 8 && line.substr(8, step.size() + 1) == step + " ") return line;
  }
  return {};
}

}  // namespace

TEST_SUITE("integration_oauth2") {
  TEST_CASE("LivePerson-style OAuth 2.0: an exact sync while tokens expire every few seconds") {
    // expires_in "3" (a string): shorter than the 60 s refresh margin, so every request takes a
    // fresh token, while the sync (latency on every response) outlives many of them.
    emulator_process emu(emulator_args(
        {"--data-access-auth", "bearer", "--oauth2-ttl", "3", "--latency-ms", "600"}));
    temp_dir dir;
    const auto config =
        oauth2_config(dir, emu.url(), client_secret, {}, "client: {max_concurrent_downloads: 2}\n");
    const auto t0 = now_ms();
    const auto r = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(now_ms() - t0 > 3'000);  // the sync outlived its first token
    check_exact(emu, dir);
    const auto c = counts(emu);
    CHECK(c["csds"].GetInt() == 1);          // the Domain API answer is cached for the process
    CHECK(c["token"].GetInt() > 3);          // token after token
    CHECK(c["unauthorized"].GetInt() == 0);  // never an expired token sent
    check_no_secret(r);
  }

  TEST_CASE("a token revoked mid-sync: one 401, one new token, and the sync is still exact") {
    emulator_process emu(emulator_args({"--data-access-auth", "bearer"}));
    emu.control("revoke-tokens", "after=5");  // the 6th request's token is no longer valid
    temp_dir dir;
    const auto config = oauth2_config(dir, emu.url(), client_secret);
    const auto r = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    check_exact(emu, dir);
    const auto c = counts(emu);
    CHECK(c["unauthorized"].GetInt() >= 1);
    // Requests in flight with the revoked token share the one refresh.
    CHECK(c["token"].GetInt() == 2);
    check_no_secret(r);
  }

  TEST_CASE("a wrong client secret: a clear error, exit 78, no secret anywhere") {
    emulator_process emu(emulator_args({}));
    temp_dir dir;
    const auto config = oauth2_config(dir, emu.url(), wrong_secret);
    const auto r = run_lpda("once --config '" + config + "'");
    CHECK(r.status == 78);
    CHECK_MESSAGE(r.err.find("OAuth 2.0 token request refused: HTTP 401 from " + emu.url() +
                             "/sentinel/api/v2/account/12345678/app/token: invalid_client "
                             "(Client authentication failed)") != std::string::npos,
                  r.err);
    check_no_secret(r);
    CHECK(database_rows((dir / "lpda.db").string()).empty());
  }

  TEST_CASE("validate-config --print shows how the token URL is found and no secret") {
    emulator_process emu(emulator_args({}));
    temp_dir dir;
    const auto config = oauth2_config(dir, emu.url(), client_secret);
    const auto r = run_lpda("validate-config --print --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK_MESSAGE(r.out.find("# account 12345678: OAuth 2.0 token URL: LivePerson's Domain API "
                             "(CSDS) " +
                             emu.url() +
                             "/api/account/12345678/service/sentinel/baseURI.json names the "
                             "sentinel host, then POST "
                             "http://{baseURI}/sentinel/api/v2/account/12345678/app/token?v=2.0") !=
                      std::string::npos,
                  r.out);
    CHECK(r.out.find("token_host: csds") != std::string::npos);
    CHECK(r.out.find("client_auth: body") != std::string::npos);
    check_no_secret(r);
  }

  TEST_CASE("check on a good config: every step ok, exit 0, and it leaves no database") {
    emulator_process emu(emulator_args({"--data-access-auth", "bearer"}));
    temp_dir dir;
    const auto config = oauth2_config(dir, emu.url(), client_secret);
    const auto r = run_lpda("check --download-one --config '" + config + "'");
    CHECK_MESSAGE(r.status == 0, r.out << r.err);
    CHECK(step_line(r.out, "connect").rfind("  ok    connect", 0) == 0);
    CHECK(step_line(r.out, "token")
              .find("  ok    token     OAuth 2.0 token (HTTP 200, expires in "
                    "3600 s) from " +
                    emu.url() + "/sentinel/api/v2/account/12345678/app/token") == 0);
    CHECK(step_line(r.out, "base").find("links agentActivity, webSession, engagement, survey") !=
          std::string::npos);
    CHECK(step_line(r.out, "list").rfind("  ok    list      agentActivity: ", 0) == 0);
    CHECK(step_line(r.out, "download").rfind("  ok    download  Agent.", 0) == 0);
    CHECK(step_line(r.out, "download").find("(HTTP 200, gzip)") != std::string::npos);
    CHECK(r.out.find("lpda-sync check: everything needed works (exit 0)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "lpda.db"));
    const auto c = counts(emu);
    CHECK(c["download"].GetInt() == 1);
    check_no_secret(r);

    // The same account with OAuth 1.0a keys, when Data Access takes those.
    // Its database directory does not exist yet (as before systemd's first start): check needs
    // none.
    temp_dir dir1;
    const auto config1 = write_config(dir1, emu.url(), {"12345678"});
    std::string text = read_file(config1);
    text.replace(text.find(dir1.path().string()), dir1.path().string().size(),
                 (dir1 / "state").string());
    write_file(config1, text);
    emu.control("data-access-auth", "mode=both");
    const auto r1 = run_lpda("check --account 12345678 --hours 6 --config '" + config1 + "'");
    CHECK_MESSAGE(r1.status == 0, r1.out << r1.err);
    CHECK(step_line(r1.out, "signing").rfind("  ok    signing   OAuth 1.0a HMAC-SHA1", 0) == 0);
    CHECK(step_line(r1.out, "download").rfind("  skip  download  not asked for", 0) == 0);
    check_no_secret(r1);
    CHECK_FALSE(std::filesystem::exists(dir1 / "state"));
  }

  TEST_CASE("check names the failing step and exits with its code") {
    SUBCASE("an unresolvable host: connect, 75") {
      const auto c = run_check({}, client_secret, "check", "https://lpda-check.invalid",
                               "client: {connect_timeout: 3s}\n");
      CHECK_MESSAGE(c.r.status == 75, c.r.out << c.r.err);
      // "cannot resolve …" or, without any DNS server, "resolving …: timed out": both 75.
      CHECK(step_line(c.r.out, "connect").rfind("  FAIL  connect   ", 0) == 0);
      CHECK(step_line(c.r.out, "connect").find("lpda-check.invalid") != std::string::npos);
      CHECK(step_line(c.r.out, "token").empty());  // nothing after the failed step but skips
    }
    SUBCASE("TLS to an untrusted certificate: connect, 75") {
      const auto c = run_check({"--tls-self-signed"}, client_secret);
      CHECK_MESSAGE(c.r.status == 75, c.r.out << c.r.err);
      const auto line = step_line(c.r.out, "connect");
      CHECK(line.rfind("  FAIL  connect   TLS handshake with 127.0.0.1:", 0) == 0);
      CHECK(line.find("the certificate is not trusted") != std::string::npos);
    }
    SUBCASE("the token refused: token, 78") {
      const auto c = run_check({}, wrong_secret);
      CHECK_MESSAGE(c.r.status == 78, c.r.out << c.r.err);
      CHECK(step_line(c.r.out, "token") ==
            "  FAIL  token     OAuth 2.0 token request refused: HTTP 401 from " + c.url +
                "/sentinel/api/v2/account/12345678/app/token: invalid_client (Client "
                "authentication failed) — the token service refused the client id and secret");
    }
    SUBCASE("401 on the base resource (Data Access takes OAuth 1.0a only): base, 78") {
      const auto c = run_check({"--data-access-auth", "oauth1"}, client_secret);
      CHECK_MESSAGE(c.r.status == 78, c.r.out << c.r.err);
      CHECK(step_line(c.r.out, "token").rfind("  ok    token", 0) == 0);
      const auto base = step_line(c.r.out, "base");
      CHECK_MESSAGE(base.rfind("  FAIL  base      HTTP 401 from " + c.url +
                                   "/data_access_le/account/12345678/le: Unauthorized request; "
                                   "likely causes: (1) the OAuth 2.0 client",
                               0) == 0,
                    base);
      const std::string hint = " — Data Access did not accept the OAuth 2.0 bearer token";
      CHECK(base.size() > hint.size());
      CHECK(base.substr(base.size() - hint.size()) == hint);
    }
    SUBCASE("a data type without files is a warning: list, exit 0") {
      // The emulator's data ends three days ago: the last 24 hours hold no file.
      const auto from = std::to_string((now_ms() / 3'600'000 - 96) * 3'600'000);
      const auto c = run_check({"--from", from}, client_secret, "check --download-one");
      CHECK_MESSAGE(c.r.status == 0, c.r.out << c.r.err);
      CHECK(step_line(c.r.out, "list")
                .rfind("  warn  list      agentActivity: no files in the last 24 h (HTTP 404, the "
                       "data type is linked",
                       0) == 0);
      CHECK(step_line(c.r.out, "download").rfind("  skip  download  no file listed", 0) == 0);
    }
    SUBCASE("an account the config does not list: 64") {
      const auto c = run_check({}, client_secret, "check --account 999");
      CHECK(c.r.status == 64);
      CHECK(c.r.err.find("account 999 is not in") != std::string::npos);
    }
  }
}
