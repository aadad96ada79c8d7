// `lpda-sync once` end to end: the real binaries, the emulator on loopback, and the synced
// database compared row for row with the emulator's expected set.
#include "harness.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rapidjson/document.h>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

using namespace lpda::test;

namespace {

constexpr std::int64_t hour_ms = 3'600'000;

// The emulator's data hours end at "now" rounded down to the hour; `hours` of them.
std::vector<std::string> emulator_args(int hours, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--accounts", "12345678,555",        "--agents", "6",
                             "--hours",    std::to_string(hours), "--seed",   "7"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void check_exact(const emulator_process& emu, const temp_dir& dir, const std::string& which) {
  const auto expected = expected_rows(emu.control("expected", "files=" + which));
  const auto actual = database_rows((dir / "lpda.db").string());
  REQUIRE_FALSE(expected.empty());
  CHECK(actual.size() ==
        std::set<std::string>(actual.begin(), actual.end()).size());  // no duplicates
  CHECK(actual.size() == expected.size());
  CHECK(std::set<std::string>(actual.begin(), actual.end()) == expected);
}

const rapidjson::Value& account_status(const rapidjson::Document& d, const std::string& id) {
  for (const auto& a : d["accounts"].GetArray())
    if (id == a["account_id"].GetString()) return a;
  FAIL("no status for account " << id);
  return d["accounts"][0];
}

int download_count(const emulator_process& emu) {
  rapidjson::Document d;
  d.Parse(emu.control("counts").c_str());
  return d["download"].GetInt();
}

}  // namespace

TEST_SUITE("integration_sync") {
  TEST_CASE("a full sync stores exactly the served events and a second once changes nothing") {
    emulator_process emu(emulator_args(30));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"});
    const auto first = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(first.status == 0, first.err);
    check_exact(emu, dir, "available");
    const auto rows_before = database_rows((dir / "lpda.db").string());
    const int downloads = download_count(emu);
    CHECK(downloads > 0);

    const auto second = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(second.status == 0, second.err);
    CHECK(database_rows((dir / "lpda.db").string()) == rows_before);
    CHECK(download_count(emu) == downloads);  // the ledger makes re-listing free
  }

  TEST_CASE("status --json reports a known sync") {
    emulator_process emu(emulator_args(10));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"});
    const std::int64_t before = now_ms();
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    const std::int64_t after = now_ms();

    rapidjson::Document files;
    files.Parse(emu.control("files", "account=555").c_str());
    std::int64_t available = 0;
    for (const auto& f : files.GetArray()) available += f["available"].GetBool() ? 1 : 0;
    const auto expected = expected_rows(emu.control("expected", "files=available"));
    std::int64_t expected_555 = 0;
    for (const auto& row : expected) expected_555 += row.rfind("555\x1f", 0) == 0 ? 1 : 0;

    const auto d = status_json(config);
    const auto& s = account_status(d, "555");
    CHECK(std::string(s["data_type"].GetString()) == "agentActivity");
    CHECK(s["files_done"].GetInt64() == available);
    CHECK(s["files_failed"].GetInt64() == 0);
    CHECK(s["files_quarantined"].GetInt64() == 0);
    CHECK(s["problem_files"].IsArray());
    CHECK(s["problem_files"].Empty());
    CHECK(s["events_stored"].GetInt64() == expected_555);
    // The watermark is the poll's "now" (the emulator's, from its Date header, less the
    // margin): between the clock before and after the run.
    CHECK(s["watermark_ms"].GetInt64() >= before - window_end_slack_ms);
    CHECK(s["watermark_ms"].GetInt64() <= after);
    CHECK(s["last_success_ms"].GetInt64() >= s["watermark_ms"].GetInt64());
    CHECK(s["lag_seconds"].GetInt64() >= 0);
    CHECK(s["lag_seconds"].GetInt64() < 60);
    // Each time twice: ISO 8601 under the plain name, epoch ms under name_ms.
    CHECK(std::string(s["lag"].GetString()) == "0m");
    const auto iso_of = [](std::int64_t ms) {
      return run_command("date -u -d @" + std::to_string(ms / 1000) + " +%Y-%m-%dT%H:%M:%S").out;
    };
    const std::string watermark = s["watermark"].GetString();
    CHECK(watermark.size() == 24);
    CHECK(watermark.substr(0, 19) + "\n" == iso_of(s["watermark_ms"].GetInt64()));
    CHECK(std::string(s["last_success"].GetString()).substr(0, 19) + "\n" ==
          iso_of(s["last_success_ms"].GetInt64()));
    CHECK(s["last_error"].IsNull());
    CHECK(s["last_error_since"].IsNull());
    CHECK(s["last_error_since_ms"].IsNull());
    CHECK(d["now_ms"].GetInt64() >= after);
    CHECK(d["now"].IsString());

    // The table fits 100 columns off a terminal, with the lag in days, hours and minutes.
    const auto text = run_lpda("status --config '" + config + "'");
    REQUIRE(text.status == 0);
    std::istringstream lines(text.out);
    std::string header;
    std::getline(lines, header);
    CHECK(header.find("LAG") != std::string::npos);
    CHECK(header.find("LAST ERROR") != std::string::npos);
    for (std::string line; std::getline(lines, line) && !line.empty();) {
      CHECK_MESSAGE(line.size() <= 100, line);
      CHECK_MESSAGE(line.find(" 0m ") != std::string::npos, line);
    }
    CHECK(header.size() <= 100);
  }

  TEST_CASE("a 401 names its likely causes and status shows the account's last error since when") {
    emulator_process emu(emulator_args(4));
    temp_dir dir;
    auto config = write_config(dir, emu.url(), {"555"});
    auto text = read_file(config);
    const auto at = text.find(emu_app_secret);
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string(emu_app_secret).size(), "not-the-secret");
    write_file(config, text);
    const std::int64_t before = now_ms();
    const auto r = run_lpda("once --config '" + config + "'");
    CHECK(r.status == 78);  // refused credentials
    CHECK_MESSAGE(r.err.find("HTTP 401 from ") != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find("; likely causes: (1) one of the four OAuth 1.0a values (app_key, "
                             "app_secret, access_token, access_token_secret) is mistyped") !=
                      std::string::npos,
                  r.err);
    CHECK(r.err.find("(2) the account id 555 is not the account") != std::string::npos);
    CHECK(r.err.find("(4) this host's clock") != std::string::npos);

    const auto d = status_json(config);
    const auto& s = account_status(d, "555");
    REQUIRE(s["last_error"].IsString());
    const std::string error = s["last_error"].GetString();
    CHECK(error.find("HTTP 401 from ") != std::string::npos);
    CHECK(error.find("likely causes") != std::string::npos);
    const std::int64_t since = s["last_error_since_ms"].GetInt64();
    CHECK(since >= before);
    CHECK(since == s["last_poll_ms"].GetInt64());
    // A second failed poll keeps the "since" of the first.
    CHECK(run_lpda("once --config '" + config + "'").status == 78);
    CHECK(account_status(status_json(config), "555")["last_error_since_ms"].GetInt64() == since);

    const auto table = run_lpda("status --config '" + config + "'");
    CHECK(table.status == 0);
    CHECK_MESSAGE(
        table.out.find("Last errors:\n  555 agentActivity: failing since 20") != std::string::npos,
        table.out);
    std::istringstream lines(table.out);
    std::string line;
    std::getline(lines, line);
    std::getline(lines, line);
    // The row's LAST ERROR column holds the start of the error, cut to the width with "…".
    CHECK_MESSAGE(line.find(" HTTP 401 from") != std::string::npos, line);
    CHECK(line.find("\u2026") != std::string::npos);
    CHECK(line.size() <= 100 + 2);  // "…" is 3 bytes, one column

    // Fixed: the next poll clears the error.
    write_config(dir, emu.url(), {"555"});
    CHECK(run_lpda("once --config '" + config + "'").status == 0);
    CHECK(account_status(status_json(config), "555")["last_error"].IsNull());
  }

