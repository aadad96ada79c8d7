#include "lpda/config/config.hpp"

#include "config_samples.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

using namespace std::chrono_literals;
namespace cfg = lpda::config;

using lpda::test::no_env;
using lpda::test::yaml;

namespace {

// The diagnostics of a config that must fail to load.
std::vector<cfg::diagnostic> diagnostics_of(const std::string& text,
                                            const cfg::environment& env = no_env()) {
  try {
    cfg::load_string(text, "test.yaml", env);
  } catch (const cfg::config_error& e) {
    CHECK_FALSE(e.file_unreadable());
    return e.diagnostics();
  }
  FAIL("the config loaded without errors");
  return {};
}

// The one diagnostic of a config with exactly one problem.
cfg::diagnostic only_diagnostic(const std::string& text, const cfg::environment& env = no_env()) {
  auto d = diagnostics_of(text, env);
  REQUIRE(d.size() == 1);
  return d.front();
}

std::string what_of(const std::string& text, const cfg::environment& env = no_env()) {
  try {
    cfg::load_string(text, "test.yaml", env);
  } catch (const cfg::config_error& e) {
    return e.what();
  }
  FAIL("the config loaded without errors");
  return {};
}

void check_diag(const cfg::diagnostic& d, std::string_view path, int line, int column,
                std::string_view message_part) {
  CHECK(d.path == path);
  CHECK(d.line == line);
  CHECK(d.column == column);
  CHECK_MESSAGE(d.message.find(message_part) != std::string::npos, d.message);
}

// Everything outside `accounts` as issue 6 documents it, written out literally, except `store:`,
// `client:`, `retry:` and `decode:`: those hold only what the file set, and their defaults are
// their modules' (tests/unit/cli/compose_test.cpp).
void check_documented_defaults(const cfg::config& c) {
  CHECK(c.log.level == cfg::log_level::info);
  CHECK(c.log.format == cfg::log_format::text);
  CHECK(c.listen == "127.0.0.1:9464");
  CHECK(c.defaults.enabled == true);
  CHECK(c.defaults.poll_interval == 15min);
  CHECK(c.defaults.overlap == 12h);
  CHECK(c.defaults.max_window == 24h);
  CHECK(c.defaults.initial_start == cfg::start_point{std::chrono::milliseconds{7 * 24h}});
  CHECK(c.defaults.quarantine_after == 5);
  CHECK(c.defaults.backoff_max == 1h);
  CHECK(c.defaults.data_types == std::vector<std::string>{"agentActivity"});
}

// An account's settings inherited from the documented defaults.
void check_account_defaults_except_hosts(const cfg::account& a) {
  CHECK(a.enabled == true);
  CHECK(a.poll_interval == 15min);
  CHECK(a.overlap == 12h);
  CHECK(a.max_window == 24h);
  CHECK(a.initial_start == cfg::start_point{std::chrono::milliseconds{7 * 24h}});
  CHECK(a.quarantine_after == 5);
  CHECK(a.backoff_max == 1h);
  CHECK(a.data_types == std::vector<std::string>{"agentActivity"});
}

void check_account_defaults(const cfg::account& a) {
  check_account_defaults_except_hosts(a);
  CHECK(a.allowed_hosts.empty());
}

const std::string& minimal = lpda::test::minimal_config;

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("the example file loads and equals the documented defaults where not set") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "config.yaml",
                           lpda::test::example_config_in(dir, LPDA_EXAMPLE_CONFIG));
    // Every credential is a systemd credential file: none comes from the environment.
    const cfg::config c = cfg::load_file(dir / "config.yaml", no_env());
    CHECK(c.source == dir / "config.yaml");
    CHECK(c.database == (dir / "lpda.db").string());
    check_documented_defaults(c);
    REQUIRE(c.accounts.size() == 1);
    const auto& a = c.accounts[0];
    CHECK(a.id == "12345678");
    CHECK(a.region == "us");
    CHECK_FALSE(a.domain.has_value());
    CHECK_FALSE(a.base_url.has_value());
    check_account_defaults(a);
    REQUIRE(std::holds_alternative<cfg::oauth2_credentials>(a.auth));
    // LivePerson's flow with nothing but the id and secret: Domain API, form body.
    CHECK(std::get<cfg::oauth2_credentials>(a.auth) ==
          cfg::oauth2_credentials{"example-client-id", "example-client-secret", "", std::nullopt,
                                  cfg::token_host_kind::csds, "", "https://api.liveperson.net",
                                  cfg::client_auth::body});
    CHECK(cfg::effective_base_url(a) == "https://va.da.liveperson.net");
  }

  TEST_CASE("the example's commented-out account keys are valid when uncommented") {
    std::string text = lpda::test::read_file(LPDA_EXAMPLE_CONFIG);
    // Uncomment "    # key: value" lines of the per-account keys (not the auth block).
    std::string out;
    std::istringstream in(text);
    int uncommented = 0;
    for (std::string line; std::getline(in, line);) {
      for (const char* key :
           {"domain:", "base_url:", "allowed_hosts:", "enabled:", "poll_interval:", "overlap:",
            "max_window:", "initial_start:", "quarantine_after:", "backoff_max:", "data_types:"}) {
        const std::string prefix = std::string("    # ") + key;
        if (line.rfind(prefix, 0) == 0) {
          line = "    " + line.substr(6);
          ++uncommented;
        }
      }
      out += line + "\n";
    }
    CHECK(uncommented == 11);
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "client_id", "k");
    lpda::test::write_file(dir / "client_secret", "x");
    const std::string cred_dir = "/run/credentials/lpda-sync.service";
    for (auto pos = out.find(cred_dir); pos != std::string::npos; pos = out.find(cred_dir))
      out.replace(pos, cred_dir.size(), dir.path().string());
    const std::string db = "/var/lib/lpda-sync/lpda.db";
    out.replace(out.find(db), db.size(), (dir / "lpda.db").string());
    const auto c = cfg::load_string(out, "example-uncommented.yaml", no_env());
    REQUIRE(c.accounts.size() == 1);
    const auto& a = c.accounts[0];
    check_account_defaults_except_hosts(a);
    CHECK(a.domain == "va.da.liveperson.net");
    CHECK(a.base_url == "http://127.0.0.1:8080");
    CHECK(a.allowed_hosts ==
          std::vector<std::string>{"va.da.liveperson.net", "*.da.liveperson.net"});
    CHECK(std::get<cfg::oauth2_credentials>(a.auth).client_id == "k");
    CHECK(std::get<cfg::oauth2_credentials>(a.auth).client_secret == "x");
  }

  TEST_CASE("a section with no value means all its defaults and an empty value points at its key") {
    const auto c = cfg::load_string(yaml(R"(
store:
log:
client:
retry:
decode:
defaults:
)") + minimal,
                                    "t.yaml", no_env());
    check_documented_defaults(c);
    CHECK(c.store == cfg::store_settings{});
    CHECK(c.client == cfg::client_settings{});
    CHECK(c.retry == cfg::retry_settings{});
    CHECK(c.decode == cfg::decode_settings{});
    const auto d = diagnostics_of(yaml(R"(
database:
listen:
accounts:
  - id: "1"
    region:
    auth:
      oauth1:
        app_key:
        app_secret: s
        access_token: t
        access_token_secret: u
)"));
    REQUIRE(d.size() == 4);
    check_diag(d[0], "database", 1, 1, "expected a string, got nothing (null)");
    check_diag(d[1], "listen", 2, 1, "expected a string, got nothing (null)");
    check_diag(d[2], "accounts[0].region", 5, 5, "expected a string, got nothing (null)");
    check_diag(d[3], "accounts[0].auth.oauth1.app_key", 8, 9, "expected a string, got nothing");
  }

  TEST_CASE("a minimal config gets every default") {
    const cfg::config c = cfg::load_string(minimal, "minimal.yaml", no_env());
    CHECK(c.source == "minimal.yaml");
    CHECK(c.database == "/tmp/lpda-test.db");
    check_documented_defaults(c);
    // Keys the file leaves out stay unset: the store and HTTP client apply their own defaults.
    CHECK(c.store == cfg::store_settings{});
    CHECK(c.client == cfg::client_settings{});
    CHECK(c.retry == cfg::retry_settings{});
    CHECK(c.decode == cfg::decode_settings{});
    REQUIRE(c.accounts.size() == 1);
    check_account_defaults(c.accounts[0]);
    CHECK(std::get<cfg::oauth1_credentials>(c.accounts[0].auth) ==
          cfg::oauth1_credentials{"k1", "s1", "t1", "ts1"});
  }

  TEST_CASE("spool_dir and lock_file default beside the database and may be set elsewhere") {
    const cfg::config c = cfg::load_string(minimal, "minimal.yaml", no_env());
    CHECK(c.spool_dir == "/tmp/lpda-test.db.spool");
    CHECK(c.lock_file == "/tmp/lpda-test.db.lock");
    const cfg::config set = cfg::load_string(
        "spool_dir: /var/spool/lpda\nlock_file: /run/lpda-sync/run.lock\n" + minimal, "set.yaml",
        no_env());
    CHECK(set.database == "/tmp/lpda-test.db");
    CHECK(set.spool_dir == "/var/spool/lpda");
    CHECK(set.lock_file == "/run/lpda-sync/run.lock");
    const auto d = diagnostics_of("spool_dir: \"\"\nlock_file: [a]\n" + minimal);
    REQUIRE(d.size() == 2);
    check_diag(d[0], "spool_dir", 1, 12, "must name a path (leave it out for the default)");
    check_diag(d[1], "lock_file", 2, 12, "expected a string");
  }

  TEST_CASE("spool_dir and lock_file are refused where lpda-sync would overwrite another file") {
    const auto find = [](const std::vector<cfg::diagnostic>& ds, const std::string& path) {
      for (const auto& x : ds)
        if (x.path == path) return x;
      FAIL("no diagnostic for " << path);
      return cfg::diagnostic{};
    };
    auto d = diagnostics_of("lock_file: /tmp/lpda-test.db\nspool_dir: /tmp/./lpda-test.db-wal\n" +
                            minimal);
    REQUIRE(d.size() == 2);
    check_diag(find(d, "lock_file"), "lock_file", 1, 12,
               "\"/tmp/lpda-test.db\" is the database; lock_file needs a path of its own");
    check_diag(find(d, "spool_dir"), "spool_dir", 2, 12,
               "\"/tmp/./lpda-test.db-wal\" is the database file's wal; spool_dir needs a path of "
               "its own");
    d = diagnostics_of("lock_file: /tmp/s\nspool_dir: /tmp/s/\n" + minimal);
    REQUIRE(d.size() == 1);
    check_diag(d[0], "lock_file", 1, 12,
               "\"/tmp/s\" is spool_dir; lock_file needs a path of its own");
    d = diagnostics_of("lock_file: ./test.yaml\n" + minimal);
    REQUIRE(d.size() == 1);
    check_diag(d[0], "lock_file", 1, 12,
               "\"./test.yaml\" is this configuration file; lock_file needs a path of its own");

    // Existing paths of the wrong kind, when secrets resolve (the machine that runs it).
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "notes.txt", "keep me\n");
    std::filesystem::create_directory(dir / "adir");
    d = diagnostics_of("spool_dir: " + (dir / "notes.txt").string() +
                       "\nlock_file: " + (dir / "adir").string() + "\n" + minimal);
    REQUIRE(d.size() == 2);
    check_diag(find(d, "spool_dir"), "spool_dir", 1, 12,
               "\"" + (dir / "notes.txt").string() + "\" exists and is not a directory");
    check_diag(find(d, "lock_file"), "lock_file", 2, 12,
               "\"" + (dir / "adir").string() + "\" exists and is not a regular file");
    // Paths that do not exist yet, or of the right kind, are fine.
    const cfg::config ok =
        cfg::load_string("spool_dir: " + (dir / "adir").string() +
                             "\nlock_file: " + (dir / "new.lock").string() + "\n" + minimal,
                         "ok.yaml", no_env());
    CHECK(ok.spool_dir == (dir / "adir").string());
  }

  TEST_CASE("the minimal data file gets every default too") {
    const cfg::config c = cfg::load_file(lpda::test::data_dir() / "config/minimal.yaml", no_env());
    check_documented_defaults(c);
    CHECK(c.store == cfg::store_settings{});
    CHECK(c.client == cfg::client_settings{});
    CHECK(c.retry == cfg::retry_settings{});
    CHECK(c.decode == cfg::decode_settings{});
    REQUIRE(c.accounts.size() == 1);
    CHECK(c.accounts[0].id == "12345678");
    check_account_defaults(c.accounts[0]);
  }

  TEST_CASE("account overrides fall back to defaults key by key") {
    const auto c = cfg::load_string(yaml(R"(
database: d.db
defaults:
  poll_interval: 5m
  overlap: 2h
  initial_start: 2026-01-01
  data_types: [agentActivity]
  enabled: false
accounts:
  - id: a
    region: uk
    poll_interval: 30s
    enabled: true
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
  - id: b
    domain: lo-a.da.liveperson.net
    quarantine_after: 2
    max_window: 1h
    backoff_max: 10m
    initial_start: 3d
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
)"),
                                    "t.yaml", no_env());
    REQUIRE(c.accounts.size() == 2);
    const auto& a = c.accounts[0];
    const auto& b = c.accounts[1];
    CHECK(a.enabled == true);
    CHECK(a.poll_interval == 30s);
    CHECK(a.overlap == 2h);
    CHECK(a.initial_start == cfg::start_point{cfg::absolute_time{1767225600000}});
    CHECK(a.quarantine_after == 5);
    CHECK(b.enabled == false);
    CHECK(b.poll_interval == 5min);
    CHECK(b.quarantine_after == 2);
    CHECK(b.max_window == 1h);
    CHECK(b.backoff_max == 10min);
    CHECK(b.initial_start == cfg::start_point{std::chrono::milliseconds{72h}});
    CHECK(cfg::resolve_start(a.initial_start, 1767300000000) == 1767225600000);
    CHECK(cfg::resolve_start(b.initial_start, 1767300000000) == 1767300000000 - 3 * 86'400'000);
    CHECK(cfg::effective_base_url(a) == "https://lo.da.liveperson.net");
    CHECK(cfg::effective_base_url(b) == "https://lo-a.da.liveperson.net");
    CHECK(b.allowed_hosts.empty());
  }

  TEST_CASE("account ids are kept as the scalar's original text") {
    const auto c = cfg::load_string(yaml(R"(
database: d.db
accounts:
  - {id: 012, region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: 12345678, region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: "0012", region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: le-61_A, region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"),
                                    "t.yaml", no_env());
    REQUIRE(c.accounts.size() == 4);
    CHECK(c.accounts[0].id == "012");
    CHECK(c.accounts[1].id == "12345678");
    CHECK(c.accounts[2].id == "0012");
    CHECK(c.accounts[3].id == "le-61_A");
  }

  TEST_CASE("base_url and domain override the region and allowed_hosts replaces the default") {
    const auto c = cfg::load_string(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: apac
    base_url: http://127.0.0.1:8080/
    allowed_hosts: [127.0.0.1, "*.example.test"]
    auth: {oauth2: {client_id: c, client_secret: s, token_url: "http://127.0.0.1:8080/token", scope: read}}
  - id: "2"
    region: apac
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
  - id: "3"
    base_url: "https://[::1]:8443"
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
)"),
                                    "t.yaml", no_env());
    REQUIRE(c.accounts.size() == 3);
    CHECK(c.accounts[0].base_url == "http://127.0.0.1:8080");
    CHECK(cfg::effective_base_url(c.accounts[0]) == "http://127.0.0.1:8080");
    CHECK(c.accounts[0].allowed_hosts == std::vector<std::string>{"127.0.0.1", "*.example.test"});
    CHECK(std::get<cfg::oauth2_credentials>(c.accounts[0].auth) ==
          cfg::oauth2_credentials{"c", "s", "http://127.0.0.1:8080/token", "read",
                                  cfg::token_host_kind::csds, "", "https://api.liveperson.net",
                                  cfg::client_auth::basic});
    CHECK(cfg::effective_base_url(c.accounts[1]) == "https://sy.da.liveperson.net");
    CHECK(c.accounts[1].allowed_hosts.empty());
    CHECK(cfg::effective_base_url(c.accounts[2]) == "https://[::1]:8443");
  }

  TEST_CASE("every other top-level setting is read") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "ca.pem", "not checked here\n");
    const auto c = cfg::load_string(yaml(R"(
database: d.db
store: {synchronous: full, file_mode: "0640"}
log: {level: debug, format: json}
listen: "[::1]:0"
client:
  ca_file: )" + (dir / "ca.pem").string() +
                                         R"(
  connect_timeout: 1s
  tls_handshake_timeout: 2s
  io_timeout: 3s
  request_timeout: 4s
  max_concurrent_downloads: 16
  max_per_host: 2
  allow_insecure_http: true
retry: {max_attempts: 1, delays: [0s, 250ms], max_retry_after: 0}
decode: {max_inflated_bytes: 1MiB, max_document_bytes: 4096, read_ahead_batches: 0}
accounts:
  - {id: x, base_url: "http://lpda.example.test:8080", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"),
                                    "t.yaml", no_env());
    CHECK(c.store == cfg::store_settings{"full", 0640});
    CHECK(c.log == cfg::log_settings{cfg::log_level::debug, cfg::log_format::json});
    CHECK(c.listen == "[::1]:0");
    CHECK(c.client.ca_file == (dir / "ca.pem").string());
    CHECK(c.client.connect_timeout == 1s);
    CHECK(c.client.tls_handshake_timeout == 2s);
    CHECK(c.client.io_timeout == 3s);
    CHECK(c.client.request_timeout == 4s);
    CHECK(c.client.max_concurrent_downloads == 16);
    CHECK(c.client.max_per_host == 2);
    CHECK(c.client.allow_insecure_http == true);
    CHECK(c.retry.max_attempts == 1);
    CHECK(c.retry.delays == std::vector<std::chrono::milliseconds>{0ms, 250ms});
    CHECK(c.retry.max_retry_after == 0ms);
    CHECK(c.decode.max_inflated_bytes == 1'048'576);
    CHECK(c.decode.max_document_bytes == 4096);
    CHECK(c.decode.read_ahead_batches == 0);
    CHECK(c.accounts.at(0).base_url == "http://lpda.example.test:8080");
  }

  TEST_CASE("an empty listen turns the endpoint off and split_host_port parses host and port") {
    auto text = minimal;
    text.insert(0, "listen: \"\"\n");
    CHECK(cfg::load_string(text, "t.yaml", no_env()).listen.empty());
    CHECK(cfg::split_host_port("127.0.0.1:9464") == cfg::host_port{"127.0.0.1", 9464});
    CHECK(cfg::split_host_port("[::1]:0") == cfg::host_port{"::1", 0});
    CHECK(cfg::split_host_port("metrics.local:65535") == cfg::host_port{"metrics.local", 65535});
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "host:65536", "host:-1",
                            "[::1]80", "[::1]", "ho st:80", "host:8x"}) {
      CAPTURE(bad);
      CHECK_FALSE(cfg::split_host_port(bad).has_value());
    }
  }

  // --- secrets ---------------------------------------------------------------------------------

  TEST_CASE("secrets from ENV references and _file paths with one trailing newline stripped") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "secret1", "file-secret\n");
    lpda::test::write_file(dir / "secret2", "two-newlines\n\n");
    lpda::test::write_file(dir / "secret3", "crlf\r\n");
    lpda::test::write_file(dir / "secret4", "no-newline");
    const auto env = cfg::environment::from_map({{"KEY", "env-key"}, {"TOKEN_2", "env-token"}});
    const auto c = cfg::load_string(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: ${KEY}
        app_secret_file: )" + (dir / "secret1").string() +
                                         R"(
        access_token: ${TOKEN_2}
        access_token_secret_file: )" + (dir / "secret2").string() +
                                         R"(
  - id: "2"
    region: us
    auth:
      oauth2:
        client_id_file: )" + (dir / "secret3").string() +
                                         R"(
        client_secret_file: )" + (dir / "secret4").string() +
                                         R"(
        token_url: https://auth.example.test/token
)"),
                                    "t.yaml", env);
    REQUIRE(c.accounts.size() == 2);
    CHECK(std::get<cfg::oauth1_credentials>(c.accounts[0].auth) ==
          cfg::oauth1_credentials{"env-key", "file-secret", "env-token", "two-newlines\n"});
    const auto& o2 = std::get<cfg::oauth2_credentials>(c.accounts[1].auth);
    CHECK(o2.client_id == "crlf");
    CHECK(o2.client_secret == "no-newline");
    CHECK_FALSE(o2.scope.has_value());
  }

  TEST_CASE("process_environment reads the real environment") {
    const char* path = std::getenv("PATH");
    REQUIRE(path != nullptr);
    CHECK(cfg::process_environment().get("PATH") == std::string(path));
    CHECK_FALSE(cfg::process_environment().get("LPDA_SURELY_UNSET_VARIABLE_9f3b").has_value());
    const auto env = cfg::environment::from_map({{"A", "1"}});
    CHECK(env.get("A") == "1");
    CHECK_FALSE(env.get("PATH").has_value());
  }

  TEST_CASE("an unset ENV variable is an error naming it") {
    const auto d = only_diagnostic(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: ${LP_APP_KEY}
        app_secret: s
        access_token: t
        access_token_secret: u
)"));
    check_diag(d, "accounts[0].auth.oauth1.app_key", 7, 18,
               "environment variable LP_APP_KEY is not set");
    const auto empty = only_diagnostic(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1: {app_key: k, app_secret: s, access_token: "${EMPTY}", access_token_secret: u}
)"),
                                       cfg::environment::from_map({{"EMPTY", ""}}));
    check_diag(empty, "accounts[0].auth.oauth1.access_token", 6, 57,
               "environment variable EMPTY is empty");
  }

  TEST_CASE("an unreadable secret file is an error naming the key and the path") {
    lpda::test::temp_dir dir;
    const std::string missing = (dir / "no-such-file").string();
    lpda::test::write_file(dir / "empty", "\n");
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: k
        app_secret_file: )" + missing + R"(
        access_token: t
        access_token_secret_file: )" + (dir / "empty").string() +
                                       R"(
)"));
    REQUIRE(d.size() == 2);
    check_diag(d[0], "accounts[0].auth.oauth1.app_secret_file", 8, 26,
               "cannot read app_secret_file \"" + missing + "\": no such file");
    check_diag(d[1], "accounts[0].auth.oauth1.access_token_secret_file", 10, 35,
               "cannot read access_token_secret_file \"" + (dir / "empty").string() +
                   "\": the file is empty (write the secret into it, without quotes)");
  }

  TEST_CASE("a secret file says whether it is missing as a systemd credential or unreadable") {
    lpda::test::temp_dir dir;
    const auto locked = dir / "locked";
    lpda::test::write_file(locked, "s3cret\n");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: k
        app_secret_file: /run/credentials/lpda-sync.service/app_secret
        access_token: t
        access_token_secret_file: )" + locked.string() +
                                       R"(
)"));
    check_diag(d.at(0), "accounts[0].auth.oauth1.app_secret_file", 8, 26,
               "cannot read app_secret_file \"/run/credentials/lpda-sync.service/app_secret\": no "
               "such file (systemd credentials exist only inside the service; from a shell, "
               "check with validate-config --no-secrets)");
    // As root every file is readable: the unreadable case is then checked as nobody (65534), in
    // a child process that drops its uid and sends the message back through a pipe.
    std::string message;
    uid_t reader = ::geteuid();
    if (reader != 0) {
      REQUIRE(d.size() == 2);
      message = d[1].message;
    } else {
      reader = 65534;
      std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                                   std::filesystem::perms::group_exec |
                                                   std::filesystem::perms::others_exec);
      message = lpda::test::run_as(65534, 65534, [&] {
        try {
          cfg::load_string(
              "database: d.db\naccounts: [{id: \"1\", region: us, auth: {oauth1: "
              "{app_key: k, app_secret: s, access_token: t, "
              "access_token_secret_file: " +
                  locked.string() + "}}}]\n",
              "c.yaml", no_env());
          return std::string("loaded");
        } catch (const cfg::config_error& e) {
          return e.diagnostics().at(0).message;
        }
      });
    }
    const auto name_of = [](uid_t uid) {
      const passwd* pw = ::getpwuid(uid);
      const std::string id = "uid " + std::to_string(uid);
      return pw != nullptr ? "user " + std::string(pw->pw_name) + " (" + id + ")" : id;
    };
    CHECK(message == "cannot read access_token_secret_file \"" + locked.string() +
                         "\": permission denied: lpda-sync runs as " + name_of(reader) +
                         ", the file is mode 0000 owned by " + name_of(::geteuid()));
  }

  TEST_CASE("secret files that are directories or too large are errors") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "big", std::string(64 * 1024 + 1, 'x'));
    lpda::test::write_file(dir / "max", std::string(64 * 1024, 'y') + "\n");
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key_file: )" + dir.path().string() +
                                       R"(
        app_secret_file: /dev/zero
        access_token_file: )" + (dir / "big").string() +
                                       R"(
        access_token_secret: u
)"));
    REQUIRE(d.size() == 3);
    check_diag(d[0], "accounts[0].auth.oauth1.app_key_file", 7, 23, "a directory");
    check_diag(d[1], "accounts[0].auth.oauth1.app_secret_file", 8, 26, "is larger than 64KiB");
    check_diag(d[2], "accounts[0].auth.oauth1.access_token_file", 9, 28, "is larger than 64KiB");
    const auto c = cfg::load_string(
        yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth: {oauth1: {app_key: k, app_secret_file: ")" +
             (dir / "max").string() + R"(", access_token: t, access_token_secret: u}}
)"),
        "t", no_env());
    CHECK(std::get<cfg::oauth1_credentials>(c.accounts.at(0).auth).app_secret ==
          std::string(64 * 1024, 'y'));
  }

  TEST_CASE("giving both x and x_file or neither is an error") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: k
        app_secret: s
        app_secret_file: /etc/hostname
        access_token: t
)"));
    REQUIRE(d.size() == 2);
    check_diag(d[0], "accounts[0].auth.oauth1.access_token_secret", 7, 9,
               "missing: give access_token_secret (inline or ${ENV_VAR}) or "
               "access_token_secret_file");
    check_diag(d[1], "accounts[0].auth.oauth1.app_secret_file", 9, 9,
               "give either app_secret or app_secret_file, not both");
  }

  TEST_CASE("secrets never appear in error messages") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "s", "FILE-S3CRET-VALUE\n");
    const auto env = cfg::environment::from_map({{"TOKEN", "ENV-S3CRET-VALUE"}});
    const std::string what = what_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1:
        app_key: INLINE-S3CRET-VALUE
        app_secret_file: )" + (dir / "s").string() +
                                          R"(
        app_secret: SECOND-S3CRET-VALUE
        access_token: ${TOKEN}
        access_token_secret: "${BROKEN-S3CRET-VALUE"
        unknown_key: UNKNOWN-S3CRET-VALUE
  - id: "1"
    region: us
    auth: {oauth1: {app_key: INLINE2-S3CRET-VALUE, app_secret: [LIST-S3CRET-VALUE]}}
)"),
                                     env);
    CHECK(what.find("S3CRET") == std::string::npos);
    CHECK(what.find("not a ${NAME} reference") != std::string::npos);
    CHECK(what.find("unknown key") != std::string::npos);
    CHECK(what.find("duplicate account id \"1\"") != std::string::npos);
  }

  // --- each error class: path, line and column ---------------------------------------------

  TEST_CASE("unknown keys at every level") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
