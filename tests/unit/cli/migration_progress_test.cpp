// How commands show a migration: log lines every 5 s of progress, one updating terminal line,
// and EXTEND_TIMEOUT_USEC with STATUS for systemd, driven by the events' own elapsed times.
#include "cli/migration_progress.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using lpda::cli::migration_report_sinks;
using lpda::cli::migration_reporter;
using lpda::sqlite::migration_event;
using kind = migration_event::kind;
using std::chrono::milliseconds;

namespace {

struct captured {
  std::vector<std::string> logs;
  std::string terminal;
  std::vector<std::string> notes;
};

migration_report_sinks sinks_into(captured& c, bool tty, bool notify) {
  migration_report_sinks s;
  s.tty = tty;
  s.terminal = [&c](std::string_view t) { c.terminal += t; };
  s.log = [&c](std::string_view t) { c.logs.emplace_back(t); };
  if (notify) s.notify = [&c](std::string_view t) { c.notes.emplace_back(t); };
  return s;
}

migration_event ev(kind what, std::int64_t elapsed_ms, std::uint64_t done = 0,
                   std::uint64_t total = 0) {
  migration_event e;
  e.what = what;
  e.component = "agentActivity";
  e.number = 3;
  e.description = "events: rebuilt by session";
  e.bytes_needed = 3ULL * 1024 * 1024 * 1024 / 2;  // 1.5 GiB
  e.done = done;
  e.total = total;
  e.unit = done == 0 && total == 0 ? "" : "rows";
  e.elapsed = milliseconds(elapsed_ms);
  return e;
}

// A 12 s rebuild of 1,200,000 rows reporting every second, with heartbeats in a 3 s sort.
void feed(const lpda::sqlite::migration_observer& report) {
  report(ev(kind::started, 0));
  report(ev(kind::heartbeat, 1000));
  report(ev(kind::heartbeat, 2000));
  for (int s = 3; s <= 12; ++s)
    report(ev(kind::progress, s * 1000, static_cast<std::uint64_t>(s - 2) * 120000, 1200000));
  report(ev(kind::finished, 12100, 1200000, 1200000));
}

const std::string label = "migration 3 of agentActivity (events: rebuilt by session)";

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("a log line at the start, every 5 s of progress and at the end") {
    captured c;
    feed(migration_reporter(sinks_into(c, false, false)));
    CHECK(c.logs == std::vector<std::string>{
                        label + ": started, needs about 1.5 GiB of free disk",
                        // 5 s: 360,000 of 1,200,000 rows in 5 s: 72,000 rows/s, 840,000 left.
                        label + ": 30% (360000 of 1200000 rows), 72000 rows/s, ETA 12s",
                        // 10 s: 960,000 rows, 96,000 rows/s, 240,000 left.
                        label + ": 80% (960000 of 1200000 rows), 96000 rows/s, ETA 2s",
                        label + ": done in 12.1 s"});
    CHECK(c.terminal.empty());
    CHECK(c.notes.empty());
  }

  TEST_CASE("a heartbeat without progress says how long it has worked") {
    captured c;
    auto report = migration_reporter(sinks_into(c, false, false));
    report(ev(kind::started, 0));
    report(ev(kind::heartbeat, 4000));
    report(ev(kind::heartbeat, 6000));
    REQUIRE(c.logs.size() == 2);
    CHECK(c.logs[1] == label + ": working for 6.0 s");
  }

  TEST_CASE("on a terminal one line is rewritten in place and ended with the migration") {
    captured c;
    feed(migration_reporter(sinks_into(c, true, false)));
    CHECK(c.logs.empty());
    // Every event after the start is at least 200 ms after the last update: each is shown.
    CHECK(c.terminal.starts_with("\r\033[K" + label + ": started, needs about 1.5 GiB"));
    CHECK(c.terminal.find("\r\033[K" + label + ": working for 1.0 s") != std::string::npos);
    CHECK(c.terminal.find("\r\033[K" + label + ": 10% (120000 of 1200000 rows)") !=
          std::string::npos);
    CHECK(c.terminal.ends_with("\r\033[K" + label + ": done in 12.1 s\n"));
    // One line for the migration: its start and progress rewritten in place, ended at its end.
    CHECK(std::count(c.terminal.begin(), c.terminal.end(), '\n') == 1);
  }

  TEST_CASE("under systemd the start timeout is extended 30 s ahead at least every 5 s") {
    captured c;
    feed(migration_reporter(sinks_into(c, false, true)));
    const std::string extend = "EXTEND_TIMEOUT_USEC=30000000\nSTATUS=migrating the database: ";
    REQUIRE(c.notes.size() == 4);
    CHECK(c.notes[0] == extend + label);
    CHECK(c.notes[1] == extend + label + ": 30% (360000 of 1200000 rows), 72000 rows/s, ETA 12s");
    CHECK(c.notes[2] == extend + label + ": 80% (960000 of 1200000 rows), 96000 rows/s, ETA 2s");
    CHECK(c.notes[3] == "STATUS=migrated the database: " + label);
  }

  TEST_CASE("a failed migration ends the terminal line and says it was rolled back") {
    captured c;
    auto report = migration_reporter(sinks_into(c, true, false));
    report(ev(kind::started, 0));
    report(ev(kind::failed, 2500));
    CHECK(c.terminal.ends_with(label + ": stopped after 2.5 s, rolled back\n"));
    CHECK(std::count(c.terminal.begin(), c.terminal.end(), '\n') == 1);
  }
}