  TEST_CASE("a refused connection's retry line names host, port and cause, with ISO times") {
    temp_dir dir;
    // A bound socket that does not listen: connections to it are refused.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::string port = std::to_string(ntohs(addr.sin_port));
    const auto config = write_config(dir, "http://127.0.0.1:" + port, {"555"});
    const auto r = run_lpda("once --config '" + config + "'");
    ::close(fd);
    CHECK(r.status == 75);
    std::vector<std::string> retries;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
      if (line.find("retrying in") != std::string::npos) retries.push_back(line);
    // The poll's first request (the base resource, read for the server's clock) gets no answer:
    // the poll stops after its retries (max_attempts 4), without a second series for the
    // listing, which would fail alike.
    REQUIRE_MESSAGE(retries.size() == 3, r.err);
    const std::string& first = retries.front();
    CHECK_MESSAGE(first.find("account=555 base resource: GET 127.0.0.1:" + port +
                             ": connection refused (attempt 1); "
                             "retrying in 20 ms, at 20") != std::string::npos,
                  first);
    CHECK(first.back() == 'Z');
    CHECK_MESSAGE(r.err.find("(after 4 attempts)") != std::string::npos, r.err);
    CHECK(account_status(status_json(config), "555")["last_error"].IsString());

    // A listing's retry line names its window in ISO 8601.
    emulator_process emu(
        emulator_args(4, {"--fault", "503", "--fault-target", "listing", "--fault-first", "1"}));
    temp_dir dir2;
    const auto config2 = write_config(dir2, emu.url(), {"555"});
    const auto r2 = run_lpda("once --config '" + config2 + "'");
    CHECK_MESSAGE(r2.status == 0, r2.err);
    std::string listing;
    std::istringstream lines2(r2.err);
    for (std::string line; std::getline(lines2, line);)
      if (line.find("retrying in") != std::string::npos && listing.empty()) listing = line;
    REQUIRE_MESSAGE(!listing.empty(), r2.err);
    CHECK_MESSAGE(
        listing.find("account=555 data_type=agentActivity listing 20") != std::string::npos,
        listing);
    CHECK_MESSAGE(listing.find("Z..20") != std::string::npos, listing);
    CHECK_MESSAGE(listing.find("HTTP 503") != std::string::npos, listing);
    CHECK(listing.back() == 'Z');
  }

