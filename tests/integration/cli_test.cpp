// The lpda-sync command line through the real binary: a mistyped command, durations beyond their
// ceilings, and a database written by a newer lpda-sync.
#include "harness.hpp"
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/sqlite/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

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
    "retry-failed", "reset-watermark", "report", "decode", "snapshot",        "migrate"};

// "YYYY-MM-DDThh:mm:ss.fffZ" as epoch ms, or nullopt for any other shape.
std::optional<std::int64_t> parse_utc_ms(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  char z = 0;
  if (text.size() != 24 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms,
                  &z) != 8 ||
      z != 'Z')
    return std::nullopt;
  using namespace std::chrono;
  const sys_days midnight{year{y} / month{static_cast<unsigned>(mo)} /
                          day{static_cast<unsigned>(d)}};
  return duration_cast<milliseconds>(midnight.time_since_epoch()).count() +
         ((h * 60LL + mi) * 60 + s) * 1000 + ms;
}

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
    // No report named at all: the reports there are.
    const auto none = run_lpda("report --config '" + config + "'");
    CHECK(none.status == 64);
    CHECK_MESSAGE(contains(none.err, "lpda-sync report: name the report: availability"), none.err);
    CHECK(run_lpda("report --help").status == 0);
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
    {
      lpda::sqlite::database::open(lpda::sqlite::settings{.path = db_path},
                                   {lpda::agent_activity::sqlite::data_type()});
    }
    const int newer = lpda::sqlite::latest_schema_version() + 1;
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
      CHECK(contains(r.err, "(" + std::to_string(lpda::sqlite::latest_schema_version()) + ")"));
      CHECK(contains(r.err, "newer"));
    }
    CHECK(read_file(db_path) == before);
    SQLite::Database check(db_path.string(), SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("PRAGMA user_version").getInt() == newer);

    // The same database at the current version is read (an empty report, exit 0).
    {
      SQLite::Database raw(db_path.string(), SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA user_version = " + std::to_string(lpda::sqlite::latest_schema_version()));
    }
    const auto ok = run_lpda("report availability --format csv --config '" + config + "'");
    CHECK_MESSAGE(ok.status == 0, ok.err);
  }

  TEST_CASE("backfill refuses a --from or --to that overflows or lies in the future with exit 64") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string());
    const struct {
      std::string args;
      std::string option;
    } cases[] = {
        {"--from 9223372036854775807ms", "--from"},
        {"--from 106751991167d", "--from"},
        {"--from 1000000d", "--from"},
        {"--from 0000-12-31", "--from"},
        {"--from 2999-01-01", "--from"},
        {"--from 1d --to 9223372036854775807ms", "--to"},
        {"--from 1d --to 2999-01-01T00:00:00Z", "--to"},
        {"--from 40d --to 35d", "--to"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.args);
      // `timeout`: before these were refused, some of them ran for hours.
      const auto r =
          run_command("timeout 60 '" + (bin_dir() / "lpda-sync").string() +
                      "' backfill --account 12345678 " + c.args + " --config '" + config + "'");
      CHECK(r.status == 64);
      CHECK_MESSAGE(contains(r.err, "lpda-sync backfill: " + c.option), r.err);
      CHECK_FALSE(contains(r.err, "bad_alloc"));
      CHECK(r.err.find('\n') == r.err.size() - 1);
    }
  }

  TEST_CASE("backfill moves a --from beyond 29 days to the 29-day limit with a warning") {
    emulator_process emu({"--accounts", "555", "--agents", "2", "--hours", "6", "--seed", "3"});
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {"555"});
    for (const std::string from : {"0001-01-01", "100000d", "30d"}) {
      CAPTURE(from);
      emu.control("reset-counts");
      const std::int64_t before = now_ms();
      const auto r =
          run_command("timeout 120 '" + (bin_dir() / "lpda-sync").string() +
                      "' backfill --account 555 --from " + from + " --config '" + config + "'");
      const std::int64_t after = now_ms();
      REQUIRE_MESSAGE(r.status == 0, r.err);
      CHECK_MESSAGE(contains(r.err, "is more than 29 days back; starting at "), r.err);
      // The log names the start it used: 29 days before a "now" taken during the run.
      const auto at = r.err.find(" from ", r.err.find("backfill account=555"));
      REQUIRE(at != std::string::npos);
      const auto start = parse_utc_ms(r.err.substr(at + 6, 24));
      REQUIRE(start.has_value());
      constexpr std::int64_t days29 = 29LL * 24 * 3600 * 1000;
      CHECK(*start >= before - days29);
      CHECK(*start <= after - days29);
      // 29 days in slices of max_window (24 h): 29 listings, or 30 when a slice boundary falls
      // inside the run's millisecond spread.
      rapidjson::Document counts;
      counts.Parse(emu.control("counts").c_str());
      CHECK(counts["listing"].GetInt64() >= 29);
      CHECK(counts["listing"].GetInt64() <= 30);
    }
    // Every file the emulator has lies within the clamped range and is stored.
    check_rows((dir / "lpda.db").string(), expected_for(emu, "555"));
  }

  TEST_CASE("reset-watermark refuses an overflowing --to with exit 64 and warns beyond 29 days") {
    temp_dir dir;
    const auto config = write_minimal_config(dir, (dir / "lpda.db").string());
    for (const std::string to :
         {"9223372036854775807ms", "106751991167d", "1000000d", "0000-06-01"}) {
      CAPTURE(to);
      const auto r =
          run_lpda("reset-watermark --account 12345678 --to " + to + " --config '" + config + "'");
      CHECK(r.status == 64);
      CHECK_MESSAGE(contains(r.err, "lpda-sync reset-watermark: --to: '" + to + "'"), r.err);
      CHECK(contains(r.err, "0001-01-01"));
      CHECK(r.out.empty());
    }
    // Nothing was set by the refused values.
    if (std::filesystem::exists(dir / "lpda.db")) {
      const auto d = status_json(config);
      CHECK(d["accounts"][0]["watermark_ms"].IsNull());
    }

    const std::int64_t before = now_ms();
    const auto old =
        run_lpda("reset-watermark --account 12345678 --to 40d --config '" + config + "'");
    const std::int64_t after = now_ms();
    REQUIRE_MESSAGE(old.status == 0, old.err);
    CHECK_MESSAGE(contains(old.err, "warning: --to "), old.err);
    CHECK(contains(old.err, "polls start at most 29 days back"));
    const auto d = status_json(config);
    const std::int64_t days40 = 40LL * 24 * 3600 * 1000;
    REQUIRE(d["accounts"][0]["watermark_ms"].IsInt64());
    CHECK(d["accounts"][0]["watermark_ms"].GetInt64() >= before - days40);
    CHECK(d["accounts"][0]["watermark_ms"].GetInt64() <= after - days40);

    // Within 29 days: no warning.
    const auto recent =
        run_lpda("reset-watermark --account 12345678 --to 28d --config '" + config + "'");
    CHECK(recent.status == 0);
    CHECK_MESSAGE(recent.err.empty(), recent.err);
  }

  TEST_CASE("validate-config reports a database directory that does not exist with exit 78") {
    temp_dir dir;
    const auto missing = dir / "no-such-dir";
    const auto config = write_minimal_config(dir, (missing / "lpda.db").string());
    const auto r = run_lpda("validate-config --config '" + config + "'");
    CHECK(r.status == 78);
    CHECK_MESSAGE(contains(r.err, config + ":1:11: database: directory \"" + missing.string() +
                                      "\" does not exist"),
                  r.err);
    // once fails the same way, before touching anything.
    CHECK(run_lpda("once --config '" + config + "'").status == 78);
    // --no-secrets checks form only, for a shell where the service's directories may not exist.
    const auto form = run_lpda("validate-config --no-secrets --config '" + config + "'");
    CHECK_MESSAGE(form.status == 0, form.err);
    std::filesystem::create_directory(missing);
    const auto ok = run_lpda("validate-config --config '" + config + "'");
    CHECK_MESSAGE(ok.status == 0, ok.err);
  }

  TEST_CASE("migrate applies what --dry-run lists, then both say up to date") {
    temp_dir dir;
    const auto db = dir / "lpda.db";
    const auto config = write_minimal_config(dir, db.string());
    const auto c = " --config '" + config + "'";
    const std::vector<std::string> all{
        "migration 1 of core (tables: files, checkpoints)",
        "migration 1 of agentActivity (tables: agent_activity_events, agents, agent_sessions)",
        "migration 2 of agentActivity (views: agent_state_intervals, agent_daily_availability)",
        "migration 3 of agentActivity (agent_activity_events clustered by session; agent_sessions "
        "by last event)",
        "migration 2 of core (checkpoints: server_time_ms, clock_skew_ms)",
        "migration 3 of core (checkpoints: last_error, last_error_since_ms)"};

    // No database yet: every migration is pending, and the dry run creates nothing.
    const auto plan = run_lpda("migrate --dry-run" + c);
    CHECK_MESSAGE(plan.status == 0, plan.err);
    CHECK_MESSAGE(contains(plan.out, "(not created yet): 6 pending migration(s)"), plan.out);
    for (const auto& m : all) CHECK_MESSAGE(contains(plan.out, "  " + m + "\n"), m);
    CHECK_FALSE(std::filesystem::exists(db));

    const auto applied = run_lpda("migrate" + c);
    CHECK_MESSAGE(applied.status == 0, applied.err);
    CHECK_MESSAGE(contains(applied.out, "database " + db.string() + ": applied 6 migration(s)\n"),
                  applied.out);
    std::size_t at = 0;
    for (const auto& m : all) {  // in the order they ran, each with its seconds
      const auto found = applied.out.find("  " + m + " in ", at);
      CHECK_MESSAGE(found != std::string::npos, m);
      at = found == std::string::npos ? at : found;
    }
    // Progress goes to stderr as log lines (stderr is not a terminal here).
    CHECK_MESSAGE(contains(applied.err, all[0] + ": started"), applied.err);
    CHECK_MESSAGE(contains(applied.err, all[5] + ": done in "), applied.err);
    {
      SQLite::Database raw(db.string(), SQLite::OPEN_READONLY);
      CHECK(raw.execAndGet("SELECT count(*) FROM schema_migrations").getInt() == 6);
    }

    for (const char* args : {"migrate --dry-run", "migrate"}) {
      CAPTURE(args);
      const auto again = run_lpda(args + c);
      CHECK(again.status == 0);
      CHECK(again.out == "database " + db.string() + ": up to date\n");
      CHECK_MESSAGE(again.err.empty(), again.err);
    }
  }

  TEST_CASE("SIGKILL of migrate during the events rebuild leaves one layout, and a rerun ends it") {
    // tests/data/store/lpda-v4.db (before schema_migrations, events keyed by time first) with
    // 100,000 more events: agentActivity's migration 3 rebuilds them keyed by session.
    temp_dir dir;
    const auto base = dir / "base.db";
    std::filesystem::copy_file(data_dir() / "store" / "lpda-v4.db", base);
    {
      SQLite::Database raw(base.string(), SQLite::OPEN_READWRITE);
      raw.exec(R"sql(
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
INSERT INTO agent_activity_events (account_id, agent_session_id, agent_id, timestamp_ms, type,
  state, prev_state, prev_concurrent_eng, concurrent_eng, agent_username, source_file_key,
  ingested_at_ms)
SELECT '12345678', '12345678-' || (i % 1000), i % 97, 1700000000000 + i * 1000, 2, 2, 4, 0, 0,
       'user' || (i % 97), 'Agent.1700000000000.1700003600000.part-00001-0', 1 FROM n)sql");
    }
    const auto fingerprint = [](const std::filesystem::path& p) {
      SQLite::Database raw(p.string(), SQLite::OPEN_READONLY);
      SQLite::Statement st(raw,
                           "SELECT count(*) || ' ' || sum(timestamp_ms) || ' ' || sum(agent_id) || "
                           "' ' || total(length(agent_session_id)) || ' ' || "
                           "(SELECT group_concat(name) FROM (SELECT c.name FROM "
                           "pragma_index_list('agent_activity_events') AS l, "
                           "pragma_index_info(l.name) AS c WHERE l.origin = 'pk' AND c.seqno = 0)) "
                           "|| ' ' || (SELECT count(*) FROM sqlite_master WHERE name = "
                           "'schema_migrations') FROM agent_activity_events");
      REQUIRE(st.executeStep());
      CHECK(raw.execAndGet("PRAGMA integrity_check").getString() == "ok");
      return st.getColumn(0).getString();
    };
    const std::string rows_of_base = "100060 ";
    const auto before = fingerprint(base);
    REQUIRE(before.rfind(rows_of_base, 0) == 0);
    REQUIRE(before.find(" timestamp_ms 0") != std::string::npos);  // old layout, not converted
    const auto rows_part = before.substr(0, before.find(" timestamp_ms"));

    // Uninterrupted, for the duration and the result.
    const auto db = dir / "lpda.db";
    const auto config = write_minimal_config(dir, db.string());
    std::filesystem::copy_file(base, db);
    const auto t0 = std::chrono::steady_clock::now();
    const auto whole = run_lpda("migrate --config '" + config + "'");
    const auto took_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    REQUIRE_MESSAGE(whole.status == 0, whole.err);
    CHECK_MESSAGE(contains(whole.err, "migration 3 of agentActivity"), whole.err);
    const auto after = rows_part + " account_id 1";
    CHECK(fingerprint(db) == after);

    // Killed at points spread over that duration: the old layout (and no schema_migrations,
    // the conversion being a transaction of its own before it) or the new, never a mix; the
    // rerun ends with the new layout and the same rows.
    for (int k = 1; k <= 4; ++k) {
      CAPTURE(k);
      std::filesystem::remove(db);
      std::filesystem::remove(db.string() + "-wal");
      std::filesystem::remove(db.string() + "-shm");
      std::filesystem::copy_file(base, db);
      {
        child_process migrate({(bin_dir() / "lpda-sync").string(), "migrate", "--config", config},
                              (dir / ("migrate-" + std::to_string(k) + ".log")).string());
        std::this_thread::sleep_for(std::chrono::milliseconds(took_ms * k / 5));
        migrate.signal(SIGKILL);
        const int status = migrate.wait(10000);
        CHECK((status == 128 + SIGKILL || status == 0));
      }
      const auto killed = fingerprint(db);
      MESSAGE("killed after " << took_ms * k / 5 << " of " << took_ms << " ms: " << killed);
      CHECK(killed.substr(0, rows_part.size()) == rows_part);
      CHECK((killed == rows_part + " timestamp_ms 0" || killed == rows_part + " timestamp_ms 1" ||
             killed == after));
      const auto rerun = run_lpda("migrate --config '" + config + "'");
      CHECK_MESSAGE(rerun.status == 0, rerun.err);
      CHECK(fingerprint(db) == after);
    }
  }

  TEST_CASE("decode accepts --config before or after the command and ignores it") {
    const auto file = (data_dir() / "agent_activity_docs_example.json").string();
    const auto plain = run_lpda("decode '" + file + "'");
    REQUIRE_MESSAGE(plain.status == 0, plain.err);
    REQUIRE_FALSE(plain.out.empty());
    for (const std::string& args :
         {"decode '" + file + "' --config /nonexistent/config.yaml",
          "--config /nonexistent/config.yaml decode '" + file + "'",
          "decode --config /nonexistent/config.yaml '" + file + "' --format ndjson"}) {
      CAPTURE(args);
      const auto r = run_lpda(args);
      CHECK_MESSAGE(r.status == 0, r.err);
      CHECK(r.out == plain.out);
    }
  }

  TEST_CASE("decode --data-type names a registered type, agentActivity by default") {
    const auto file = (data_dir() / "agent_activity_docs_example.json").string();
    const auto plain = run_lpda("decode '" + file + "'");
    REQUIRE_MESSAGE(plain.status == 0, plain.err);
    for (const std::string& args : {"decode --data-type agentActivity '" + file + "'",
                                    "decode '" + file + "' --data-type=agentActivity"}) {
      CAPTURE(args);
      const auto r = run_lpda(args);
      CHECK_MESSAGE(r.status == 0, r.err);
      CHECK(r.out == plain.out);
      CHECK(r.err == plain.err);
    }
    // An unknown name is a usage error that says which names exist, and nothing is decoded.
    for (const std::string name : {"engagement", "agentactivity", "''"}) {
      CAPTURE(name);
      const auto r = run_lpda("decode --data-type " + name + " '" + file + "'");
      CHECK(r.status == 64);
      CHECK(r.out.empty());
      CHECK_MESSAGE(contains(r.err, "--data-type"), r.err);
      CHECK_MESSAGE(contains(r.err, "agentActivity"), r.err);
    }
  }

  TEST_CASE("decode of JSON that is not a Data Access file says so with exit 65") {
    temp_dir dir;
    write_file(dir / "other.json", "{\"a\":1}\n");
    const auto other = run_lpda("decode '" + (dir / "other.json").string() + "'");
    CHECK(other.status == 65);
    CHECK_MESSAGE(contains(other.err,
                           "other.json: not a Data Access file: none of its 1 JSON "
                           "document(s) has a recordCollection"),
                  other.err);
    CHECK(other.out.empty());
    // An envelope with no records is a Data Access file of an empty hour, and so is an empty file.
    write_file(dir / "empty-hour.json",
               "{\"dataType\": null, \"metaData\": null, \"recordCollection\": []}\n");
    const auto empty = run_lpda("decode '" + (dir / "empty-hour.json").string() + "'");
    CHECK_MESSAGE(empty.status == 0, empty.err);
    CHECK(contains(empty.err, "0 events in 1 document ("));
    write_file(dir / "zero.json", "");
    CHECK(run_lpda("decode '" + (dir / "zero.json").string() + "'").status == 0);
  }

  TEST_CASE("report availability names an account that is not in the config") {
    temp_dir dir;
    const auto db_path = dir / "lpda.db";
    {
      lpda::sqlite::database::open(lpda::sqlite::settings{.path = db_path},
                                   {lpda::agent_activity::sqlite::data_type()});
    }
    const auto config = write_minimal_config(dir, db_path.string());
    const auto other = run_lpda("report availability --account 999 --config '" + config + "'");
    CHECK_MESSAGE(other.status == 0, other.err);
    CHECK_MESSAGE(contains(other.err, "account 999 is not in " + config), other.err);
    const auto listed =
        run_lpda("report availability --account 12345678 --config '" + config + "'");
    CHECK(listed.status == 0);
    CHECK_MESSAGE(listed.err.empty(), listed.err);
  }

  TEST_CASE("lock_file and spool_dir never overwrite or re-mode a file they do not own") {
    temp_dir dir;
    const auto db_path = dir / "lpda.db";
    // A lock_file naming a file that holds something else: refused with 78, the file unchanged.
    write_file(dir / "notes.txt", "these notes are not a lock\n");
    auto config = write_minimal_config(dir, db_path.string());
    write_file(config, "lock_file: '" + (dir / "notes.txt").string() + "'\n" + read_file(config));
    const auto r = run_lpda("reset-watermark --account 12345678 --clear --config '" + config + "'");
    CHECK(r.status == 78);
    CHECK_MESSAGE(contains(r.err, "(lock_file) holds 27 bytes that are not an lpda-sync lock"),
                  r.err);
    CHECK(read_file(dir / "notes.txt") == "these notes are not a lock\n");

    // A lock_file whose directory does not exist is a config error (78) naming the key.
    config = write_minimal_config(dir, db_path.string());
    write_file(config,
               "lock_file: '" + (dir / "no" / "x.lock").string() + "'\n" + read_file(config));
    const auto missing =
        run_lpda("reset-watermark --account 12345678 --clear --config '" + config + "'");
    CHECK(missing.status == 78);
    CHECK_MESSAGE(contains(missing.err, "(lock_file): No such file or directory"), missing.err);

    // An existing spool directory keeps its mode (here a group's 0750).
    std::filesystem::create_directory(dir / "spool");
    std::filesystem::permissions(dir / "spool", std::filesystem::perms(0750));
    config = write_minimal_config(dir, db_path.string());
    write_file(config, "spool_dir: '" + (dir / "spool").string() + "'\nretry: {max_attempts: 1}\n" +
                           read_file(config));
    // No server answers here: the poll fails at once, after the spool directory is set up.
    (void)run_lpda("once --config '" + config + "'");
    CHECK((std::filesystem::status(dir / "spool").permissions() & std::filesystem::perms::all) ==
          std::filesystem::perms(0750));
  }
}
