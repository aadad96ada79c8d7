#pragma once
// Integration-test harness: the real `lpda-emulator` and `lpda-sync` binaries on loopback, and
// an exact comparison of a synced SQLite database with the emulator's expected set.
#include "test_support.hpp"

#include <rapidjson/document.h>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace lpda::test {

/// OAuth 1.0a values the emulator accepts by default (tests/emulator/README.md).
inline constexpr const char* emu_app_key = "emulator-app-key";
inline constexpr const char* emu_app_secret = "emulator-app-secret";
inline constexpr const char* emu_token = "emulator-access-token";
inline constexpr const char* emu_token_secret = "emulator-access-token-secret";

/// A running `lpda-emulator` child process; stopped (SIGTERM, then SIGKILL) at destruction.
class emulator_process {
 public:
  /// Starts bin_dir()/lpda-emulator --port 0 <args> and waits for its base URL line.
  explicit emulator_process(const std::vector<std::string>& args);
  ~emulator_process();
  emulator_process(const emulator_process&) = delete;
  emulator_process& operator=(const emulator_process&) = delete;

  const std::string& url() const { return url_; }
  /// GET /_control/<command>?<query>; returns the body; throws unless the status is 200.
  std::string control(const std::string& command, const std::string& query = "") const;

 private:
  pid_t pid_ = -1;
  std::string url_;
  std::uint16_t port_ = 0;
};

/// A plain HTTP/1.1 GET on 127.0.0.1:port (Connection: close) → {status, body}.
std::pair<int, std::string> http_get(std::uint16_t port, const std::string& target);

/// The body of the emulator's expected set (NDJSON) turned into canonical rows.
std::set<std::string> expected_rows(const std::string& ndjson);

/// As expected_rows, without the events of the files in `without_files` (the expected set's
/// `file` field: names without ".gz").
std::set<std::string> expected_rows_without(const std::string& ndjson,
                                            const std::set<std::string>& without_files);

/// The expected rows of one account (`which`: "available", "served" or "all" files).
std::set<std::string> expected_for(const emulator_process& emu, const std::string& account,
                                   const std::string& which = "available");

/// As expected_for, without the events of the files in `without_files` (names without ".gz",
/// the expected set's `file` field), e.g. a file a test expects never to be stored.
std::set<std::string> expected_for_without(const emulator_process& emu, const std::string& account,
                                           const std::set<std::string>& without_files,
                                           const std::string& which = "available");

/// Checks that the database holds exactly `expected`: the same set and no duplicate row.
void check_rows(const std::string& db_path, const std::set<std::string>& expected);

/// Every event row of a synced database in the same canonical form. A duplicate row (which the
/// natural key forbids) would make the returned vector longer than its set.
std::vector<std::string> database_rows(const std::string& db_path);

/// Writes a config for `accounts` on the emulator at `url` into `dir`/config.yaml (database
/// `dir`/lpda.db, millisecond retry delays) with `extra` YAML appended under `defaults:`; returns
/// the config path.
std::string write_config(const temp_dir& dir, const std::string& url,
                         const std::vector<std::string>& accounts,
                         const std::string& extra_defaults = "", const std::string& extra_top = "");

/// A child process started with execv, its stdout and stderr appended to `log_path`; killed
/// with SIGKILL at destruction if still running. When it dies of a signal the test did not send
/// as SIGKILL, the test output names the signal and shows the tail of `log_path`; a sanitizer
/// report it left fails the test (see check_sanitizer_logs).
class child_process {
 public:
  child_process(const std::vector<std::string>& argv, const std::string& log_path,
                const std::vector<std::string>& extra_env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int sig);
  /// Waits up to `timeout_ms` (scaled by scaled_ms); returns the exit status (128 + signal when
  /// killed), or -1 when still running.
  int wait(std::int64_t timeout_ms);

 private:
  void ended(int wait_status);

  pid_t pid_ = -1;
  int status_ = -1;
  std::string name_;
  std::string log_path_;
  bool sent_kill_ = false;
};

/// `ms` multiplied by $LPDA_TEST_TIME_SCALE (a positive number, default 1): the time limits of
/// tests that wait for the binaries, longer when they run slower (under a sanitizer, on a loaded
/// machine). Durations the product itself promises (a stop within 10 s) are not scaled.
std::int64_t scaled_ms(std::int64_t ms);

/// The directory the sanitizers of every child write their reports to (ASAN_OPTIONS,
/// UBSAN_OPTIONS and TSAN_OPTIONS `log_path`, exit code 86, set in this process's environment
/// the first time a child starts): $LPDA_SANITIZER_LOG_DIR, or a fresh directory under $TMPDIR.
const std::filesystem::path& sanitizer_log_dir();

/// Fails the running test once for each sanitizer report written since the last call, with the
/// report's text. The harness calls it whenever a child it started has ended; a test that starts
/// processes by other means calls it itself.
void check_sanitizer_logs();

/// "SIGSEGV (Segmentation fault)" for 11.
std::string signal_name(int sig);

/// The last `lines` lines of a text file ("" when it cannot be read).
std::string tail_of(const std::filesystem::path& p, std::size_t lines = 40);

/// Runs bin_dir()/lpda-sync with `args` (a shell-quoted string). A death by a signal is named in
/// the test output with the tail of its stderr; a sanitizer report fails the test.
run_result run_lpda(const std::string& args);

/// `lpda-sync status --json --config CONFIG`, parsed; fails the test unless it exits 0 with JSON.
rapidjson::Document status_json(const std::string& config);

/// Epoch ms now (the real clock).
std::int64_t now_ms();

/// lpda-sync ends a poll's window 5 s before the server's now, read from the emulator's `Date`
/// header (whole seconds): against an emulator on the real clock, a watermark set by a poll that
/// started at `before` (real clock) is at least `before - window_end_slack_ms`.
inline constexpr std::int64_t window_end_slack_ms = 5'000 + 1'000;

}  // namespace lpda::test
