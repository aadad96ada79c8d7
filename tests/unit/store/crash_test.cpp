// Kills a child process that ingests generated files with SIGKILL at random instants; after
// every kill the database must be intact and hold exactly the files whose ledger row is done,
// each complete.
#include "lpda/sqlite/database.hpp"

#include "event_sources.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

constexpr std::uint64_t seed = 20240304;
constexpr int file_count = 500;
constexpr int events_per_file = 1000;

struct file_facts {
  std::int64_t events = 0;
  std::int64_t timestamp_sum = 0;
  std::int64_t value_sum = 0;  // sum of state*1000 + type*100 + prev_state*10 + concurrent_eng
  std::set<std::string> sessions;
};

pid_t spawn_child(const std::string& db) {
  std::vector<std::string> args{LPDA_STORE_CRASH_CHILD, db, std::to_string(seed),
                                std::to_string(file_count), std::to_string(events_per_file)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  return pid;
}

// Checks the invariants and returns how many files are done.
std::size_t check_database(const std::string& path, const std::vector<file_facts>& facts) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  REQUIRE(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  CHECK_FALSE(fk.executeStep());
  if (!db.tableExists("files")) return 0;  // killed before the first migration committed

  std::map<std::string, std::int64_t> done;
  SQLite::Statement ledger(db, "SELECT file_key, status, events FROM files");
  while (ledger.executeStep()) {
    CHECK(ledger.getColumn(1).getString() == "done");
    done[ledger.getColumn(0).getString()] = ledger.getColumn(2).getInt64();
  }
  SQLite::Statement per_file(db,
                             "SELECT source_file_key, count(*), sum(timestamp_ms), "
                             "sum(state * 1000 + type * 100 + prev_state * 10 + concurrent_eng), "
                             "count(DISTINCT agent_session_id) "
                             "FROM agent_activity_events GROUP BY source_file_key");
  std::size_t files_with_rows = 0;
  while (per_file.executeStep()) {
    const std::string key = per_file.getColumn(0).getString();
    REQUIRE_MESSAGE(done.count(key) == 1, "rows of a file without a done ledger row: " << key);
    const auto& f = facts.at(static_cast<std::size_t>(std::stoi(key.substr(4))));
    CHECK(per_file.getColumn(1).getInt64() == f.events);
    CHECK(per_file.getColumn(2).getInt64() == f.timestamp_sum);
    CHECK(per_file.getColumn(3).getInt64() == f.value_sum);
    CHECK(per_file.getColumn(4).getInt64() == static_cast<std::int64_t>(f.sessions.size()));
    CHECK(done[key] == f.events);
    ++files_with_rows;
  }
  CHECK(files_with_rows == done.size());
  std::int64_t sessions = 0;
  for (const auto& [key, n] : done)
    sessions += static_cast<std::int64_t>(
        facts.at(static_cast<std::size_t>(std::stoi(key.substr(4)))).sessions.size());
  CHECK(db.execAndGet("SELECT count(*) FROM agent_sessions").getInt64() == sessions);
  return done.size();
}

}  // namespace

TEST_SUITE("integration_store") {
  TEST_CASE("SIGKILL at random points leaves whole files or none") {
    std::vector<file_facts> facts(file_count);
    for (int i = 0; i < file_count; ++i) {
      auto& f = facts[static_cast<std::size_t>(i)];
      for (const auto& e : lpda::store::test::generate_file_events(seed, i, events_per_file)) {
        ++f.events;
        f.timestamp_sum += e.timestamp_ms;
        f.value_sum += e.state * 1000 + e.type * 100 + e.prev_state * 10 + e.concurrent_eng;
        f.sessions.insert(e.agent_session_id);
      }
    }

    lpda::test::temp_dir dir;
    const std::string db = (dir / "crash.db").string();
    std::mt19937 rng(12345);
    // Short delays: 25 kills must land before the children together finish all 500 files, on a
    // fast idle machine too; once most files are done the delays shrink further.
    std::uniform_int_distribution<int> delay_ms(2, 40);
    std::uniform_int_distribution<int> late_delay_ms(1, 8);
    int kills = 0;
    std::size_t done = 0;
    for (int attempt = 0; attempt < 80 && kills < 25; ++attempt) {
      const pid_t pid = spawn_child(db);
      const bool most_done = done > static_cast<std::size_t>(file_count) * 3 / 4;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(most_done ? late_delay_ms(rng) : delay_ms(rng)));
      ::kill(pid, SIGKILL);
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        ++kills;
      } else {
        REQUIRE_MESSAGE(WIFEXITED(status), "child ended oddly");
        CHECK(WEXITSTATUS(status) == 0);
      }
      const auto now_done = check_database(db, facts);
      CHECK(now_done >= done);  // committed files never disappear
      done = now_done;
    }
    CHECK(kills >= 20);
    MESSAGE("kills: " << kills << ", files done before the final run: " << done);
    CHECK(done < static_cast<std::size_t>(file_count));  // the kills landed mid-run

    // A final uninterrupted run completes every file.
    const pid_t pid = spawn_child(db);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(check_database(db, facts) == static_cast<std::size_t>(file_count));
  }

  TEST_CASE("the sqlite3 shell holding the write lock for 3 s makes ingest wait and succeed") {
    lpda::test::temp_dir dir;
    const auto path = dir / "locked.db";
    lpda::sqlite::settings s;
    s.path = path;
    s.busy_timeout = std::chrono::milliseconds(500);
    s.busy_retries = 8;
    s.busy_backoff = std::chrono::milliseconds(100);
    s.busy_backoff_max = std::chrono::milliseconds(800);
    auto db = lpda::store::test::open_store(s);

    // The shell takes the write lock, writes a row, sleeps 3 s, commits.
    const std::string script =
        "printf 'BEGIN IMMEDIATE;\\nINSERT INTO checkpoints (account_id, data_type, updated_ms) "
        "VALUES (777, 888, 1);\\n.shell sleep 3\\nCOMMIT;\\n' | sqlite3 '" +
        path.string() + "'";
    std::vector<std::string> args{"/bin/sh", "-c", script};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);

    // Wait until the shell holds the lock: a probe's BEGIN IMMEDIATE then fails at once.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    bool locked = false;
    while (!locked && std::chrono::steady_clock::now() < deadline) {
      SQLite::Database probe(path, SQLite::OPEN_READWRITE);
      if (probe.tryExec("BEGIN IMMEDIATE") == SQLITE_OK) {
        probe.exec("ROLLBACK");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else {
        locked = true;
      }
    }
    REQUIRE(locked);

    const auto start = std::chrono::steady_clock::now();
    lpda::store::test::vector_event_source src(lpda::store::test::generate_file_events(1, 0, 100),
                                               30);
    auto r = db.ingest_file("acct", "agentActivity", lpda::store::test::make_file("f"), src, 1);
    const auto waited = std::chrono::steady_clock::now() - start;
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
    CHECK(r->events_inserted == 100);
    CHECK(waited >= std::chrono::milliseconds(2000));
    SQLite::Database check(path, SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("SELECT count(*) FROM checkpoints WHERE account_id = '777'").getInt() ==
          1);
    CHECK(check.execAndGet("SELECT count(*) FROM agent_activity_events").getInt() == 100);
    CHECK(check.execAndGet("SELECT status FROM files WHERE file_key = 'f'").getString() == "done");
  }

}  // TEST_SUITE
