// The lpda-sync command line through the real binary: a mistyped command, durations beyond their
// ceilings, and a database written by a newer lpda-sync.
#include "harness.hpp"
#include "lpda/store/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <string>

using namespace lpda::test;

namespace {

// A config that loads without reading credentials; `extra_defaults` goes under `defaults:`.
std::string write_minimal_config(const temp_dir& dir, const std::string& database,
                                 const std::string& extra_defaults = "") {
  const auto path = dir / "config.yaml";
  write_file(path, "database: '" + database +
                       "'\n"
                       "defaults:\n"
                       "  enabled: true\n" +
                       extra_defaults +
                       "accounts:\n"
                       "  - id: \"12345678\"\n"
                       "    region: us\n"
                       "    auth: {oauth1: {app_key: a, app_secret: b, access_token: c, "
                       "access_token_secret: d}}\n");
  return path.string();
}

const char* const all_commands[] = {
    "run",          "health",          "once",   "status", "validate-config", "backfill",
    "retry-failed", "reset-watermark", "report", "decode"};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_SUITE("integration_cli") {
  TEST_CASE("a mistyped command is named and the commands are listed with exit 64") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string());
    for (const std::string& args : {"statsu --config '" + config + "'",
                                    "--config '" + config + "' statsu", std::string("statsu")}) {
      CAPTURE(args);
      const auto r = run_lpda(args);
      CHECK(r.status == 64);
      CHECK_MESSAGE(contains(r.err, "\"statsu\" is not a command"), r.err);
      CHECK_MESSAGE(contains(r.err, "did you mean \"status\"?"), r.err);
      CHECK_FALSE(contains(r.err, "A subcommand is required"));
      for (const char* cmd : all_commands) CHECK_MESSAGE(contains(r.err, cmd), cmd);
      CHECK(r.out.empty());
    }
    // Nothing close: no suggestion, still the list.
    const auto far = run_lpda("frobnicate");
    CHECK(far.status == 64);
    CHECK(contains(far.err, "\"frobnicate\" is not a command"));
    CHECK_FALSE(contains(far.err, "did you mean"));
    CHECK(contains(far.err, "validate-config"));
  }

  TEST_CASE("a mistyped report name is named with the reports there are and exit 64") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string());
    const auto r = run_lpda("report availabilty --config '" + config + "'");
    CHECK(r.status == 64);
    CHECK_MESSAGE(contains(r.err, "\"availabilty\" is not a report command"), r.err);
    CHECK(contains(r.err, "did you mean \"availability\"?"));
    CHECK_FALSE(contains(r.err, "A subcommand is required"));
  }

  TEST_CASE("an extra word after a command is still a usage error naming it") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string());
    const auto r = run_lpda("status extra --config '" + config + "'");
    CHECK(r.status == 64);
    CHECK_MESSAGE(contains(r.err, "extra"), r.err);
    CHECK_FALSE(contains(r.err, "is not a command"));
    // Without a command at all, the old message stays and lists the commands.
    const auto none = run_lpda("--config '" + config + "'");
    CHECK(none.status == 64);
    CHECK(contains(none.err, "A subcommand is required"));
  }

  TEST_CASE("help and version still exit 0") {
    const auto help = run_lpda("--help");
    CHECK(help.status == 0);
    CHECK(contains(help.out, "Exit codes"));
    // The catch-all for mistyped commands stays out of the help.
    const auto usage = help.out.substr(0, help.out.find('\n', help.out.find("Usage:")));
    CHECK_MESSAGE(usage.ends_with("[OPTIONS] SUBCOMMAND"), usage);
    CHECK_FALSE(contains(help.out, "Positionals"));
    CHECK_FALSE(contains(help.out, "POSITIONALS"));
    CHECK(run_lpda("--version").status == 0);
    CHECK(run_lpda("status --help").status == 0);
  }

  TEST_CASE(
      "validate-config rejects durations beyond their ceilings with file and line and column and "
      "exit 78") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string(),
                                             "  poll_interval: 9223372036854775807ms\n"
                                             "  max_window: 300000000d\n"
                                             "  overlap: 99999999999999999999d\n"
                                             "  initial_start: 31d\n");
    const auto r = run_lpda("validate-config --no-secrets --config '" + config + "'");
    CHECK(r.status == 78);
    CHECK_MESSAGE(contains(r.err, config + ":4:18: defaults.poll_interval: must be at most 7d"),
                  r.err);
    CHECK(contains(r.err, config + ":5:15: defaults.max_window: must be at most 30d"));
    CHECK(contains(r.err, config + ":6:12: defaults.overlap: duration \"99999999999999999999d\""));
    CHECK(contains(r.err, config + ":7:18: defaults.initial_start: must be at most 30d"));
  }

  TEST_CASE(
      "report and status and reset-watermark refuse a database from a newer lpda-sync with exit 78 "
      "and leave it unchanged") {
    temp_dir dir;
    const auto db_path = dir / "lpda.db";
    // A real lpda-sync database (tables and views) whose schema number a newer build raised.
    { lpda::store::database::open(lpda::store::settings{.path = db_path}); }
    const int newer = lpda::store::latest_schema_version() + 1;
    {
      SQLite::Database raw(db_path.string(), SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    const auto before = read_file(db_path);
    const auto config = write_minimal_config(dir, db_path.string());
    for (const std::string command :
         {"report availability --format table", "report availability --format csv",
          "report availability --format json", "status", "status --json",
          "reset-watermark --account 12345678 --clear"}) {
      CAPTURE(command);
      const auto r = run_lpda(command + " --config '" + config + "'");
      CHECK(r.status == 78);
      CHECK(r.out.empty());
      CHECK_MESSAGE(contains(r.err, db_path.string()), r.err);
      CHECK(contains(r.err, "schema version " + std::to_string(newer)));
      CHECK(contains(r.err, "(" + std::to_string(lpda::store::latest_schema_version()) + ")"));
      CHECK(contains(r.err, "newer"));
    }
    CHECK(read_file(db_path) == before);
    SQLite::Database check(db_path.string(), SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("PRAGMA user_version").getInt() == newer);

    // The same database at the current version is read (an empty report, exit 0).
    {
      SQLite::Database raw(db_path.string(), SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA user_version = " + std::to_string(lpda::store::latest_schema_version()));
    }
    const auto ok = run_lpda("report availability --format csv --config '" + config + "'");
    CHECK_MESSAGE(ok.status == 0, ok.err);
  }
}
