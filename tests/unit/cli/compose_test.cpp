// The mapping from the YAML config to each module's own settings (cli/compose.cpp): what the file
// leaves out takes the owning module's default, and `validate-config --print` shows those.
#include "cli/compose.hpp"
#include "lpda/config/config.hpp"

#include "../config/config_samples.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace cfg = lpda::config;
namespace cli = lpda::cli;
using namespace std::chrono_literals;
using lpda::test::no_env;
using lpda::test::yaml;

namespace {

const std::string& minimal = lpda::test::minimal_config;

// `store:`, `client:`, `retry:` and `decode:` as issue 6 documents their defaults, written out
// literally (moved from config_test when the defaults moved to the modules that use them).
void check_documented_defaults(const cfg::config& c) {
  CHECK(c.store.synchronous == "normal");
  CHECK(c.store.file_mode == 0600U);
  CHECK(c.client.ca_file == "");
  CHECK(c.client.connect_timeout == 10s);
  CHECK(c.client.tls_handshake_timeout == 10s);
  CHECK(c.client.io_timeout == 60s);
  CHECK(c.client.request_timeout == 5min);
  CHECK(c.client.max_concurrent_downloads == 8);
  CHECK(c.client.max_per_host == 4);
  CHECK(c.client.allow_insecure_http == false);
  CHECK(c.client.clock_skew_warning == 5min);
  CHECK(c.retry.max_attempts == 4);
  CHECK(c.retry.delays == std::vector<std::chrono::milliseconds>{5s, 10s, 15s});
  CHECK(c.retry.max_retry_after == 5min);
  CHECK(c.decode.max_inflated_bytes == 4ULL * 1024 * 1024 * 1024);
  CHECK(c.decode.max_document_bytes == 64ULL * 1024 * 1024);
  CHECK(c.decode.read_ahead_batches == 4);
}

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("compose: a config that sets nothing gets the documented defaults from the modules") {
    const auto c = cfg::load_string(minimal, "minimal.yaml", no_env());
    check_documented_defaults(cli::effective_config(c));

    const auto client = cli::client_settings_of(c);
    CHECK(client.ca_file.empty());
    CHECK(client.connect_timeout == 10s);
    CHECK(client.tls_handshake_timeout == 10s);
    CHECK(client.io_timeout == 60s);
    CHECK(client.request_timeout == 5min);
    CHECK(client.max_concurrent == 8);
    CHECK(client.max_per_host == 4);
    CHECK_FALSE(client.allow_insecure_http);
    CHECK(client.max_download_bytes == 4ULL * 1024 * 1024 * 1024);
    const auto retry = cli::retry_settings_of(c);
    CHECK(retry.max_attempts == 4);
    CHECK(retry.delays == std::vector<std::chrono::milliseconds>{5s, 10s, 15s});
    CHECK(retry.max_retry_after == 5min);
    const auto store = cli::store_settings_of(c);
    CHECK(store.path == "/tmp/lpda-test.db");
    CHECK(store.synchronous == lpda::sqlite::synchronous_mode::normal);
    CHECK(store.file_mode == 0600U);
    CHECK(cli::clock_skew_warning_of(c) == 5min);
    const auto account = cli::account_settings_of(c, c.accounts.at(0), 0);
    CHECK(account.max_concurrent_downloads == 8);
    CHECK(account.clock_skew_warning == 5min);
    CHECK(account.decode_limits.max_inflated_bytes == 4ULL * 1024 * 1024 * 1024);
    CHECK(account.decode_limits.max_document_bytes == 64ULL * 1024 * 1024);
  }

  TEST_CASE("compose: sections with no value and the minimal data file get the defaults") {
    check_documented_defaults(cli::effective_config(
        cfg::load_string("store:\nclient:\nretry:\n" + minimal, "t.yaml", no_env())));
    check_documented_defaults(cli::effective_config(
        cfg::load_file(lpda::test::data_dir() / "config/minimal.yaml", no_env())));
  }

  TEST_CASE("compose: the example file gets the documented store and client and retry defaults") {
    lpda::test::temp_dir dir;
    const std::string text = lpda::test::example_config_in(dir, LPDA_EXAMPLE_CONFIG);
    check_documented_defaults(
        cli::effective_config(cfg::load_string(text, "example.yaml", no_env())));
  }