  TEST_CASE("late files created after the watermark passed their hour are synced by the overlap") {
    // "now" starts 10 h in the past; 40 % of files are created 2..6 h after their hour.
    // 30 agents, so the late files hold sessions (an hour without closed sessions is an empty
    // file, and a late empty file would prove nothing).
    const std::int64_t start_now = now_ms() - 10 * hour_ms;
    emulator_process emu({"--accounts", "12345678,555", "--agents", "30", "--hours", "24", "--seed",
                          "7", "--now", std::to_string(start_now), "--late-percent", "40",
                          "--late-min-hours", "2", "--late-max-hours", "6"});
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678"});
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    const auto after_first = database_rows((dir / "lpda.db").string());
    // A file for an hour 5 h before "now", created 4 h after "now": 9 h late, certainly (the
    // random late files may all have been published already, depending on the hour).
    emu.control("add-file", "account=12345678&scope=" + std::to_string(start_now - 5 * hour_ms) +
                                "&created=" + std::to_string(start_now + 4 * hour_ms) +
                                "&sessions=5");
    // Time passes: the late files appear, all created before the (real-clock) watermark.
    emu.control("now", "set=" + std::to_string(start_now + 8 * hour_ms));
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    CHECK(database_rows((dir / "lpda.db").string()).size() > after_first.size());
    check_rows((dir / "lpda.db").string(), expected_for(emu, "12345678"));
  }

