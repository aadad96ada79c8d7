// SIGKILL of a process in the middle of a long code migration (a table rebuild with pages already
// in the WAL) leaves the database at the old schema with its rows, and the next open completes
// the migration.
#include "lpda/sqlite/database.hpp"

#include "migration_components.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace {

using lpda::store::test::dump;

// Starts the child with its stdout on a pipe; returns the pid and the pipe's read end.
std::pair<pid_t, int> spawn_child(const std::string& db, const char* mode) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> args{LPDA_STORE_MIGRATION_CHILD, db, mode};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  REQUIRE(rc == 0);
  return {pid, fds[0]};
}

// Everything the child writes until it closes stdout (exits or is killed) or `until` appears.
std::string read_until(int fd, const std::string& until) {
  std::string out;
  char buf[256];
  while (out.find(until) == std::string::npos) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_SUITE("integration_store") {
  TEST_CASE("SIGKILL during a table rebuild leaves the old schema and a rerun completes it") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    {
      lpda::sqlite::settings s;
      s.path = p;
      auto db = lpda::store::test::open_rebuild(s, 1);
    }
    lpda::store::test::fill_items(p, 20000, 200);
    const std::string all_items =
        "SELECT id, account, at_ms, hex(payload), note FROM items ORDER BY id";
    const auto items = dump(p, all_items);
    const auto schema = dump(p, "SELECT type, name, sql FROM sqlite_master ORDER BY name");
    const auto applied = dump(p, "SELECT component, number FROM schema_migrations ORDER BY 1, 2");

    auto [pid, out] = spawn_child(p.string(), "stall");
    const auto said = read_until(out, "\n");
    REQUIRE_MESSAGE(said.rfind("copying ", 0) == 0, said);  // mid-copy, transaction open
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::close(out);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    // The old schema and rows, nothing of the new table.
    {
      SQLite::Database db(p.string(), SQLite::OPEN_READWRITE);
      CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    }
    CHECK(dump(p, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema);
    CHECK(dump(p, "SELECT component, number FROM schema_migrations ORDER BY 1, 2") == applied);
    CHECK(dump(p, all_items) == items);

    // A rerun migrates: same rows, in the new table.
    auto [pid2, out2] = spawn_child(p.string(), "finish");
    const auto said2 = read_until(out2, "migrated\n");
    REQUIRE(::waitpid(pid2, &status, 0) == pid2);
    ::close(out2);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(said2 == "migrated\n");
    CHECK(dump(p, all_items) == items);
    CHECK(dump(p, "SELECT max(number) FROM schema_migrations WHERE component = 'rebuild_test'") ==
          std::vector<std::string>{"2|"});
    CHECK(dump(p,
               "SELECT count(*) FROM sqlite_master WHERE name = 'items' AND sql LIKE "
               "'%WITHOUT ROWID%'") == std::vector<std::string>{"1|"});
  }
}