databse: typo.db
client: {io_timeout: 1s, iotimeout: 2s}
defaults:
  poll: 1m
accounts:
  - id: "1"
    region: us
    colour: blue
    auth:
      oauth3: {}
)"));
    REQUIRE(d.size() == 6);
    check_diag(d[0], "databse", 2, 1, "unknown key (expected one of: database, store, log");
    check_diag(d[1], "client.iotimeout", 3, 26, "unknown key");
    check_diag(d[2], "defaults.poll", 5, 3, "unknown key");
    check_diag(d[3], "accounts[0].colour", 9, 5, "unknown key");
    check_diag(d[4], "accounts[0].auth.oauth3", 11, 7,
               "unknown key (expected one of: oauth1, oauth2)");
    check_diag(d[5], "accounts[0].auth", 11, 7, "give exactly one of oauth1, oauth2");
  }

  TEST_CASE("wrong types") {
    const auto d = diagnostics_of(yaml(R"(
database: [a, b]
store: normal
log: {level: [info]}
retry: {max_attempts: four, delays: 5s}
client: {allow_insecure_http: yes, max_per_host: 2.5}
accounts:
  - id: {x: 1}
    region: us
    auth: {oauth1: {app_key: {a: b}, app_secret: s, access_token: t, access_token_secret: u}}
)"));
    REQUIRE(d.size() == 9);
    check_diag(d[0], "database", 1, 11, "expected a string, got a list");
    check_diag(d[1], "store", 2, 8, "expected a mapping, got a scalar");
    check_diag(d[2], "log.level", 3, 14, "expected a name, got a list");
    check_diag(d[3], "retry.max_attempts", 4, 23, "expected a whole number, got \"four\"");
    check_diag(d[4], "retry.delays", 4, 37, "expected a list, got a scalar");
    check_diag(d[5], "client.allow_insecure_http", 5, 31, "expected true or false, got \"yes\"");
    check_diag(d[6], "client.max_per_host", 5, 50, "expected a whole number, got \"2.5\"");
    check_diag(d[7], "accounts[0].id", 7, 9, "expected an account id, got a mapping");
    check_diag(d[8], "accounts[0].auth.oauth1.app_key", 9, 30, "expected a string, got a mapping");
  }

  TEST_CASE("bad durations and sizes and dates and enum values") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
log: {level: verbose, format: xml}
store: {synchronous: off}
client: {io_timeout: 60}
retry: {delays: [5s, 10 s]}
decode: {max_inflated_bytes: 4GB, max_document_bytes: 0, read_ahead_batches: 65}
defaults: {initial_start: 2026-01-01T00:00:00, overlap: -1h}
accounts:
  - {id: "1", region: eu, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    REQUIRE(d.size() == 11);
    check_diag(d[0], "log.level", 2, 14,
               "expected one of trace, debug, info, warn, error, off, got \"verbose\"");
    check_diag(d[1], "log.format", 2, 31, "expected one of text, json, got \"xml\"");
    check_diag(d[2], "store.synchronous", 3, 22, "expected one of normal, full, got \"off\"");
    check_diag(d[3], "client.io_timeout", 4, 22, "has no unit");
    check_diag(d[4], "retry.delays[1]", 5, 22, "duration \"10 s\" has an unknown unit");
    check_diag(d[5], "decode.max_inflated_bytes", 6, 30, "write \"4GiB\"");
    check_diag(d[6], "decode.max_document_bytes", 6, 55, "must be at least 1, got \"0\"");
    check_diag(d[7], "decode.read_ahead_batches", 6, 78, "65");
    check_diag(d[8], "defaults.initial_start", 7, 27, "needs a zone");
    check_diag(d[9], "defaults.overlap", 7, 57, "bad duration \"-1h\"");
    check_diag(d[10], "accounts[0].region", 9, 23, "expected one of us, uk, apac, got \"eu\"");
  }

  TEST_CASE("numbers out of range and file_mode and listen") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
listen: 127.0.0.1
store:
  file_mode: "0644"
retry:
  max_attempts: 0
client:
  max_concurrent_downloads: 100000
  connect_timeout: 0s
defaults:
  quarantine_after: 0
accounts:
  - {id: "1", region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    REQUIRE(d.size() == 5);
    check_diag(d[0], "listen", 2, 9, "expected host:port");
    check_diag(d[1], "retry.max_attempts", 6, 17, "\"0\" is out of range 1–100");
    check_diag(d[2], "client.max_concurrent_downloads", 8, 29, "out of range 1–1024");
    check_diag(d[3], "client.connect_timeout", 9, 20, "must be at least 1ms, got \"0s\"");
    check_diag(d[4], "defaults.quarantine_after", 11, 21, "out of range 1–1000");
    // 0644 is fine (the loader accepted it, no diagnostic for store.file_mode).

    for (const std::string bad : {"\"0777\"", "\"0400\"", "\"0666\"", "\"0700\"", "\"0800\"",
                                  "\"06000\"", "\"0602\"", "\"rw\"", "1234", "\"\"", "[0600]"}) {
      CAPTURE(bad);
      const auto diags = diagnostics_of("database: d\nstore: {file_mode: " + std::string(bad) +
                                        "}\n" + minimal.substr(minimal.find("accounts:")));
      std::string messages;
      for (const auto& x : diags) messages += x.path + ": " + x.message + "\n";
      CAPTURE(messages);
      REQUIRE(diags.size() == 1);
      CHECK(diags[0].path == "store.file_mode");
    }
    for (const auto& [text, mode] : std::vector<std::pair<std::string, unsigned>>{
             {"0600", 0600}, {"600", 0600}, {"0660", 0660}, {"0640", 0640}, {"0644", 0644}}) {
      CAPTURE(text);
      CHECK(cfg::load_string("store: {file_mode: " + text + "}\n" + minimal, "t", no_env())
                .store.file_mode == mode);
    }
  }

  TEST_CASE("missing required keys") {
    const auto d = diagnostics_of(yaml(R"(
log: {level: info}
accounts:
  - region: us
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
  - id: "2"
    auth: {}
  - id: "3"
    region: us
)"));
    REQUIRE(d.size() == 5);
    check_diag(d[0], "database", 1, 1, "missing");
    check_diag(d[1], "accounts[0].id", 3, 5, "missing: the LivePerson account id is required");
    check_diag(d[2], "accounts[1].region", 5, 5,
               "missing: give region (us, uk, apac), domain or base_url");
    check_diag(d[3], "accounts[1].auth", 6, 11, "give exactly one of oauth1, oauth2");
    check_diag(d[4], "accounts[2].auth", 7, 5, "missing: give auth with oauth1 or oauth2");

    check_diag(only_diagnostic("database: d.db\n"), "accounts", 1, 1, "list at least one account");
    check_diag(only_diagnostic("database: d.db\naccounts: []\n"), "accounts", 2, 11,
               "must not be empty");
    check_diag(only_diagnostic(""), "", 1, 1, "the configuration is empty");
    check_diag(only_diagnostic("# only a comment\n"), "", 1, 1, "the configuration is empty");
  }

  TEST_CASE("auth with both oauth1 and oauth2, and the oauth2 token host checks") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - id: "1"
    region: us
    auth:
      oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}
      oauth2: {client_id: c, client_secret: s, token_url: "https://a.example.test/t"}
  - id: "2"
    domain: va.da.liveperson.net
    auth:
      oauth2: {client_id: c, client_secret: s, token_host: region}
  - {id: "3", region: us, auth: {oauth2: {client_id: c, client_secret: s, token_host: evil.example.com}}}
  - {id: "4", region: us, auth: {oauth2: {client_id: c, client_secret: s, token_url: "https://a.example.test/t", token_host: csds}}}
  - {id: "5", region: us, auth: {oauth2: {client_id: c, client_secret: s, token_host: region, csds_url: "https://api.liveperson.net"}}}
  - {id: "6", region: us, auth: {oauth2: {client_id: c, client_secret: s, client_auth: header}}}
  - {id: "7", region: us, auth: {oauth2: {client_id: c, client_secret: s, csds_url: "http://csds.example.test"}}}
  - {id: "8", region: us, auth: {oauth2: {client_id: c, client_secret: s, token_host: "bad host"}}}
)"));
    REQUIRE(d.size() == 8);
    check_diag(d[0], "accounts[0].auth.oauth2", 7, 7, "give exactly one of oauth1, oauth2");
    check_diag(d[1], "accounts[1].auth.oauth2.token_host", 11, 60,
               "\"region\" needs the account's region (us, uk, apac)");
    check_diag(d[2], "accounts[2].auth.oauth2.token_host", 12, 87,
               "\"evil.example.com\" is not under .sentinel.liveperson.net");
    check_diag(d[3], "accounts[3].auth.oauth2.token_host", 13, 114,
               "token_url names the token endpoint itself");
    check_diag(d[4], "accounts[4].auth.oauth2.csds_url", 14, 105,
               "is used only with token_host: csds");
    check_diag(d[5], "accounts[5].auth.oauth2.client_auth", 15, 88,
               "expected one of body, basic, got \"header\"");
    check_diag(d[6], "accounts[6].auth.oauth2.csds_url", 16, 85, "allow_insecure_http");
    check_diag(d[7], "accounts[7].auth.oauth2.token_host", 17, 87,
               "expected csds, region or a host name");
  }

  TEST_CASE("oauth2 with only client_id and client_secret is LivePerson's flow: CSDS, form body") {
    const auto c = cfg::load_string(yaml(R"(
database: d.db
accounts:
  - {id: "1", region: uk, auth: {oauth2: {client_id: c, client_secret: s}}}
  - {id: "2", region: uk, auth: {oauth2: {client_id: c, client_secret: s, token_host: region}}}
  - {id: "3", region: uk, auth: {oauth2: {client_id: c, client_secret: s, token_host: "lo.sentinel.liveperson.net", client_auth: basic}}}
  - {id: "4", region: uk, auth: {oauth2: {client_id: c, client_secret: s, csds_url: "http://127.0.0.1:9000/"}}}
  - {id: "5", region: uk, auth: {oauth2: {client_id: c, client_secret: s, token_url: "https://auth.example.test/t"}}}
  - {id: "6", region: uk, auth: {oauth2: {client_id: c, client_secret: s, token_url: "https://auth.example.test/t", client_auth: body}}}
)"),
                                    "t.yaml", no_env());
    REQUIRE(c.accounts.size() == 6);
    const auto o2 = [&c](std::size_t i) {
      return std::get<cfg::oauth2_credentials>(c.accounts.at(i).auth);
    };
    CHECK(o2(0).token_url.empty());
    CHECK(o2(0).token_host == cfg::token_host_kind::csds);
    CHECK(o2(0).csds_url == "https://api.liveperson.net");
    CHECK(o2(0).auth == cfg::client_auth::body);
    CHECK(o2(1).token_host == cfg::token_host_kind::region);
    CHECK(o2(1).auth == cfg::client_auth::body);
    CHECK(o2(2).token_host == cfg::token_host_kind::host);
    CHECK(o2(2).token_host_name == "lo.sentinel.liveperson.net");
    CHECK(o2(2).auth == cfg::client_auth::basic);
    CHECK(o2(3).csds_url == "http://127.0.0.1:9000");  // loopback http is fine; slash dropped
    // An explicit token_url keeps today's behaviour (HTTP Basic) unless told otherwise.
    CHECK(o2(4).auth == cfg::client_auth::basic);
    CHECK(o2(5).auth == cfg::client_auth::body);
  }

  TEST_CASE("duplicate account ids and duplicate keys") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