  TEST_CASE("faults within the retry budget are absorbed by one poll") {
    // The first three requests fail: no request can see more than three failed attempts, and
    // max_attempts is 4, so the first poll must succeed on its own.
    for (const std::string fault : {"429", "500", "503", "reset"}) {
      CAPTURE(fault);
      emulator_process emu(
          emulator_args(8, {"--fault", fault, "--fault-first", "3", "--retry-after", "0"}));
      temp_dir dir;
      // A window that starts with the data, so the first requests are answered with 200s
      // (the emulator applies a reset only to a response it would otherwise send whole).
      const auto config =
          write_config(dir, emu.url(), {"12345678", "555"}, "  initial_start: 9h\n");
      const auto r = run_lpda("once --config '" + config + "'");
      CHECK_MESSAGE(r.status == 0, r.err);
      rapidjson::Document counts;
      counts.Parse(emu.control("counts").c_str());
      CHECK(counts["faults"].GetInt() == 3);
      check_exact(emu, dir, "available");
      // Each retry is logged once, naming the account and what the request was for.
      int retry_lines = 0;
      std::istringstream lines(r.out + r.err);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("retrying in") == std::string::npos) continue;
        ++retry_lines;
        CHECK_MESSAGE(line.find("account=") != std::string::npos, line);
        // The base resource is read first for the server's clock (its Date header).
        CHECK_MESSAGE((line.find(" listing ") != std::string::npos ||
                       line.find(" file=") != std::string::npos ||
                       line.find(" base resource") != std::string::npos),
                      line);
      }
      CHECK(retry_lines == 3);
    }
  }

  TEST_CASE(
      "under persistent faults (429 and 5xx and resets and truncated gzip) polls converge to the "
      "exact set") {
    // Every third request fails, whatever it is: with concurrent downloads one request can be
    // hit on every attempt, and a truncated body fails its file's decode. Such files fail this
    // poll and are fetched again by the next; each poll makes progress.
    for (const std::string fault : {"429", "500", "503", "reset", "truncated-gzip"}) {
      CAPTURE(fault);
      emulator_process emu(
          emulator_args(8, {"--fault", fault, "--fault-every", "3", "--retry-after", "0"}));
      temp_dir dir;
      const auto config =
          write_config(dir, emu.url(), {"12345678", "555"}, "  quarantine_after: 20\n");
      int status = -1;
      std::string err;
      for (int poll = 0; poll < 8 && status != 0; ++poll) {
        const auto r = run_lpda("once --config '" + config + "'");
        status = r.status;
        err = r.err;
      }
      CHECK_MESSAGE(status == 0, err);
      check_exact(emu, dir, "available");
    }
  }

  TEST_CASE("a permanently broken file is quarantined and everything else is synced") {
    emulator_process emu(emulator_args(6));
    rapidjson::Document files;
    files.Parse(emu.control("files", "account=555").c_str());
    const std::string broken = files[1]["name"].GetString();
    emu.control("fail-file", "name=" + broken);
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  quarantine_after: 2\n");

    // The ledger's key is the name without a trailing ".gz".
    const std::string broken_key =
        broken.ends_with(".gz") ? broken.substr(0, broken.size() - 3) : broken;
    // status names the file that is not done, its state, its failed polls and the reason.
    auto check_problem = [&](const rapidjson::Document& doc, const char* state, int attempts) {
      const auto& problems = account_status(doc, "555")["problem_files"];
      REQUIRE(problems.IsArray());
      REQUIRE(problems.Size() == 1);
      CHECK(std::string(problems[0]["key"].GetString()) == broken_key);
      CHECK(std::string(problems[0]["status"].GetString()) == state);
      CHECK(problems[0]["attempts"].GetInt() == attempts);
      REQUIRE(problems[0]["last_error"].IsString());
      CHECK(std::string(problems[0]["last_error"].GetString()).size() > 10);
      const auto text = run_lpda("status --config '" + config + "'");
      CHECK(text.status == 0);
      CHECK_MESSAGE(text.out.find("555 agentActivity " + broken_key + ": " + state + " after " +
                                  std::to_string(attempts) + " failed poll") != std::string::npos,
                    text.out);
    };

    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    auto d = status_json(config);
    CHECK(account_status(d, "555")["files_failed"].GetInt64() == 1);
    CHECK(account_status(d, "555")["files_quarantined"].GetInt64() == 0);
    check_problem(d, "failed", 1);

    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    d = status_json(config);
    CHECK(account_status(d, "555")["files_failed"].GetInt64() == 0);
    CHECK(account_status(d, "555")["files_quarantined"].GetInt64() == 1);
    check_problem(d, "quarantined", 2);
    // Every other file is stored; the quarantined one no longer blocks the watermark.
    check_exact(emu, dir, "served");
    CHECK(account_status(d, "555")["watermark_ms"].IsInt64());
    // The quarantined body is kept for inspection.
    CHECK(std::filesystem::exists(dir / "lpda.db.spool" / "quarantine"));
  }

  TEST_CASE("spool_dir and lock_file put the spool and the lock where the config says") {
    emulator_process emu(emulator_args(6));
    rapidjson::Document files;
    files.Parse(emu.control("files", "account=555").c_str());
    emu.control("fail-file", "name=" + std::string(files[1]["name"].GetString()));
    temp_dir dir;
    std::filesystem::create_directory(dir / "var");
    const auto spool = dir / "var" / "spool";
    const auto lock = dir / "var" / "sync.lock";
    const auto config =
        write_config(dir, emu.url(), {"555"}, "  quarantine_after: 1\n",
                     "spool_dir: " + spool.string() + "\nlock_file: " + lock.string() + "\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    CHECK(std::filesystem::is_directory(spool / "quarantine"));
    CHECK(account_status(status_json(config), "555")["files_quarantined"].GetInt64() == 1);
    CHECK(run_lpda("reset-watermark --account 555 --clear --config '" + config + "'").status == 0);
    CHECK(std::filesystem::exists(lock));
    CHECK(read_file(lock).find("reset-watermark") != std::string::npos);
    // Nothing beside the database but the database and its WAL files.
    CHECK_FALSE(std::filesystem::exists(dir / "lpda.db.spool"));
    CHECK_FALSE(std::filesystem::exists(dir / "lpda.db.lock"));
    CHECK(std::filesystem::exists(dir / "lpda.db"));
  }

  TEST_CASE("files put back by retry-failed show as pending in status until the next poll") {
    emulator_process emu(emulator_args(6));
    rapidjson::Document files;
    files.Parse(emu.control("files", "account=555").c_str());
    const std::string broken = files[2]["name"].GetString();
    const std::string key = broken.ends_with(".gz") ? broken.substr(0, broken.size() - 3) : broken;
    emu.control("fail-file", "name=" + broken);
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  quarantine_after: 1\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    emu.control("fail-file", "name=");
    const auto retry = run_lpda("retry-failed --account 555 --config '" + config + "'");
    REQUIRE_MESSAGE(retry.status == 0, retry.err);

    const auto d = status_json(config);
    const auto& s = account_status(d, "555");
    CHECK(s["files_pending"].GetInt64() == 1);
    CHECK(s["files_quarantined"].GetInt64() == 0);
    const auto& problems = s["problem_files"];
    REQUIRE(problems.Size() == 1);
    CHECK(std::string(problems[0]["key"].GetString()) == key);
    CHECK(std::string(problems[0]["status"].GetString()) == "pending");

    const auto text = run_lpda("status --config '" + config + "'");
    CHECK(text.status == 0);
    // The table has a PEND column holding 1 for the account.
    const auto header_end = text.out.find('\n');
    REQUIRE(header_end != std::string::npos);
    const std::string header = text.out.substr(0, header_end);
    const auto column = header.find("PEND");
    REQUIRE_MESSAGE(column != std::string::npos, text.out);
    const auto row_at = text.out.find("\n555 ");
    REQUIRE(row_at != std::string::npos);
    const std::string row =
        text.out.substr(row_at + 1, text.out.find('\n', row_at + 1) - row_at - 1);
    // Right-aligned under its 4-wide header.
    REQUIRE(row.size() >= column + 4);
    CHECK_MESSAGE(row.substr(column, 4) == "   1", row);
    CHECK_MESSAGE(text.out.find("555 agentActivity " + key + ": pending") != std::string::npos,
                  text.out);

    // The next poll fetches it: nothing is left pending and every file is stored.
    const auto again = run_lpda("once --config '" + config + "'");
    CHECK_MESSAGE(again.status == 0, again.err);
    const auto after = status_json(config);
    CHECK(account_status(after, "555")["files_pending"].GetInt64() == 0);
    CHECK(account_status(after, "555")["problem_files"].Empty());
    const auto text_after = run_lpda("status --config '" + config + "'");
    CHECK(text_after.out.find("Files not done") == std::string::npos);
    check_rows((dir / "lpda.db").string(), expected_for(emu, "555"));
  }

  TEST_CASE("a spool that cannot be written stops the poll and counts against no file") {
    emulator_process emu(emulator_args(6));
    temp_dir dir;
    // One slice (7 h < max_window) holding every file: it cannot complete without them.
    const auto config =
        write_config(dir, emu.url(), {"555"}, "  quarantine_after: 1\n  initial_start: 7h\n");
    write_file(dir / "lpda.db.spool", "a file where the spool directory belongs");
    for (int poll = 0; poll < 3; ++poll)
      CHECK(run_lpda("once --config '" + config + "'").status != 0);
    auto d = status_json(config);
    CHECK(account_status(d, "555")["files_failed"].GetInt64() == 0);
    CHECK(account_status(d, "555")["files_quarantined"].GetInt64() == 0);
    CHECK(account_status(d, "555")["watermark_ms"].IsNull());
    std::filesystem::remove(dir / "lpda.db.spool");
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    check_rows((dir / "lpda.db").string(), expected_for(emu, "555"));
  }

  TEST_CASE("a file failing in the first slice holds the watermark back until it recovers") {
    emulator_process emu(emulator_args(24));
    rapidjson::Document files;
    files.Parse(emu.control("files", "account=12345678").c_str());
    std::string first;
    std::int64_t first_created = INT64_MAX;
    for (const auto& f : files.GetArray())
      if (f["available"].GetBool() && f["created"].GetInt64() < first_created) {
        first_created = f["created"].GetInt64();
        first = f["name"].GetString();
      }
    emu.control("fail-file", "name=" + first);
    temp_dir dir;
    const auto config =
        write_config(dir, emu.url(), {"12345678"}, "  max_window: 6h\n  initial_start: 30h\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    auto d = status_json(config);
    const auto& wm = account_status(d, "12345678")["watermark_ms"];
    // Later slices succeeded, but the watermark did not pass the failing file's creation.
    CHECK((wm.IsNull() || wm.GetInt64() <= first_created));
    CHECK(account_status(d, "12345678")["files_done"].GetInt64() > 10);

    emu.control("fail-file", "name=");
    const std::int64_t before = now_ms();
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    d = status_json(config);
    CHECK(account_status(d, "12345678")["watermark_ms"].GetInt64() >= before - window_end_slack_ms);
    check_rows((dir / "lpda.db").string(), expected_for(emu, "12345678"));
  }

  TEST_CASE("SIGKILL of once at random points then once gives the exact set") {
    // 60 ms per response and one download at a time per account make a full sync last a few
    // seconds, longer than the twelve kill delays together.
    emulator_process emu(emulator_args(24, {"--latency-ms", "60"}));
    const std::string slow = "client: {max_concurrent_downloads: 1}\n";
    std::int64_t full_ms = 0;
    {
      temp_dir probe;
      const auto probe_config = write_config(probe, emu.url(), {"12345678", "555"}, "", slow);
      const auto t0 = now_ms();
      REQUIRE(run_lpda("once --config '" + probe_config + "'").status == 0);
      full_ms = now_ms() - t0;
    }
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"}, "", slow);
    const std::string bin = (bin_dir() / "lpda-sync").string();
    std::mt19937 rng(20261130);
    MESSAGE("a full sync takes " << full_ms << " ms");
    std::uniform_int_distribution<std::int64_t> delay_ms(5,
                                                         std::max<std::int64_t>(10, full_ms / 14));
    int killed = 0;
    for (int i = 0; i < 12; ++i) {
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, STDERR_FILENO);
        ::execl(bin.c_str(), bin.c_str(), "once", "--config", config.c_str(), nullptr);
        ::_exit(127);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ++killed;
      }
      const auto integrity =
          run_command("sqlite3 '" + (dir / "lpda.db").string() + "' 'PRAGMA integrity_check'");
      if (std::filesystem::exists(dir / "lpda.db")) CHECK(integrity.out == "ok\n");
    }
    CHECK(killed >= 10);
    const auto r = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    check_exact(emu, dir, "available");
  }

  TEST_CASE(
      "log.format json writes one JSON object per line and file lines name account and file") {
    emulator_process emu(emulator_args(4));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  quarantine_after: 3\n",
                                     "log: {level: debug, format: json}\n");
    emu.control("fault", "kind=500&target=download&first=1000");  // every download fails
    const auto r = run_lpda("once --config '" + config + "'");
    CHECK(r.status == 1);
    int lines = 0, file_lines = 0;
    std::size_t pos = 0;
    while (pos < r.err.size()) {
      auto end = r.err.find('\n', pos);
      if (end == std::string::npos) end = r.err.size();
      const std::string line = r.err.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty()) continue;
      ++lines;
      rapidjson::Document d;
      d.Parse(line.c_str());
      REQUIRE_MESSAGE(!d.HasParseError(), line);
      CHECK(d.IsObject());
      CHECK(d.HasMember("time"));
      CHECK(d.HasMember("level"));
      REQUIRE(d.HasMember("msg"));
      const std::string msg = d["msg"].GetString();
      if (msg.find("file=") != std::string::npos && msg.find("failed") != std::string::npos) {
        ++file_lines;
        CHECK(msg.find("account=555") != std::string::npos);
        CHECK(msg.find("attempt=1") != std::string::npos);
        // The line's subject as fields of its own, for log collectors.
        REQUIRE(d.HasMember("account"));
        CHECK(std::string(d["account"].GetString()) == "555");
        CHECK(std::string(d["data_type"].GetString()) == "agentActivity");
        REQUIRE(d.HasMember("file"));
        CHECK(msg.find("file=" + std::string(d["file"].GetString()) + " ") != std::string::npos);
        REQUIRE(d["attempt"].IsInt());
        CHECK(d["attempt"].GetInt() == 1);
      }
      // A line about no account (the start, the end) has no subject fields.
      if (msg.rfind("account=", 0) != 0) CHECK_FALSE(d.HasMember("account"));
    }
    CHECK(lines > 0);
    CHECK(file_lines > 0);
  }

  TEST_CASE("config errors exit 78 with path and line and column") {
    temp_dir dir;
    const auto path = dir / "bad.yaml";
    write_file(
        path,
        "database: /tmp/x.db\n"
        "defaults:\n"
        "  poll_interval: 15 minutes\n"
        "accounts:\n"
        "  - id: \"1\"\n"
        "    region: mars\n"
        "    auth: {oauth1: {app_key: a, app_secret: b, access_token: c, access_token_secret: d}}\n"
        "    colour: blue\n");
    for (const std::string cmd : {"once", "validate-config", "status"}) {
      CAPTURE(cmd);
      const auto r = run_lpda(cmd + " --config '" + path.string() + "'");
      CHECK(r.status == 78);
      CHECK(r.err.find(path.string() + ":3:18: defaults.poll_interval:") != std::string::npos);
      CHECK(r.err.find(path.string() + ":6:13: accounts[0].region:") != std::string::npos);
      CHECK(r.err.find(path.string() + ":8:5: accounts[0].colour:") != std::string::npos);
    }
  }
}