  TEST_CASE("compose: what the file sets replaces the module default key by key") {
    const auto c = cfg::load_string(minimal + yaml(R"(
store: {synchronous: full, file_mode: "0640"}
client: {io_timeout: 3s, max_concurrent_downloads: 16, allow_insecure_http: true, clock_skew_warning: 90s}
retry: {delays: [0s, 250ms]}
decode: {max_document_bytes: 4KiB}
)"),
                                    "t.yaml", no_env());
    const auto client = cli::client_settings_of(c);
    CHECK(client.io_timeout == 3s);
    CHECK(client.connect_timeout == 10s);  // not set: the default
    CHECK(client.max_concurrent == 16);
    CHECK(client.max_per_host == 4);
    CHECK(client.allow_insecure_http);
    const auto retry = cli::retry_settings_of(c);
    CHECK(retry.max_attempts == 4);
    CHECK(retry.delays == std::vector<std::chrono::milliseconds>{0ms, 250ms});
    const auto store = cli::store_settings_of(c);
    CHECK(store.synchronous == lpda::sqlite::synchronous_mode::full);
    CHECK(store.file_mode == 0640U);
    CHECK(cli::clock_skew_warning_of(c) == 90s);
    CHECK(cli::account_settings_of(c, c.accounts.at(0), 0).max_concurrent_downloads == 16);
    const auto decode = cli::decode_limits_of(c);
    CHECK(decode.max_document_bytes == 4096);
    CHECK(decode.max_inflated_bytes == 4ULL * 1024 * 1024 * 1024);  // not set: the default
    CHECK(decode.read_ahead_batches == 4);                          // not set: the default
    CHECK(cli::client_settings_of(c).max_download_bytes == decode.max_inflated_bytes);
    // Printed: the set values and the other keys' defaults.
    const auto effective = cli::effective_config(c);
    const auto printed = cfg::to_yaml(effective);
    CAPTURE(printed);
    CHECK(printed.find("io_timeout: 3s") != std::string::npos);
    CHECK(printed.find("connect_timeout: 10s") != std::string::npos);
    CHECK(printed.find("synchronous: full") != std::string::npos);
    CHECK(effective.client.io_timeout == 3s);
    CHECK(effective.client.request_timeout == 5min);
    CHECK(effective.retry.max_attempts == 4);
    CHECK(effective.store.synchronous == "full");
    CHECK(effective.decode.max_document_bytes == 4096);
    CHECK(effective.decode.max_inflated_bytes == 4ULL * 1024 * 1024 * 1024);
    CHECK(effective.decode.read_ahead_batches == 4);
    CHECK(printed.find("read_ahead_batches: 4") != std::string::npos);
  }

  TEST_CASE("compose: validate-config --print writes every key with its default") {
    // A printed default config is itself a complete config with every key.
    const std::string printed_minimal =
        cfg::to_yaml(cli::effective_config(cfg::load_string(minimal, "m", no_env())));
    for (const char* key : {"database:",
                            "spool_dir:",
                            "lock_file:",
                            "synchronous:",
                            "file_mode:",
                            "level:",
                            "format:",
                            "listen:",
                            "ca_file:",
                            "connect_timeout:",
                            "tls_handshake_timeout:",
                            "io_timeout:",
                            "request_timeout:",
                            "max_concurrent_downloads:",
                            "max_per_host:",
                            "allow_insecure_http:",
                            "max_attempts:",
                            "delays:",
                            "max_retry_after:",
                            "max_inflated_bytes:",
                            "max_document_bytes:",
                            "poll_interval:",
                            "overlap:",
                            "max_window:",
                            "initial_start:",
                            "quarantine_after:",
                            "backoff_max:",
                            "data_types:",
                            "enabled:"}) {
      CAPTURE(key);
      CHECK(printed_minimal.find(key) != std::string::npos);
    }
    CHECK(printed_minimal.find("max_inflated_bytes: 4GiB") != std::string::npos);
    CHECK(printed_minimal.find("request_timeout: 5m") != std::string::npos);
    // The state paths as the daemon uses them, so the printed file moves nothing.
    const auto loaded = cfg::load_string(minimal, "m", no_env());
    CHECK(printed_minimal.find("spool_dir: \"" + loaded.spool_dir + "\"") != std::string::npos);
    CHECK(printed_minimal.find("lock_file: \"" + loaded.lock_file + "\"") != std::string::npos);
  }
}