database: e.db
accounts:
  - {id: "7", region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: 8, region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: 7, region: uk, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: "08", region: uk, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    REQUIRE(d.size() == 2);
    check_diag(d[0], "database", 2, 1, "duplicate key (first given at line 1)");
    check_diag(d[1], "accounts[2].id", 6, 10, "duplicate account id \"7\" (first given at line 4)");
  }

  TEST_CASE("unsupported data types list what is supported") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
defaults:
  data_types: [agentActivity, engagement]
accounts:
  - id: "1"
    region: us
    data_types: [agentActivity, agentActivity]
    auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}
  - {id: "2", region: us, data_types: [], auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    REQUIRE(d.size() == 3);
    check_diag(d[0], "defaults.data_types[1]", 3, 31,
               "unsupported data type \"engagement\" (supported: agentActivity)");
    check_diag(d[1], "accounts[0].data_types[1]", 7, 33, "listed twice");
    check_diag(d[2], "accounts[1].data_types", 9, 39, "must not be empty");
  }

  TEST_CASE("base_url and domain and token_url and allowed_hosts are checked") {
    const auto d = diagnostics_of(yaml(R"(
database: d.db
accounts:
  - {id: a, base_url: "https://va.da.liveperson.net/data_access_le", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: b, base_url: "http://emulator.example.test:8080", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: c, base_url: "ftp://127.0.0.1", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: d, base_url: "https://user:pw@127.0.0.1", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: e, base_url: "https://127.0.0.1:0", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: f, domain: "https://va.da.liveperson.net", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: g, region: us, allowed_hosts: ["bad host"], auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: h, region: us, auth: {oauth2: {client_id: c, client_secret: s, token_url: "http://auth.example.test/token"}}}
  - {id: k, base_url: "http://127.example.test", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: l, base_url: "http://localhost:1/", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: m, base_url: "http://127.1.2.3", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: "i j", region: us, auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    REQUIRE(d.size() == 10);
    check_diag(d[0], "accounts[0].base_url", 3, 23, "without a path, query or fragment");
    check_diag(d[1], "accounts[1].base_url", 4, 23, "needs client.allow_insecure_http: true");
    check_diag(d[2], "accounts[2].base_url", 5, 23, "the scheme must be http or https");
    check_diag(d[3], "accounts[3].base_url", 6, 23, "must not contain user information");
    CHECK(d[3].message.find("pw") == std::string::npos);
    check_diag(d[4], "accounts[4].base_url", 7, 23, "the port must be 1–65535");
    check_diag(d[5], "accounts[5].domain", 8, 21, "expected a host name");
    check_diag(d[6], "accounts[6].allowed_hosts[0]", 9, 41, "expected a host name");
    check_diag(d[7], "accounts[7].auth.oauth2.token_url", 10, 84, "allow_insecure_http");
    check_diag(d[8], "accounts[8].base_url", 11, 23, "needs client.allow_insecure_http: true");
    check_diag(d[9], "accounts[11].id", 14, 10, "must be 1–64 letters, digits, - or _");
  }

  TEST_CASE("127.1 is loopback as the resolver reads it and 127.999.1.1 is not an address") {
    // The client sends to what this accepts (http_integration_test "... written as 127.1 ...").
    const auto c = cfg::load_string(yaml(R"(
database: d.db
accounts:
  - {id: a, base_url: "http://127.1:8080", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
  - {id: b, base_url: "http://2130706433:8080", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"),
                                    "t.yaml", no_env());
    CHECK(cfg::effective_base_url(c.accounts[0]) == "http://127.1:8080");
    CHECK(cfg::effective_base_url(c.accounts[1]) == "http://2130706433:8080");
    const auto d = only_diagnostic(yaml(R"(
database: d.db
accounts:
  - {id: a, base_url: "http://127.999.1.1:8080", auth: {oauth1: {app_key: k, app_secret: s, access_token: t, access_token_secret: u}}}
)"));
    check_diag(d, "accounts[0].base_url", 3, 23, "needs client.allow_insecure_http: true");
  }

  TEST_CASE("a tab in indentation is named with its line and column") {
    const std::string text =
        "database: d.db\n"
        "accounts:\n"
        "  - id: \"1\"\n"
        "\tregion: us\n"
        "  \t\n"  // a blank line: yaml-cpp refuses its tab as well
        "    auth: {oauth1: {app_key: k,\tapp_secret: s, access_token: t, "
        "access_token_secret: u}}\n"  // a tab after content is YAML separation, allowed
        "  \t# a comment line may have tabs\n"
        "defaults:\n"
        "  \t enabled: true\n";
    const auto d = diagnostics_of(text);
    REQUIRE(d.size() == 3);
    check_diag(d[0], "", 4, 1, "tabs are not allowed for indentation in YAML; use spaces");
    check_diag(d[1], "", 5, 3, "tabs are not allowed for indentation in YAML; use spaces");
    check_diag(d[2], "", 9, 3, "tabs are not allowed for indentation in YAML; use spaces");
    CHECK(d[0].message == "tabs are not allowed for indentation in YAML; use spaces");
    // Spaces instead: the same text loads.
    std::string fixed = text;
    fixed.replace(fixed.find("\tregion"), 1, "    ");
    fixed.replace(fixed.find("  \t enabled"), 4, "  ");
    fixed.replace(fixed.find("  \t\n"), 4, "\n");
    CHECK_NOTHROW(cfg::load_string(fixed, "test.yaml", no_env()));
  }

  TEST_CASE("a YAML syntax error is one diagnostic with its position") {
    const auto d = only_diagnostic(yaml(R"(
database: d.db
accounts: [{id: "1", region: us}
)"));
    CHECK(d.path.empty());
    CHECK(d.line == 3);
    CHECK(d.message.find("YAML syntax error") != std::string::npos);
    check_diag(only_diagnostic("database: d\n---\ndatabase: e\n"), "", 3, 1,
               "expected one YAML document, found 2");
    check_diag(only_diagnostic("- a\n- b\n"), "", 1, 1, "expected a mapping, got a list");
  }

  TEST_CASE("several errors are reported at once in file order in what()") {
    const auto path = lpda::test::data_dir() / "config/many_errors.yaml";
    try {
      cfg::load_file(path, no_env());
      FAIL("many_errors.yaml loaded");
    } catch (const cfg::config_error& e) {
      const auto& d = e.diagnostics();
      REQUIRE(d.size() == 7);
      check_diag(d[0], "log.format", 4, 11, "got \"yaml\"");
      check_diag(d[1], "client.io_timeout", 6, 15, "has no unit");
      check_diag(d[2], "client.retries", 7, 3, "unknown key");
      check_diag(d[3], "accounts[0].auth.oauth1.app_key", 13, 18, "LP_APP_KEY is not set");
      check_diag(d[4], "accounts[0].poll_interval", 17, 20, "unknown unit \"min\"");
      check_diag(d[5], "accounts[1].auth", 18, 5, "missing");
      check_diag(d[6], "accounts[1].id", 18, 9, "duplicate account id \"12345678\"");
      const std::string f = path.string();
      std::istringstream lines(e.what());
      std::string first;
      std::getline(lines, first);
      CHECK(first == f + ":4:11: log.format: expected one of text, json, got \"yaml\"");
      int count = 1;
      for (std::string l; std::getline(lines, l);) {
        CHECK(l.rfind(f + ":", 0) == 0);
        ++count;
      }
      CHECK(count == 7);
    }
  }

  TEST_CASE("a missing or unreadable file sets file_unreadable") {
    lpda::test::temp_dir dir;
    const std::pair<std::filesystem::path, std::string> cases[] = {
        {dir / "nope.yaml", "no such file (give another with --config FILE)"},
        {dir.path(), "it is a directory"}};
    for (const auto& [p, why] : cases) {
      try {
        cfg::load_file(p, no_env());
        FAIL("loaded");
      } catch (const cfg::config_error& e) {
        CHECK(e.file_unreadable());
        REQUIRE(e.diagnostics().size() == 1);
        CHECK(std::string(e.what()) == p.string() + ": cannot read the configuration file: " + why);
      }
    }
  }

  // --- to_yaml ---------------------------------------------------------------------------------

  TEST_CASE("to_yaml round trip is equal except literal secrets which are redacted") {
    lpda::test::temp_dir dir;
    lpda::test::write_file(dir / "secret", "from-a-file\n");
    // The database's directory must exist; its name and the file's need quoting in YAML.
    std::filesystem::create_directory(dir / "lpda sync");
    const std::string database = (dir / "lpda sync" / "db: one.db").string();
    const auto env = cfg::environment::from_map({{"K", "from-env"}});
    const std::string text = yaml(R"(
database: ")" + database + R"("
store: {synchronous: full, file_mode: "0640"}
log: {level: trace, format: json}
listen: ""
client: {io_timeout: 1500ms, max_per_host: 1, allow_insecure_http: true}
retry: {max_attempts: 2, delays: [1s, 45m], max_retry_after: 0}
decode: {max_inflated_bytes: 1000, max_document_bytes: 3KiB}
defaults: {initial_start: "2016-04-23T01:00:00.250-04:00", overlap: 0, enabled: false}
accounts:
  - id: 012
    region: us
    enabled: true
    auth:
      oauth1:
        app_key: ${K}
        app_secret_file: )" + (dir / "secret").string() +
                                  R"(
        access_token: "true"
        access_token_secret: "x: y"
  - id: "true"
    base_url: http://emulator.example.test:8080
    allowed_hosts: ["*.example.test"]
    initial_start: 36h
    data_types: [agentActivity]
    auth: {oauth2: {client_id: c, client_secret: s, token_url: "https://a.example.test/t?x=1", scope: "a b"}}
  - id: z
    domain: lo.da.liveperson.net
    auth: {oauth2: {client_id: c, client_secret: s, token_url: "https://a.example.test/t"}}
  - {id: y, region: apac, auth: {oauth2: {client_id: c, client_secret: s, csds_url: "http://127.0.0.1:9"}}}
  - {id: x, region: apac, auth: {oauth2: {client_id: c, client_secret: s, token_host: region, client_auth: basic}}}
  - {id: w, region: apac, auth: {oauth2: {client_id: c, client_secret: s, token_host: "127.0.0.1:8443"}}}
)");
    const cfg::config original = cfg::load_string(text, "orig.yaml", env);
    const std::string printed = cfg::to_yaml(original);
    CAPTURE(printed);
    for (const char* secret : {"from-env", "from-a-file", "x: y", "client_secret: \"s\""}) {
      CHECK(printed.find(secret) == std::string::npos);
    }
    CHECK(printed.find("\"***\"") != std::string::npos);
    // References are not secrets: a *_file path and a ${NAME} are shown as written.
    CHECK(printed.find("app_secret_file: \"" + (dir / "secret").string() + "\"") !=
          std::string::npos);
    CHECK(printed.find("app_key: \"${K}\"") != std::string::npos);
    CHECK(original.accounts.at(0).credential_origins ==
          std::map<std::string, std::string>{{"app_key", "env:K"},
                                             {"app_secret", "file:" + (dir / "secret").string()},
                                             {"access_token", "inline"},
                                             {"access_token_secret", "inline"}});

    // The placeholders are refused, each naming its key, until the secrets are filled in.
    try {
      cfg::load_string(printed, "orig.yaml", env);
      FAIL("printed text with *** placeholders loaded");
    } catch (const cfg::config_error& e) {
      std::vector<std::string> paths;
      for (const auto& d : e.diagnostics()) {
        paths.push_back(d.path);
        CHECK(d.message.find("replace *** with the secret") != std::string::npos);
        CHECK(d.line > 0);
      }
      std::vector<std::string> want{"accounts[0].auth.oauth1.access_token",
                                    "accounts[0].auth.oauth1.access_token_secret"};
      for (int i = 1; i <= 5; ++i) {  // the OAuth 2.0 accounts "true", z, y, x, w
        want.push_back("accounts[" + std::to_string(i) + "].auth.oauth2.client_id");
        want.push_back("accounts[" + std::to_string(i) + "].auth.oauth2.client_secret");
      }
      CHECK(paths == want);
    }
    std::string filled = printed;
    for (auto at = filled.find("\"***\""); at != std::string::npos; at = filled.find("\"***\""))
      filled.replace(at, 5, "\"filled\"");
    const cfg::config reloaded = cfg::load_string(filled, "orig.yaml", env);
    cfg::config expected = original;
    for (auto& a : expected.accounts) {
      if (auto* o1 = std::get_if<cfg::oauth1_credentials>(&a.auth)) {
        *o1 = cfg::oauth1_credentials{"from-env", "from-a-file", "filled", "filled"};
      } else {
        auto& o2 = std::get<cfg::oauth2_credentials>(a.auth);
        o2.client_id = o2.client_secret = "filled";
      }
    }
    CHECK(reloaded == expected);
    // Spot checks that the first load read what was written (so equality is not vacuous).
    CHECK(original.database == database);
    CHECK(original.accounts.at(0).id == "012");
    CHECK(original.accounts.at(1).id == "true");
    CHECK(original.defaults.initial_start == cfg::start_point{cfg::absolute_time{1461387600250}});
    CHECK(original.client.io_timeout == 1500ms);
    CHECK(original.retry.delays == std::vector<std::chrono::milliseconds>{1s, 45min});
    CHECK(reloaded.accounts.at(1).initial_start ==
          cfg::start_point{std::chrono::milliseconds{36h}});
    CHECK(reloaded.accounts.at(2).enabled == false);
    CHECK(std::get<cfg::oauth2_credentials>(reloaded.accounts.at(1).auth).token_url ==
          "https://a.example.test/t?x=1");

    // The printed default config with every key: tests/unit/cli/compose_test.cpp.
  }
}

TEST_SUITE("config") {
  TEST_CASE("secrets syntax_only reads no environment variable and no secret file") {
    const std::string text = yaml(R"(
database: /tmp/x.db
accounts:
  - id: "7"
    region: us
    auth:
      oauth1:
        app_key: ${LP_UNSET_FOR_TEST}
        app_secret_file: /nonexistent/app_secret
        access_token: t
        access_token_secret: s
)");
    CHECK_THROWS_AS(cfg::load_string(text, "t.yaml", no_env()), cfg::config_error);
    const auto c = cfg::load_string(text, "t.yaml", no_env(), cfg::secrets::syntax_only);
    const auto& o = std::get<cfg::oauth1_credentials>(c.accounts.at(0).auth);
    CHECK(o.app_key == "${LP_UNSET_FOR_TEST}");
    CHECK(o.app_secret == "/nonexistent/app_secret");
    CHECK(o.access_token == "t");
    // Form is still checked: both forms of one credential is an error either way.
    const std::string both = yaml(R"(
database: /tmp/x.db
accounts:
  - id: "7"
    region: us
    auth: {oauth1: {app_key: a, app_key_file: /x, app_secret: b, access_token: c, access_token_secret: d}}
)");
    CHECK_THROWS_AS(cfg::load_string(both, "t.yaml", no_env(), cfg::secrets::syntax_only),
                    cfg::config_error);
  }
}

TEST_SUITE("config") {
  TEST_CASE("poll_interval and max_window have floors that keep a typo from flooding the API") {
    const auto d1 = only_diagnostic(yaml(R"(
database: /tmp/x.db
defaults: {max_window: 1ms}
accounts:
  - {id: "1", region: us, auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}}
)"));
    CHECK(d1.path == "defaults.max_window");
    CHECK(d1.message == "must be at least 60s, got \"1ms\"");
    const auto d2 = only_diagnostic(yaml(R"(
database: /tmp/x.db
defaults: {poll_interval: 10ms}
accounts:
  - {id: "1", region: us, auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}}
)"));
    CHECK(d2.path == "defaults.poll_interval");
    CHECK(d2.message == "must be at least 1s, got \"10ms\"");
  }
}

TEST_SUITE("config") {
  TEST_CASE("every duration key has a ceiling and an error names key and line and column") {
    // Each value is one unit past its key's ceiling (or far past it); the positions are those of
    // the values in the text below.
    const auto d = diagnostics_of(yaml(R"(
database: /tmp/x.db
client:
  connect_timeout: 61m
  tls_handshake_timeout: 3601s
  io_timeout: 9223372036854775807ms
  request_timeout: 25h
retry:
  delays: [5s, 3600001ms]
  max_retry_after: 2h
defaults:
  poll_interval: 9223372036854775807ms
  overlap: 31d
  max_window: 300000000d
  initial_start: 721h
  backoff_max: 8d
accounts:
  - id: "1"
    region: us
    poll_interval: 169h
    overlap: 2592000001ms
    max_window: 43201m
    initial_start: 99999999999999999999d
    backoff_max: 10081m
    auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}
)"));
    REQUIRE(d.size() == 16);
    check_diag(d[0], "client.connect_timeout", 3, 20, "must be at most 1h, got \"61m\"");
    check_diag(d[1], "client.tls_handshake_timeout", 4, 26, "must be at most 1h, got \"3601s\"");
    check_diag(d[2], "client.io_timeout", 5, 15,
               "must be at most 1h, got \"9223372036854775807ms\"");
    check_diag(d[3], "client.request_timeout", 6, 20, "must be at most 24h, got \"25h\"");
    check_diag(d[4], "retry.delays[1]", 8, 16, "must be at most 1h, got \"3600001ms\"");
    check_diag(d[5], "retry.max_retry_after", 9, 20, "must be at most 1h, got \"2h\"");
    check_diag(d[6], "defaults.poll_interval", 11, 18,
               "must be at most 7d, got \"9223372036854775807ms\" (LivePerson deletes files 30 "
               "days after");
    check_diag(d[7], "defaults.overlap", 12, 12, "must be at most 30d, got \"31d\"");
    check_diag(d[8], "defaults.max_window", 13, 15, "must be at most 30d, got \"300000000d\"");
    check_diag(d[9], "defaults.initial_start", 14, 18, "must be at most 30d, got \"721h\"");
    check_diag(d[10], "defaults.backoff_max", 15, 16, "must be at most 7d, got \"8d\"");
    check_diag(d[11], "accounts[0].poll_interval", 19, 20, "must be at most 7d, got \"169h\"");
    check_diag(d[12], "accounts[0].overlap", 20, 14, "must be at most 30d, got \"2592000001ms\"");
    check_diag(d[13], "accounts[0].max_window", 21, 17, "must be at most 30d, got \"43201m\"");
    check_diag(d[14], "accounts[0].initial_start", 22, 20,
               "duration \"99999999999999999999d\" is too large");
    check_diag(d[15], "accounts[0].backoff_max", 23, 18, "must be at most 7d, got \"10081m\"");
  }

  TEST_CASE("each duration key accepts exactly its ceiling") {
    const auto c = cfg::load_string(yaml(R"(
database: /tmp/x.db
client: {connect_timeout: 1h, tls_handshake_timeout: 60m, io_timeout: 3600s, request_timeout: 24h}
retry: {delays: [0, 3600000ms], max_retry_after: 1h}
defaults: {poll_interval: 7d, overlap: 30d, max_window: 720h, initial_start: 30d, backoff_max: 168h}
accounts:
  - {id: "1", region: us, auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}}
)"),
                                    "test.yaml", no_env());
    CHECK(c.client.connect_timeout == 1h);
    CHECK(c.client.tls_handshake_timeout == 1h);
    CHECK(c.client.io_timeout == 1h);
    CHECK(c.client.request_timeout == 24h);
    CHECK(c.retry.delays == std::vector<std::chrono::milliseconds>{0ms, 1h});
    CHECK(c.retry.max_retry_after == 1h);
    REQUIRE(c.accounts.size() == 1);
    const auto& a = c.accounts[0];
    CHECK(a.poll_interval == 7 * 24h);
    CHECK(a.overlap == 30 * 24h);
    CHECK(a.max_window == 30 * 24h);
    CHECK(a.initial_start == cfg::start_point{std::chrono::milliseconds{30 * 24h}});
    CHECK(a.backoff_max == 7 * 24h);
  }

  TEST_CASE("initial_start as a date has no ceiling: past and future dates load as given") {
    const auto c = cfg::load_string(yaml(R"(
database: /tmp/x.db
accounts:
  - {id: "1", region: us, initial_start: 1970-01-02, auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}}
  - {id: "2", region: us, initial_start: 9999-12-31T23:59:59Z, auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}}
)"),
                                    "test.yaml", no_env());
    REQUIRE(c.accounts.size() == 2);
    CHECK(c.accounts[0].initial_start == cfg::start_point{cfg::absolute_time{86'400'000}});
    // 9999-12-31T23:59:59Z: one second before 10000-01-01, 2932897 days after the epoch.
    CHECK(c.accounts[1].initial_start ==
          cfg::start_point{cfg::absolute_time{2'932'897LL * 86'400'000 - 1'000}});
  }
}

namespace {

// The YAML of `minimal` with `log.format` given as `value` (YAML text, quoted or block).
std::string with_log_format(const std::string& value) {
  return "log:\n  format: " + value + "\n" + minimal;
}

// True when every byte is printable ASCII or part of a UTF-8 multi-byte character: no control
// byte (< 0x20, 0x7f) that could end a line or start a terminal escape.
bool one_printable_line(const std::string& s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("a value with a newline from a block scalar is quoted escaped on one line") {
    const std::string text = yaml(R"(
database: /tmp/x.db
defaults:
  poll_interval: |
    15m
accounts:
  - id: "1"
    region: us
    auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}
)");
    const auto d = only_diagnostic(text);
    CHECK(d.path == "defaults.poll_interval");
    CHECK(d.line == 3);
    CHECK_MESSAGE(d.message.find("\"15m\\x0a\"") != std::string::npos, d.message);
    const std::string what = what_of(text);
    CHECK_MESSAGE(one_printable_line(what), what);
    CHECK(what.rfind("test.yaml:3:18: defaults.poll_interval: ", 0) == 0);
  }

  TEST_CASE("terminal escapes and a forged line in a quoted value are escaped") {
    // YAML's own escapes put ESC, CR and LF into the value.
    const std::string text = with_log_format(R"("\e[31mred\r\ntest.yaml:1:1: forged")");
    const auto d = only_diagnostic(text);
    CHECK(d.path == "log.format");
    CHECK_MESSAGE(
        d.message.find("got \"\\x1b[31mred\\x0d\\x0atest.yaml:1:1: forged\"") != std::string::npos,
        d.message);
    const std::string what = what_of(text);
    CHECK_MESSAGE(one_printable_line(what), what);
    // DEL and a tab too.
    const auto del = only_diagnostic(with_log_format(R"("a\x7fb\tc")"));
    CHECK_MESSAGE(del.message.find("\"a\\x7fb\\x09c\"") != std::string::npos, del.message);
  }

  TEST_CASE("invalid UTF-8 is escaped byte by byte and valid UTF-8 is kept") {
    // Raw bytes in a plain scalar: a lone continuation byte, a truncated two-byte sequence,
    // an overlong encoding of "/" and a UTF-16 surrogate, then a valid "é" and "€".
    const std::string bad = "x\x80y\xc3z\xc0\xaf\xed\xa0\x80\xc3\xa9\xe2\x82\xac";
    const auto d = only_diagnostic(with_log_format(bad));
    CHECK_MESSAGE(
        d.message.find("\"x\\x80y\\xc3z\\xc0\\xaf\\xed\\xa0\\x80\xc3\xa9\xe2\x82\xac\"") !=
            std::string::npos,
        d.message);
  }

  TEST_CASE("a key name with a control character is escaped in the path") {
    const auto d = only_diagnostic("\"lo\\tg\": 1\n" + minimal);
    CHECK(d.path == "lo\\x09g");
    CHECK(d.line == 1);
    CHECK(d.column == 1);
    CHECK(d.message.find("unknown key") != std::string::npos);
  }

  TEST_CASE("a database whose directory does not exist is an error at its value") {
    lpda::test::temp_dir dir;
    const std::string missing = (dir / "no-such-dir" / "lpda.db").string();
    const std::string text = "log: {level: info}\ndatabase: \"" + missing + "\"\n" +
                             minimal.substr(minimal.find('\n') + 1);
    check_diag(only_diagnostic(text), "database", 2, 11,
               "directory \"" + (dir / "no-such-dir").string() + "\" does not exist");
    // A file where the directory belongs.
    lpda::test::write_file(dir / "plain", "x");
    const std::string under_file = (dir / "plain" / "lpda.db").string();
    check_diag(only_diagnostic("database: \"" + under_file + "\"\n" +
                               minimal.substr(minimal.find('\n') + 1)),
               "database", 1, 11, "\"" + (dir / "plain").string() + "\" is not a directory");
    // Read-only commands (syntax_only) run where the service's directories may not exist yet.
    const auto c = cfg::load_string(text, "test.yaml", no_env(), cfg::secrets::syntax_only);
    CHECK(c.database == missing);
    // So does `check`, which reads the credentials but never opens the database.
    const auto checked =
        cfg::load_string(text, "test.yaml", no_env(), cfg::secrets::resolve_without_database);
    CHECK(checked.database == missing);
    CHECK(std::get<cfg::oauth1_credentials>(checked.accounts.at(0).auth).app_secret == "s1");
    // An existing directory, and a bare file name (the working directory), load.
    const std::string here = "database: \"" + (dir / "lpda.db").string() + "\"\n" +
                             minimal.substr(minimal.find('\n') + 1);
    CHECK(cfg::load_string(here, "test.yaml", no_env()).database == (dir / "lpda.db").string());
    CHECK(cfg::load_string("database: lpda.db\n" + minimal.substr(minimal.find('\n') + 1),
                           "test.yaml", no_env())
              .database == "lpda.db");
  }
}

TEST_SUITE("config") {
  TEST_CASE("client.clock_skew_warning: 5m by default - 1s to 24h - errors name line and column") {
    // Unset here; its default (5m) is sync's: tests/unit/cli/compose_test.cpp.
    CHECK_FALSE(cfg::load_string(minimal, "minimal.yaml", no_env()).client.clock_skew_warning);
    const auto set =
        cfg::load_string(minimal + "client:\n  clock_skew_warning: 90s\n", "test.yaml", no_env());
    CHECK(set.client.clock_skew_warning == 90s);
    // `minimal` has 6 lines: the client block starts on line 7, its key on line 8.
    check_diag(only_diagnostic(minimal + "client:\n  clock_skew_warning: 999ms\n"),
               "client.clock_skew_warning", 8, 23, "must be at least 1s, got \"999ms\"");
    check_diag(only_diagnostic(minimal + "client:\n  clock_skew_warning: 25h\n"),
               "client.clock_skew_warning", 8, 23, "must be at most 24h, got \"25h\"");
  }
}
