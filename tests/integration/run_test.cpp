// `lpda-sync run`, `backfill` and `retry-failed` end to end: the real binaries and the emulator
// on loopback, the database compared with the emulator's expected set.
#include "harness.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

using namespace lpda::test;

namespace {

constexpr std::int64_t hour_ms = 3'600'000;

std::vector<std::string> emulator_args(int hours, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--accounts", "12345678,555",        "--agents", "6",
                             "--hours",    std::to_string(hours), "--seed",   "11"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The stored rows; empty while the daemon has not created the database (or its schema) yet.
std::set<std::string> stored(const temp_dir& dir) {
  if (!std::filesystem::exists(dir / "lpda.db")) return {};
  try {
    const auto rows = database_rows((dir / "lpda.db").string());
    return {rows.begin(), rows.end()};
  } catch (const std::exception&) {
    return {};
  }
}

// The name of a file of `account` that holds events (some hours have none).
std::string file_with_events(const emulator_process& emu, const std::string& account) {
  const auto body = emu.control("expected", "files=available");
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    rapidjson::Document d;
    d.Parse(body.c_str() + pos, end - pos);
    pos = end + 1;
    if (!d.HasParseError() && account == d["account"].GetString()) return d["file"].GetString();
  }
  return {};
}

// Polls `pred` every 50 ms for up to `timeout_ms` (scaled by $LPDA_TEST_TIME_SCALE).
template <class Pred>
bool eventually(std::int64_t timeout_ms, Pred pred) {
  const auto deadline = now_ms() + scaled_ms(timeout_ms);
  while (now_ms() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::vector<std::string> run_argv(const std::string& config) {
  return {(bin_dir() / "lpda-sync").string(), "run", "--config", config};
}

std::optional<std::int64_t> watermark_of(const std::string& config, const std::string& account) {
  const auto d = status_json(config);
  for (const auto& a : d["accounts"].GetArray())
    if (account == a["account_id"].GetString() && a["watermark_ms"].IsInt64())
      return a["watermark_ms"].GetInt64();
  return std::nullopt;
}

// A port free right now on 127.0.0.1 (the kernel's pick for port 0, released again).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int status_of(std::uint16_t port, const std::string& path) {
  try {
    return http_get(port, path).first;
  } catch (const std::exception&) {
    return -1;
  }
}

std::string integrity(const temp_dir& dir) {
  return run_command("sqlite3 '" + (dir / "lpda.db").string() + "' 'PRAGMA integrity_check'").out;
}

bool log_has(const std::filesystem::path& log, const std::string& text) {
  return std::filesystem::exists(log) && read_file(log).find(text) != std::string::npos;
}

// Where in its work a stress cycle stops `run`. Each one sets up the emulator and the config so
// that this part lasts long enough for a random instant to fall into it.
enum class stop_point {
  first_poll,    // a new database, its first poll (listing, downloads and storing at once)
  listing,       // every response takes 250 ms: mostly waiting for listings
  download,      // downloads drip 256 bytes every 5 ms
  store,         // a file of about 100,000 events is being stored
  retry_wait,    // every request answers 429 with Retry-After: 1 (a retry wait of 1 s)
  backoff_wait,  // every request answers 500; after the retries the account backs off
  idle,          // the first poll ended, the next is an hour away
  reload,        // SIGHUP, then SIGTERM soon after (during the reload or the polls it starts)
};
constexpr int stop_points = 8;

const char* name_of(stop_point p) {
  switch (p) {
    case stop_point::first_poll:
      return "first poll of a new database";
    case stop_point::listing:
      return "listing";
    case stop_point::download:
      return "download";
    case stop_point::store:
      return "store transaction";
    case stop_point::retry_wait:
      return "retry wait (Retry-After)";
    case stop_point::backoff_wait:
      return "backoff wait";
    case stop_point::idle:
      return "idle between polls";
    case stop_point::reload:
      return "SIGHUP then SIGTERM";
  }
  return "?";
}

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

// A unix datagram socket bound at `path` standing in for systemd's $NOTIFY_SOCKET, with a
// 200 ms receive timeout. The caller closes it.
int bind_notify_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

TEST_SUITE("integration_run") {
  TEST_CASE("run syncs exactly and keeps polling: new files appear within one interval") {
    emulator_process emu(emulator_args(12));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678"}, "  poll_interval: 1s\n");
    child_process daemon(run_argv(config), (dir / "run.log").string());
    const auto expected = expected_for(emu, "12345678");
    CHECK(eventually(15000, [&] { return stored(dir) == expected; }));

    // A file published now, for the current hour, appears through the next poll. Its creation
    // stamp is 10 s old: windows end a little before the server's now (window_end_slack_ms), and
    // the overlap lists it however late it is published.
    const auto added =
        emu.control("add-file", "account=12345678&scope=" + std::to_string(now_ms()) +
                                    "&sessions=4&created=" + std::to_string(now_ms() - 10'000));
    const auto expected_after = expected_for(emu, "12345678");
    REQUIRE(expected_after.size() > expected.size());
    CHECK(eventually(5000, [&] { return stored(dir) == expected_after; }));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    CHECK(integrity(dir) == "ok\n");
  }

  TEST_CASE("SIGTERM during downloads exits 0 within 10 s and stores no partial file") {
    emulator_process emu(emulator_args(24, {"--latency-ms", "300"}));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"});
    child_process daemon(run_argv(config), (dir / "run.log").string());
    // Before it logs "running" a SIGTERM meets the default action (a slow start under a
    // sanitizer); 1 s later downloads are in flight.
    REQUIRE(eventually(10000, [&] { return log_has(dir / "run.log", "lpda-sync running"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto t0 = now_ms();
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    CHECK(now_ms() - t0 < 10000);
    CHECK(integrity(dir) == "ok\n");
    // Every stored file is complete: its rows equal the events its ledger row counted, and the
    // rows of all done files equal the expected set of exactly those files.
    SQLite::Database db((dir / "lpda.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(
        db,
        "SELECT f.file_key, f.events, (SELECT count(*) FROM agent_activity_events e "
        "WHERE e.account_id = f.account_id AND e.source_file_key = f.file_key) "
        "FROM files f WHERE f.status = 'done'");
    int done = 0;
    while (q.executeStep()) {
      ++done;
      CAPTURE(q.getColumn(0).getString());
      CHECK(q.getColumn(1).getInt64() == q.getColumn(2).getInt64());
    }
    CHECK(done < 60);  // it really was stopped mid-sync
    const auto once = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(once.status == 0, once.err);
    CHECK(stored(dir) == expected_rows(emu.control("expected", "files=available")));
  }

  TEST_CASE("SIGTERM while a large file is stored rolls its transaction back and exits 0") {
    emulator_process emu(emulator_args(2));
    // About 335,000 events: storing them takes about a second here, far longer than the stop
    // takes to reach the store (it checks between the decoder's batches of 1,024 events).
    rapidjson::Document added;
    // Created 10 s ago, so the first poll's window (which ends a little before the server's now,
    // window_end_slack_ms) lists it.
    added.Parse(
        emu.control("add-file", "account=555&scope=" + std::to_string(now_ms() - hour_ms) +
                                    "&sessions=12000&created=" + std::to_string(now_ms() - 10'000))
            .c_str());
    REQUIRE_FALSE(added.HasParseError());
    std::string key = added["name"].GetString();
    if (key.ends_with(".gz")) key.resize(key.size() - 3);
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    const auto log = (dir / "run.log").string();
    child_process daemon(run_argv(config), log);
    REQUIRE(eventually(60000, [&] {
      return std::filesystem::exists(log) &&
             read_file(log).find("file=" + key + ": downloaded") != std::string::npos;
    }));
    const auto t0 = now_ms();
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    CHECK(now_ms() - t0 < 10000);
    CHECK(integrity(dir) == "ok\n");
    const auto text = read_file(log);
    CHECK_MESSAGE(text.find("file=" + key + ": not stored, stopping") != std::string::npos, text);
    {
      // Nothing of the file is stored, and the stop is not counted as a failure of the file.
      SQLite::Database db((dir / "lpda.db").string(), SQLite::OPEN_READONLY);
      SQLite::Statement rows(db,
                             "SELECT count(*) FROM agent_activity_events WHERE "
                             "source_file_key = ?");
      rows.bind(1, key);
      REQUIRE(rows.executeStep());
      CHECK(rows.getColumn(0).getInt64() == 0);
      SQLite::Statement ledger(db, "SELECT status, attempts FROM files WHERE file_key = ?");
      ledger.bind(1, key);
      if (ledger.executeStep()) {
        CHECK(ledger.getColumn(0).getString() != "done");
        CHECK(ledger.getColumn(1).getInt() == 0);
      }
    }
    // The emulator publishes the last hour's files 5-25 minutes into the current hour, so one
    // may appear while `once` runs: its rows hold everything available before it started and
    // nothing beyond what is available after.
    const auto before = expected_for(emu, "555");
    const auto once = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(once.status == 0, once.err);
    const auto got = stored(dir);
    const auto after = expected_for(emu, "555");
    CHECK(std::includes(got.begin(), got.end(), before.begin(), before.end()));
    CHECK(std::includes(after.begin(), after.end(), got.begin(), got.end()));
  }

  TEST_CASE("SIGKILL of run at random points with restarts gives the exact set") {
    emulator_process emu(emulator_args(24, {"--latency-ms", "40"}));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"}, "  poll_interval: 1s\n",
                                     "client: {max_concurrent_downloads: 1}\n");
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> delay_ms(50, 400);
    for (int i = 0; i < 10; ++i) {
      child_process daemon(run_argv(config), (dir / "run.log").string());
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      daemon.signal(SIGKILL);
      CHECK(daemon.wait(5000) == 128 + SIGKILL);
      if (std::filesystem::exists(dir / "lpda.db")) CHECK(integrity(dir) == "ok\n");
    }
    child_process daemon(run_argv(config), (dir / "run.log").string());
    const auto expected = expected_rows(emu.control("expected", "files=available"));
    CHECK(eventually(30000, [&] { return stored(dir) == expected; }));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    const auto rows = database_rows((dir / "lpda.db").string());
    CHECK(rows.size() == expected.size());  // no duplicates
  }

  TEST_CASE("SIGHUP adds an account without a restart and a broken config keeps the old one") {
    emulator_process emu(emulator_args(8));
    temp_dir dir;
    const std::string defaults = "  poll_interval: 1s\n";
    const auto config = write_config(dir, emu.url(), {"12345678"}, defaults);
    child_process daemon(run_argv(config), (dir / "run.log").string());
    const auto first = expected_for(emu, "12345678");
    REQUIRE(eventually(15000, [&] { return stored(dir) == first; }));

    write_config(dir, emu.url(), {"12345678", "555"}, defaults);
    daemon.signal(SIGHUP);
    const auto both = expected_rows(emu.control("expected", "files=available"));
    CHECK(eventually(15000, [&] { return stored(dir) == both; }));

    write_file(dir / "config.yaml", "database: [unclosed\n");
    daemon.signal(SIGHUP);
    // Still running on the old config: a new file of 555 still arrives.
    emu.control("add-file", "account=555&scope=" + std::to_string(now_ms()) +
                                "&sessions=3&created=" + std::to_string(now_ms() - 10'000));
    const auto more = expected_rows(emu.control("expected", "files=available"));
    CHECK(eventually(10000, [&] { return stored(dir) == more; }));
    CHECK(daemon.wait(0) == -1);
    CHECK(read_file(dir / "run.log").find("reload rejected") != std::string::npos);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
  }

  TEST_CASE("SIGHUP with a changed listen moves the endpoint, or keeps it and names the key") {
    emulator_process emu(emulator_args(3));
    temp_dir dir;
    const auto first_port = free_port();
    const auto listen_at = [](std::uint16_t port) {
      return "listen: 127.0.0.1:" + std::to_string(port) + "\n";
    };
    const auto config =
        write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n", listen_at(first_port));
    child_process daemon(run_argv(config), (dir / "run.log").string());
    REQUIRE(eventually(5000, [&] { return status_of(first_port, "/healthz") == 200; }));
    // The first poll lists 3 days, most of them before the emulator's data: their 404 "No
    // Available Files" answers are empty listings, not HTTP errors.
    REQUIRE(eventually(10000, [&] { return status_of(first_port, "/readyz") == 200; }));
    const auto metrics = http_get(first_port, "/metrics").second;
    const std::string empty = "\nlpda_sync_empty_listings_total ";
    const auto at = metrics.find(empty);
    REQUIRE_MESSAGE(at != std::string::npos, metrics);
    CHECK(std::stoi(metrics.substr(at + empty.size())) >= 2);
    CHECK(metrics.find("code=\"404\"") == std::string::npos);
    CHECK(metrics.find("lpda_sync_http_responses_total{code=\"200\"}") != std::string::npos);

    // A new port: the daemon serves there, and `health` (which reads the new file) agrees.
    const auto second_port = free_port();
    REQUIRE(second_port != first_port);
    write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n", listen_at(second_port));
    daemon.signal(SIGHUP);
    CHECK(eventually(5000, [&] { return status_of(second_port, "/healthz") == 200; }));
    CHECK(status_of(first_port, "/healthz") == -1);
    CHECK(run_lpda("health --config '" + config + "'").status == 0);

    // A port that is taken: refused with a line naming `listen`, the endpoint stays.
    const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(taken, 1) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len);
    const auto taken_port = ntohs(addr.sin_port);
    write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n", listen_at(taken_port));
    daemon.signal(SIGHUP);
    const std::string refusal =
        "reload: listen: cannot serve on 127.0.0.1:" + std::to_string(taken_port);
    CHECK(eventually(
        5000, [&] { return read_file(dir / "run.log").find(refusal) != std::string::npos; }));
    CHECK_MESSAGE(read_file(dir / "run.log")
                          .find("still serving on 127.0.0.1:" + std::to_string(second_port)) !=
                      std::string::npos,
                  read_file(dir / "run.log"));
    CHECK(status_of(second_port, "/healthz") == 200);
    {  // `health` probes what the daemon serves, not the taken port the file names (whose
       // listener would answer anything), and says so.
      const auto h = run_lpda("health --config '" + config + "'");
      CHECK_MESSAGE(h.status == 0, h.err);
      CHECK_MESSAGE(
          h.err.find("the running daemon serves on 127.0.0.1:" + std::to_string(second_port) +
                     ", not on the config's listen 127.0.0.1:" + std::to_string(taken_port)) !=
              std::string::npos,
          h.err);
      CHECK(h.err.find("/healthz ok") != std::string::npos);
    }
    ::close(taken);

    // A key a reload cannot apply is named, not silently ignored.
    write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n",
                 listen_at(second_port) + "client: {max_per_host: 2}\n");
    daemon.signal(SIGHUP);
    CHECK(eventually(5000, [&] {
      return read_file(dir / "run.log")
                 .find(
                     "reload: client changed; it takes effect after a "
                     "restart") != std::string::npos;
    }));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
  }

  TEST_CASE("run under NOTIFY_SOCKET sends READY=1 and STATUS= and WATCHDOG=1") {
    emulator_process emu(emulator_args(4));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678"}, "  poll_interval: 1s\n");
    const auto sock_path = (dir / "notify.sock").string();
    const int fd = bind_notify_socket(sock_path);

    child_process daemon(run_argv(config), (dir / "run.log").string(),
                         {"NOTIFY_SOCKET=" + sock_path, "WATCHDOG_USEC=400000"});
    bool ready = false, status = false, watchdog = false;
    const auto deadline = now_ms() + 10000;
    while (now_ms() < deadline && !(ready && status && watchdog)) {
      char buf[4096];
      const auto n = ::recv(fd, buf, sizeof buf - 1, 0);
      if (n <= 0) continue;
      const std::string msg(buf, static_cast<std::size_t>(n));
      ready = ready || msg.find("READY=1") != std::string::npos;
      status = status || msg.find("STATUS=") != std::string::npos;
      watchdog = watchdog || msg.find("WATCHDOG=1") != std::string::npos;
    }
    ::close(fd);
    CHECK(ready);
    CHECK(status);
    CHECK(watchdog);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
  }

  TEST_CASE("run under NOTIFY_SOCKET extends the start timeout while it migrates, before READY") {
    // A new database: every migration runs at start, each announced to the service manager
    // with EXTEND_TIMEOUT_USEC and STATUS (sd_notify(3)) before READY=1.
    emulator_process emu(emulator_args(2));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678"}, "  poll_interval: 1h\n");
    const auto sock_path = (dir / "notify.sock").string();
    const int fd = bind_notify_socket(sock_path);

    child_process daemon(run_argv(config), (dir / "run.log").string(),
                         {"NOTIFY_SOCKET=" + sock_path});
    std::vector<std::string> before_ready;
    bool ready = false;
    const auto deadline = now_ms() + 10000;
    while (now_ms() < deadline && !ready) {
      char buf[4096];
      const auto n = ::recv(fd, buf, sizeof buf - 1, 0);
      if (n <= 0) continue;
      const std::string msg(buf, static_cast<std::size_t>(n));
      ready = msg.find("READY=1") != std::string::npos;
      if (!ready) before_ready.push_back(msg);
    }
    ::close(fd);
    REQUIRE(ready);
    const auto has = [&](const std::string& msg) {
      return std::find(before_ready.begin(), before_ready.end(), msg) != before_ready.end();
    };
    CHECK(
        has("EXTEND_TIMEOUT_USEC=30000000\nSTATUS=migrating the database: migration 1 of core "
            "(tables: files, checkpoints)"));
    CHECK(
        has("STATUS=migrated the database: migration 3 of core (checkpoints: last_error, "
            "last_error_since_ms)"));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    // The log has a line per start and end.
    const auto log = read_file(dir / "run.log");
    CHECK(log.find("migration 1 of core (tables: files, checkpoints): started") !=
          std::string::npos);
    CHECK(log.find("migration 1 of core (tables: files, checkpoints): done in ") !=
          std::string::npos);
  }

  TEST_CASE("readyz turns ready after the first successful poll and metrics pass promtool") {
    // 1.5 s per response: the first poll is visibly in progress for a while.
    emulator_process emu(emulator_args(3, {"--latency-ms", "1500"}));
    temp_dir dir;
    const auto port = free_port();
    const auto config = write_config(dir, emu.url(), {"12345678"}, "  initial_start: 4h\n",
                                     "listen: 127.0.0.1:" + std::to_string(port) + "\n");
    {  // nothing listens yet: the check fails and says why
      const auto h = run_lpda("health --config '" + config + "'");
      CHECK(h.status == 1);
      CHECK_MESSAGE(h.err.find("/healthz failed: ") != std::string::npos, h.err);
    }

    child_process daemon(run_argv(config), (dir / "run.log").string());
    REQUIRE(eventually(5000, [&] { return status_of(port, "/healthz") == 200; }));
    CHECK(status_of(port, "/readyz") == 503);
    {
      const auto h = run_lpda("health --config '" + config + "'");
      CHECK(h.status == 0);
      CHECK_MESSAGE(h.err.find("/healthz ok") != std::string::npos, h.err);
    }
    CHECK(eventually(20000, [&] { return status_of(port, "/readyz") == 200; }));
    CHECK(stored(dir) == expected_for(emu, "12345678"));

    const auto metrics = http_get(port, "/metrics").second;
    CHECK(
        metrics.find(
            "lpda_sync_files_downloaded_total{account=\"12345678\",data_type=\"agentActivity\"}") !=
        std::string::npos);
    write_file(dir / "metrics.txt", metrics);
    const auto promtool =
        run_command("command -v promtool >/dev/null && promtool check metrics < '" +
                    (dir / "metrics.txt").string() + "'");
    if (promtool.status == 1 && promtool.out.empty() && promtool.err.empty())
      MESSAGE(
          "SKIPPED promtool check: promtool is not installed (scripts/install-deps installs "
          "prometheus)");
    else
      CHECK_MESSAGE(promtool.status == 0, promtool.out << promtool.err);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
  }

  TEST_CASE("the daemon counts its OAuth 2.0 token fetches in /metrics") {
    emulator_process emu(emulator_args(3, {"--data-access-auth", "bearer"}));
    temp_dir dir;
    const auto port = free_port();
    const auto config = write_config(dir, emu.url(), {"12345678"}, "  initial_start: 4h\n",
                                     "listen: 127.0.0.1:" + std::to_string(port) + "\n");
    // LivePerson's OAuth 2.0 flow through the emulator's Domain API instead of the OAuth 1.0a
    // keys write_config writes.
    std::string text = read_file(config);
    const auto auth = text.find("    auth: {oauth1:");
    REQUIRE(auth != std::string::npos);
    text.replace(auth, text.find('\n', auth) - auth,
                 "    auth: {oauth2: {client_id: emulator-client, client_secret: "
                 "emulator-client-secret, csds_url: \"" +
                     emu.url() + "\"}}");
    write_file(config, text);
    child_process daemon(run_argv(config), (dir / "run.log").string());
    REQUIRE(eventually(20000, [&] { return status_of(port, "/readyz") == 200; }));
    CHECK(stored(dir) == expected_for(emu, "12345678"));
    const auto metrics = http_get(port, "/metrics").second;
    CHECK_MESSAGE(metrics.find("lpda_sync_oauth2_token_requests_total{account=\"12345678\","
                               "result=\"ok\"} 1\n") != std::string::npos,
                  metrics);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
  }

  TEST_CASE("backfill stores a range and leaves the watermark unchanged") {
    emulator_process emu(emulator_args(30));
    temp_dir dir;
    // The account starts 6 h back: the first poll leaves the older files alone.
    const auto config = write_config(dir, emu.url(), {"555"}, "  initial_start: 6h\n");
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    const auto wm = watermark_of(config, "555");
    REQUIRE(wm.has_value());
    const auto before = stored(dir).size();
    const auto all = expected_for(emu, "555");
    REQUIRE(before < all.size());

    const auto r = run_lpda("backfill --account 555 --from 2d --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(stored(dir) == all);
    CHECK(watermark_of(config, "555") == wm);

    // Files already done are skipped unless --refetch.
    rapidjson::Document counts;
    counts.Parse(emu.control("counts").c_str());
    const int downloads = counts["download"].GetInt();
    REQUIRE(run_lpda("backfill --account 555 --from 2d --config '" + config + "'").status == 0);
    counts.Parse(emu.control("counts").c_str());
    CHECK(counts["download"].GetInt() == downloads);
    REQUIRE(
        run_lpda("backfill --account 555 --from 2d --refetch --config '" + config + "'").status ==
        0);
    counts.Parse(emu.control("counts").c_str());
    CHECK(counts["download"].GetInt() > downloads);
    CHECK(stored(dir) == all);

    // An explicit reset moves the watermark anywhere, backwards included, or clears it.
    auto reset = run_lpda("reset-watermark --account 555 --to 2026-11-01T00:00:00Z --config '" +
                          config + "'");
    REQUIRE_MESSAGE(reset.status == 0, reset.err);
    CHECK(watermark_of(config, "555") == 1'793'491'200'000);  // 2026-11-01T00:00:00Z
    reset = run_lpda("reset-watermark --account 555 --clear --config '" + config + "'");
    REQUIRE_MESSAGE(reset.status == 0, reset.err);
    CHECK(watermark_of(config, "555") == std::nullopt);
    CHECK(run_lpda("reset-watermark --account 555 --config '" + config + "'").status == 64);
    // A future watermark would silently stop the account; an unknown account is a typo.
    CHECK(run_lpda("reset-watermark --account 555 --to 2099-01-01 --config '" + config + "'")
              .status == 64);
    CHECK(run_lpda("reset-watermark --account 999 --clear --config '" + config + "'").status == 64);
    CHECK(run_lpda("retry-failed --account 999 --config '" + config + "'").status == 64);
    CHECK(watermark_of(config, "999") == std::nullopt);
  }

  TEST_CASE("read-only commands work without the credentials and a second run is refused") {
    emulator_process emu(emulator_args(4));
    temp_dir dir;
    auto config = write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n");
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    // The service's credential files do not exist in an operator's shell.
    auto text = read_file(config);
    const auto pos = text.find("app_secret: ");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, std::string("app_secret: ").size() + std::string(emu_app_secret).size(),
                 "app_secret_file: /run/credentials/lpda-sync.service/app_secret");
    write_file(config, text);
    CHECK(run_lpda("validate-config --config '" + config + "'").status == 78);
    CHECK(run_lpda("validate-config --no-secrets --config '" + config + "'").status == 0);
    CHECK(run_lpda("status --config '" + config + "'").status == 0);
    CHECK(run_lpda("report availability --config '" + config + "'").status == 0);
    CHECK(run_lpda("once --config '" + config + "'").status == 78);

    const auto good = write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n");
    child_process first(run_argv(good), (dir / "run.log").string());
    REQUIRE(eventually(5000, [&] {
      return std::filesystem::exists(dir / "run.log") &&
             read_file(dir / "run.log").find("lpda-sync running") != std::string::npos;
    }));
    const auto second = run_lpda("run --config '" + good + "'");
    CHECK(second.status == 75);
    const std::string holder = "lpda-sync run, pid " + std::to_string(first.pid());
    CHECK_MESSAGE(second.err.find(holder + " holds ") != std::string::npos, second.err);
    CHECK(second.err.find("lpda.db.lock") != std::string::npos);
    CHECK_MESSAGE(
        second.err.find("`kill -TERM " + std::to_string(first.pid()) + "`") != std::string::npos,
        second.err);
    first.signal(SIGTERM);
    CHECK(first.wait(10000) == 0);
  }

  TEST_CASE("reset-watermark while run holds the database is refused naming the daemon's pid") {
    emulator_process emu(emulator_args(4));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  poll_interval: 1h\n");
    child_process daemon(run_argv(config), (dir / "run.log").string());
    REQUIRE(eventually(10000, [&] {
      return std::filesystem::exists(dir / "run.log") &&
             read_file(dir / "run.log").find("watermark 20") != std::string::npos;
    }));
    const auto before = watermark_of(config, "555");
    const auto refused =
        run_lpda("reset-watermark --config '" + config + "' --account 555 --to 3d");
    CHECK(refused.status == 75);
    const std::string holder = "lpda-sync run, pid " + std::to_string(daemon.pid());
    CHECK_MESSAGE(refused.err.find(holder + " holds ") != std::string::npos, refused.err);
    CHECK_MESSAGE(refused.err.find("stop it first") != std::string::npos, refused.err);
    CHECK(refused.out.empty());
    CHECK(watermark_of(config, "555") == before);
    daemon.signal(SIGTERM);
    REQUIRE(daemon.wait(10000) == 0);
    // Stopped: the same reset goes through, and the daemon can take the lock again afterwards.
    const auto done = run_lpda("reset-watermark --config '" + config + "' --account 555 --to 3d");
    CHECK_MESSAGE(done.status == 0, done.err);
    CHECK(watermark_of(config, "555") != before);
    child_process again(run_argv(config), (dir / "run2.log").string());
    REQUIRE(eventually(10000, [&] {
      return std::filesystem::exists(dir / "run2.log") &&
             read_file(dir / "run2.log").find("lpda-sync running") != std::string::npos;
    }));
    again.signal(SIGTERM);
    CHECK(again.wait(10000) == 0);
  }

  TEST_CASE("snapshot copies the database consistently while run writes it") {
    emulator_process emu(emulator_args(30));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"12345678", "555"}, "  poll_interval: 1s\n");
    const auto copy = dir / "bi" / "copy.db";
    {  // no database yet: 66, and a missing target directory names the target
      const auto none = run_lpda("snapshot '" + copy.string() + "' --config '" + config + "'");
      CHECK(none.status == 66);
      CHECK_MESSAGE(none.err.find("lpda.db: no such database file") != std::string::npos, none.err);
    }
    child_process daemon(run_argv(config), (dir / "run.log").string());
    REQUIRE(eventually(20000, [&] { return !stored(dir).empty(); }));
    {
      const auto r = run_lpda("snapshot '" + copy.string() + "' --config '" + config + "'");
      CHECK(r.status == 1);
      CHECK_MESSAGE(r.err.find("lpda-sync snapshot: snapshot of ") != std::string::npos, r.err);
      CHECK(r.err.find(copy.string()) != std::string::npos);
    }
    std::filesystem::create_directory(dir / "bi");
    // Taken while the daemon stores files: every copy is a state the database passed through,
    // so it holds whole files only — each file's events with its ledger row, never a part.
    for (int i = 0; i < 5; ++i) {
      const auto r = run_lpda("snapshot '" + copy.string() + "' --config '" + config + "'");
      REQUIRE_MESSAGE(r.status == 0, r.err);
      CHECK(r.out.find("written to " + copy.string()) != std::string::npos);
      CHECK(run_command("sqlite3 -readonly '" + copy.string() + "' 'PRAGMA journal_mode'").out ==
            "delete\n");
      CHECK(run_command("sqlite3 -readonly '" + copy.string() + "' 'PRAGMA integrity_check'").out ==
            "ok\n");
      const auto mismatched = run_command(
          "sqlite3 -readonly '" + copy.string() +
          "' \"SELECT count(*) FROM files f WHERE f.status = 'done' AND f.events_inserted != "
          "(SELECT count(*) FROM agent_activity_events e WHERE e.account_id = f.account_id AND "
          "e.source_file_key = f.file_key)\"");
      CHECK(mismatched.out == "0\n");
    }
    const auto all = expected_rows(emu.control("expected", "files=available"));
    REQUIRE(eventually(30000, [&] { return stored(dir) == all; }));
    daemon.signal(SIGTERM);
    REQUIRE(daemon.wait(10000) == 0);
    REQUIRE(run_lpda("snapshot '" + copy.string() + "' --config '" + config + "'").status == 0);
    check_rows(copy.string(), all);
  }

  TEST_CASE("retry-failed brings back a quarantined file once the emulator serves it again") {
    emulator_process emu(emulator_args(6));
    const std::string broken = file_with_events(emu, "555");
    REQUIRE_FALSE(broken.empty());
    emu.control("fail-file", "name=" + broken);
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  quarantine_after: 1\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    CHECK(stored(dir) == expected_for(emu, "555", "served"));
    CHECK(stored(dir) != expected_for(emu, "555"));

    emu.control("fail-file", "name=");
    const auto r = run_lpda("retry-failed --now --config '" + config + "'");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("1 quarantined file(s) reset") != std::string::npos);
    CHECK(stored(dir) == expected_for(emu, "555"));
  }

  TEST_CASE("run exits 0 on SIGTERM at seeded random instants of its work and after SIGHUP") {
    // Cycles of `run`, each stopped by SIGTERM at a seeded random instant inside one part of its
    // work (stop_point), with a metrics endpoint on every other cycle and a $NOTIFY_SOCKET with
    // a watchdog on every third (a socket nobody reads: every notification fails). Each must
    // exit 0 with a consistent database and no sanitizer report (see harness.hpp).
    // LPDA_STRESS_CYCLES (default 20) and LPDA_STRESS_SEED reproduce a run.
    const int cycles = static_cast<int>(env_int("LPDA_STRESS_CYCLES", 20));
    const auto seed = static_cast<std::uint32_t>(env_int("LPDA_STRESS_SEED", 20261207));
    std::mt19937 rng(seed);
    const auto t_start = now_ms();
    int counts[stop_points] = {};
    std::int64_t worst_stop_ms = 0;
    for (int i = 0; i < cycles; ++i) {
      const auto point = static_cast<stop_point>(i % stop_points);
      std::vector<std::string> extra;
      std::string defaults = "  poll_interval: 1s\n";
      std::string top;
      switch (point) {
        case stop_point::listing:
          extra = {"--latency-ms", "250"};
          break;
        case stop_point::download:
          extra = {"--fault",      "drip", "--fault-target", "download",
                   "--drip-bytes", "256",  "--drip-ms",      "5"};
          break;
        case stop_point::retry_wait:
          extra = {"--fault", "429", "--retry-after", "1"};
          break;
        case stop_point::backoff_wait:
          extra = {"--fault", "500"};
          break;
        case stop_point::idle:
          defaults = "  poll_interval: 1h\n";
          break;
        default:
          break;
      }
      emulator_process emu(emulator_args(point == stop_point::store ? 2 : 6, extra));
      std::string store_key;
      if (point == stop_point::store) {
        rapidjson::Document added;
        added.Parse(
            emu.control("add-file", "account=555&scope=" + std::to_string(now_ms() - hour_ms) +
                                        "&sessions=4000")
                .c_str());
        REQUIRE_FALSE(added.HasParseError());
        store_key = added["name"].GetString();
        if (store_key.ends_with(".gz")) store_key.resize(store_key.size() - 3);
        // Rendered now, not on download: a sanitized emulator on a loaded machine takes longer to
        // render 4,000 sessions than the wait for "downloaded" below.
        REQUIRE(emu.control("pregenerate").find("\"files\"") != std::string::npos);
      }
      temp_dir dir;
      if (i % 2 == 1) top += "listen: 127.0.0.1:" + std::to_string(free_port()) + "\n";
      const auto config = write_config(dir, emu.url(), {"12345678", "555"}, defaults, top);
      std::vector<std::string> env;
      if (i % 3 == 2)
        env = {"NOTIFY_SOCKET=" + (dir / "nobody.sock").string(), "WATCHDOG_USEC=200000"};
      const auto log = dir / "run.log";
      child_process daemon(run_argv(config), log.string(), env);
      // Until it logs "running" the daemon has no SIGTERM handler yet (the default action
      // stops it, by design): the instants are drawn after that.
      REQUIRE_MESSAGE(eventually(10000, [&] { return log_has(log, "lpda-sync running"); }),
                      tail_of(log));

      const auto between = [&](int lo, int hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
      };
      std::int64_t delay = 0;
      switch (point) {
        case stop_point::first_poll:
          delay = between(0, 300);
          break;
        case stop_point::listing:
          delay = between(0, 900);
          break;
        case stop_point::download:
          delay = between(100, 1200);
          break;
        case stop_point::store:
          REQUIRE_MESSAGE(
              eventually(30000, [&] { return log_has(log, "file=" + store_key + ": downloaded"); }),
              tail_of(log));
          delay = between(0, 300);
          break;
        case stop_point::retry_wait:
          delay = between(50, 1500);
          break;
        case stop_point::backoff_wait:
          delay = between(200, 1500);
          break;
        case stop_point::idle:
          // Both accounts have logged their poll's report.
          REQUIRE_MESSAGE(eventually(30000,
                                     [&] {
                                       const auto text = read_file(log);
                                       const auto first = text.find("files listed");
                                       return first != std::string::npos &&
                                              text.find("files listed", first + 1) !=
                                                  std::string::npos;
                                     }),
                          tail_of(log));
          delay = between(0, 300);
          break;
        case stop_point::reload: {
          std::this_thread::sleep_for(std::chrono::milliseconds(between(0, 600)));
          daemon.signal(SIGHUP);
          delay = between(0, 100);
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      CAPTURE(seed);
      CAPTURE(i);
      CAPTURE(name_of(point));
      CAPTURE(delay);
      const auto t0 = now_ms();
      daemon.signal(SIGTERM);
      const int rc = daemon.wait(10000);
      CHECK_MESSAGE(rc == 0, tail_of(log));
      worst_stop_ms = std::max(worst_stop_ms, now_ms() - t0);
      CHECK(integrity(dir) == "ok\n");
      ++counts[i % stop_points];
      if (rc != 0) break;  // the log above tells why; the next cycles would repeat it
    }
    std::ostringstream summary;
    summary << cycles << " cycles (seed " << seed << ") in " << (now_ms() - t_start)
            << " ms, slowest stop " << worst_stop_ms << " ms;";
    for (int p = 0; p < stop_points; ++p)
      summary << " " << name_of(static_cast<stop_point>(p)) << ": " << counts[p] << ";";
    MESSAGE(summary.str());
  }
}

// A wrong host clock (libfaketime shifts the wall clock of lpda-sync only; the monotonic clock is
// left alone, as an NTP step or a bad RTC leaves it). The emulator's "now" is fixed and moved by
// the test, so files appear as if hours passed; its Date header carries that "now".
namespace {

std::string faketime_library() {
  for (const char* p : {"/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                        "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
                        "/usr/lib/faketime/libfaketimeMT.so.1"})
    if (std::filesystem::exists(p)) return p;
  FAIL("libfaketime is not installed (Debian package faketime; scripts/install-deps)");
  return {};
}

// The environment that shifts a process's wall clock by `offset` ("+2d", "-6h"), or by what
// the file `offset_file` says, re-read at every clock read (a clock stepped while running).
std::vector<std::string> faketime_env(const std::string& offset,
                                      const std::string& offset_file = "") {
  std::vector<std::string> env{"LD_PRELOAD=" + faketime_library(),
                               "FAKETIME_DONT_FAKE_MONOTONIC=1"};
  // A sanitized lpda-sync refuses to start with a preloaded library ahead of its runtime unless
  // told to allow it; libfaketime only wraps the clock calls.
  (void)sanitizer_log_dir();  // sets ASAN_OPTIONS for the children first
  const char* asan = std::getenv("ASAN_OPTIONS");
  env.push_back(std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : std::string()) +
                "verify_asan_link_order=0");
  if (offset_file.empty()) {
    env.push_back("FAKETIME=" + offset);
  } else {
    env.push_back("FAKETIME_TIMESTAMP_FILE=" + offset_file);
    env.push_back("FAKETIME_NO_CACHE=1");
  }
  return env;
}

run_result run_lpda_shifted(const std::string& offset, const std::string& args) {
  std::string prefix;
  for (const auto& e : faketime_env(offset)) prefix += "'" + e + "' ";
  return run_command("env " + prefix + "'" + (bin_dir() / "lpda-sync").string() + "' " + args);
}

// The emulator's fixed "now": half past an hour, 30 to 90 minutes before the real clock.
// Files are created 5 to 25 minutes after their hour, so none is created near a half hour: no
// file is published within the margin a window ends before the server's now.
std::int64_t half_past(std::int64_t ms) {
  return ms / hour_ms * hour_ms - hour_ms / 2;
}

// One account whose hours run 18 h before the emulator's now to 12 h after it: the later ones
// are published as the test moves "now" on.
std::vector<std::string> clock_emulator_args(std::int64_t now,
                                             std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--accounts", "555",
                             "--agents",   "30",
                             "--seed",     "13",
                             "--now",      std::to_string(now),
                             "--from",     std::to_string(now / hour_ms * hour_ms - 18 * hour_ms),
                             "--hours",    "30"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void advance(const emulator_process& emu, std::int64_t ms) {
  emu.control("now", "advance=" + std::to_string(ms));
}

const rapidjson::Value& status_of(const rapidjson::Document& d, const std::string& account) {
  for (const auto& a : d["accounts"].GetArray())
    if (account == a["account_id"].GetString()) return a;
  FAIL("no status for account " << account);
  return d["accounts"][0];
}

}  // namespace

TEST_SUITE("integration_clock") {
  TEST_CASE("once with the host clock 2 days ahead, then corrected: every poll ends exact") {
    const std::int64_t n0 = half_past(now_ms());
    emulator_process emu(clock_emulator_args(n0));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});

    const std::int64_t before = now_ms();
    const auto ahead = run_lpda_shifted("+2d", "once --config '" + config + "'");
    const std::int64_t after = now_ms();
    REQUIRE_MESSAGE(ahead.status == 0, ahead.err);
    const auto first = expected_for(emu, "555");
    REQUIRE_FALSE(first.empty());
    CHECK(stored(dir) == first);
    // The watermark follows the server's clock, not the host's 2 days ahead.
    const auto wm = watermark_of(config, "555");
    REQUIRE(wm.has_value());
    CHECK(*wm <= n0);
    CHECK(*wm >= n0 - window_end_slack_ms);
    CHECK_MESSAGE(ahead.err.find("beyond client.clock_skew_warning") != std::string::npos,
                  ahead.err);
    {  // status shows the skew it measured: the host's clock at the answer minus the Date.
      const auto d = status_json(config);
      const auto& s = status_of(d, "555");
      const std::int64_t two_days = 2 * 24 * hour_ms;
      REQUIRE(s["clock_skew_ms"].IsInt64());
      CHECK(s["clock_skew_ms"].GetInt64() >= before + two_days - n0);
      CHECK(s["clock_skew_ms"].GetInt64() <= after + two_days - n0);
      CHECK(s["server_time_ms"].GetInt64() >= n0);
      CHECK(s["clock_skew_warning"].GetBool());
      const auto text = run_lpda("status --config '" + config + "'");
      CHECK_MESSAGE(text.out.find("555: the host's clock was 2d ") != std::string::npos, text.out);
      CHECK(text.out.find("WARNING: beyond client.clock_skew_warning (5m)") != std::string::npos);
    }

    // Three hours pass at the server; the host's clock has been set right.
    advance(emu, 3 * hour_ms);
    const auto second = expected_for(emu, "555");
    REQUIRE(second.size() > first.size());
    const auto corrected = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(corrected.status == 0, corrected.err);
    CHECK(stored(dir) == second);
    CHECK(corrected.err.find("pulled back") == std::string::npos);  // nothing to repair

    // An hour in which no session closes publishes an empty file: move on until one does.
    int hours = 3;
    auto third = second;
    while (third.size() == second.size() && hours < 8) {
      advance(emu, hour_ms);
      ++hours;
      third = expected_for(emu, "555");
    }
    REQUIRE(third.size() > second.size());
    REQUIRE(run_lpda("once --config '" + config + "'").status == 0);
    CHECK(stored(dir) == third);
    CHECK(*watermark_of(config, "555") <= n0 + hours * hour_ms);
  }

  TEST_CASE("a watermark left in the future by a host ahead without a Date header is repaired") {
    const std::int64_t n0 = half_past(now_ms());
    emulator_process emu(clock_emulator_args(n0, {"--no-date"}));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    // No Date header: the host's clock, 2 days ahead, ends the window and the watermark.
    const auto ahead = run_lpda_shifted("+2d", "once --config '" + config + "'");
    REQUIRE_MESSAGE(ahead.status == 0, ahead.err);
    CHECK_MESSAGE(ahead.err.find("carry no usable Date header") != std::string::npos, ahead.err);
    const auto first = expected_for(emu, "555");
    CHECK(stored(dir) == first);
    const auto future = watermark_of(config, "555");
    REQUIRE(future.has_value());
    CHECK(*future > now_ms() + 24 * hour_ms);

    // The server answers with its clock again; three hours of files are published meanwhile.
    emu.control("variant", "no-date=0");
    advance(emu, 3 * hour_ms);
    const auto second = expected_for(emu, "555");
    REQUIRE(second.size() > first.size());
    const auto repaired = run_lpda("once --config '" + config + "'");
    REQUIRE_MESSAGE(repaired.status == 0, repaired.err);
    CHECK_MESSAGE(repaired.err.find("was beyond the server's now") != std::string::npos,
                  repaired.err);
    CHECK(stored(dir) == second);
    const auto wm = watermark_of(config, "555");
    REQUIRE(wm.has_value());
    CHECK(*wm <= n0 + 3 * hour_ms);
    CHECK(*wm >= n0 + 3 * hour_ms - window_end_slack_ms);
  }

  TEST_CASE("the host clock 6 hours behind: exact at once, and as time passes") {
    const std::int64_t n0 = half_past(now_ms());
    emulator_process emu(clock_emulator_args(n0));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    const auto behind = run_lpda_shifted("-6h", "once --config '" + config + "'");
    REQUIRE_MESSAGE(behind.status == 0, behind.err);
    const auto first = expected_for(emu, "555");
    CHECK(stored(dir) == first);
    const auto wm = watermark_of(config, "555");
    REQUIRE(wm.has_value());
    CHECK(*wm >= n0 - window_end_slack_ms);  // not held 6 hours back by the host's clock

    advance(emu, 2 * hour_ms);
    const auto second = expected_for(emu, "555");
    REQUIRE(second.size() > first.size());
    REQUIRE(run_lpda_shifted("-6h", "once --config '" + config + "'").status == 0);
    CHECK(stored(dir) == second);
  }

  TEST_CASE(
      "run across clock steps: exact after each, and the schedule neither stalls nor storms") {
    const std::int64_t n0 = half_past(now_ms());
    emulator_process emu(clock_emulator_args(n0));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"}, "  poll_interval: 1s\n");
    const auto offset_file = (dir / "faketime").string();
    write_file(offset_file, "+2d\n");
    child_process daemon(run_argv(config), (dir / "run.log").string(),
                         faketime_env("", offset_file));
    CHECK(eventually(20000, [&] { return stored(dir) == expected_for(emu, "555"); }));

    advance(emu, 2 * hour_ms);
    const auto before_step = expected_for(emu, "555");
    CHECK(eventually(10000, [&] { return stored(dir) == before_step; }));

    // Polls in 4 s of a 1 s poll_interval: about 4, whatever the wall clock does.
    const auto polls_in_4s = [&] {
      emu.control("reset-counts");
      std::this_thread::sleep_for(std::chrono::seconds(4));
      rapidjson::Document counts;
      counts.Parse(emu.control("counts").c_str());
      return counts["listing"].GetInt();
    };

    // The host's clock is stepped back 2 days (set right) while the daemon runs.
    write_file(offset_file, "+0\n");
    advance(emu, 2 * hour_ms);
    const auto after_step = expected_for(emu, "555");
    REQUIRE(after_step.size() > before_step.size());
    CHECK(eventually(10000, [&] { return stored(dir) == after_step; }));
    const int back = polls_in_4s();
    CHECK(back >= 2);
    CHECK(back <= 8);

    // And stepped 3 days forward.
    write_file(offset_file, "+3d\n");
    advance(emu, hour_ms);
    const auto forward = expected_for(emu, "555");
    CHECK(eventually(10000, [&] { return stored(dir) == forward; }));
    const int fwd = polls_in_4s();
    CHECK(fwd >= 2);
    CHECK(fwd <= 8);

    const auto wm = watermark_of(config, "555");
    REQUIRE(wm.has_value());
    CHECK(*wm <= n0 + 5 * hour_ms);
    CHECK(daemon.wait(0) == -1);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10000) == 0);
    CHECK(read_file(dir / "run.log").find("pulled back") == std::string::npos);
  }

  TEST_CASE("check shows the host's clock against the server's and warns 2 days ahead") {
    const std::int64_t n0 = half_past(now_ms());
    emulator_process emu(clock_emulator_args(n0));
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    // The host's clock is 30 to 90 minutes ahead of the emulator's fixed now: beyond 5 min.
    // The verdict line of the clock step: "  <verdict> clock     <text>".
    const auto line_of = [](const std::string& out) {
      std::istringstream lines(out);
      for (std::string line; std::getline(lines, line);)
        if (line.size() > 14 && line.compare(8, 6, "clock ") == 0) return line;
      return std::string();
    };
    const auto near = run_lpda("check --config '" + config + "'");
    CHECK_MESSAGE(near.status == 0, near.out << near.err);
    CHECK(line_of(near.out).rfind("  warn  clock     the host's clock is ", 0) == 0);
    CHECK(line_of(near.out).find("ahead of the server's (its Date header), beyond "
                                 "client.clock_skew_warning (5m)") != std::string::npos);

    // Within a threshold of 3 hours the same clocks are fine.
    std::string text = read_file(config);
    text += "client:\n  clock_skew_warning: 3h\n";
    write_file(config, text);
    const auto ok = run_lpda("check --config '" + config + "'");
    CHECK_MESSAGE(ok.status == 0, ok.out << ok.err);
    CHECK(line_of(ok.out).rfind("  ok    clock     the host's clock is ", 0) == 0);

    // 2 days ahead: a warning that names the OAuth 1.0a signatures; the check still passes.
    const auto ahead = run_lpda_shifted("+2d", "check --config '" + config + "'");
    CHECK_MESSAGE(ahead.status == 0, ahead.out << ahead.err);
    CHECK(line_of(ahead.out).rfind("  warn  clock     the host's clock is 2d ", 0) == 0);
    CHECK(line_of(ahead.out).find("OAuth 1.0a signatures carry its time") != std::string::npos);
  }
}
