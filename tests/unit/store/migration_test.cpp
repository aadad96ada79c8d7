// Migrations that run code: progress events, the heartbeat during one long statement, the free
// disk check, and the plan `lpda-sync migrate --dry-run` prints. Real SQLite files, with the
// test-only component of migration_components.hpp.
#include "lpda/sqlite/migration.hpp"
#include "lpda/core/error_kind.hpp"
#include "lpda/sqlite/database.hpp"

#include "migration_components.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

using lpda::sqlite::migration_event;
using lpda::store::test::fill_items;
using lpda::store::test::open_rebuild;

namespace {

using lpda::store::test::dump;

using kind = migration_event::kind;

// An event with its strings copied (the observer's views live only during the call).
struct seen_event {
  kind what;
  std::string component;
  int number;
  std::string description;
  std::uint64_t bytes_needed;
  std::uint64_t done;
  std::uint64_t total;
  std::string unit;
  std::chrono::milliseconds elapsed;
};

lpda::sqlite::settings at(const std::filesystem::path& p) {
  lpda::sqlite::settings s;
  s.path = p;
  return s;
}

lpda::sqlite::settings recording(const std::filesystem::path& p, std::vector<seen_event>& out) {
  lpda::sqlite::settings s;
  s.path = p;
  s.on_migration = [&out](const migration_event& e) {
    out.push_back({e.what, std::string(e.component), e.number, std::string(e.description),
                   e.bytes_needed, e.done, e.total, std::string(e.unit), e.elapsed});
  };
  return s;
}

std::int64_t scalar(const std::filesystem::path& p, const std::string& sql) {
  SQLite::Database db(p.string(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

// The items as rows "id|account|at_ms|hex(payload)|note|", whatever the table's key order.
const std::string all_items =
    "SELECT id, account, at_ms, hex(payload), note FROM items ORDER BY id";

// A database at the rebuild component's version 1 holding `n` items.
void make_v1(const std::filesystem::path& p, int n) {
  lpda::sqlite::settings s;
  s.path = p;
  { auto db = open_rebuild(s, 1); }
  fill_items(p, n);
}

}  // namespace

TEST_SUITE("store") {
  TEST_CASE("a code migration copies every row and reports start, progress in order and end") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    constexpr int rows = 4500;
    make_v1(p, rows);
    const auto before = dump(p, all_items);
    REQUIRE(before.size() == rows);
    // What the estimate must be: twice the pages of the old table, read here from dbstat.
    const auto old_bytes =
        scalar(p, "SELECT sum(pgsize) FROM dbstat WHERE name = 'items' AND aggregate = TRUE");
    REQUIRE(old_bytes > 0);

    std::vector<seen_event> events;
    { auto db = open_rebuild(recording(p, events), 2); }

    std::vector<seen_event> told;  // without heartbeats, which a slow machine may add anywhere
    for (const auto& e : events)
      if (e.what != kind::heartbeat) told.push_back(e);
    // started, progress at 1000 .. 4000 and at the end (4500), finished.
    REQUIRE(told.size() == 7);
    CHECK(told.front().what == kind::started);
    CHECK(told.back().what == kind::finished);
    for (const auto& e : told) {
      CHECK(e.component == "rebuild_test");
      CHECK(e.number == 2);
      CHECK(e.description == "items: keyed by account, time, id");
      CHECK(e.bytes_needed == static_cast<std::uint64_t>(2 * old_bytes));
    }
    const std::array<std::uint64_t, 5> want_done{1000, 2000, 3000, 4000, 4500};
    for (std::size_t i = 0; i < want_done.size(); ++i) {
      CAPTURE(i);
      CHECK(told[i + 1].what == kind::progress);
      CHECK(told[i + 1].done == want_done[i]);
      CHECK(told[i + 1].total == rows);
      CHECK(told[i + 1].unit == "rows");
    }
    CHECK(told.back().done == rows);
    for (std::size_t i = 1; i < events.size(); ++i)
      CHECK(events[i].elapsed >= events[i - 1].elapsed);

    // The same rows, now in the new table (its key order), and the migration recorded.
    CHECK(dump(p, all_items) == before);
    CHECK(scalar(p,
                 "SELECT count(*) FROM sqlite_master WHERE name = 'items' AND sql LIKE "
                 "'%WITHOUT ROWID%'") == 1);
    CHECK(dump(p,
               "SELECT component, number, description FROM schema_migrations WHERE component = "
               "'rebuild_test' ORDER BY number") ==
          std::vector<std::string>{"rebuild_test|1|items|",
                                   "rebuild_test|2|items: keyed by account, time, id|"});
    CHECK(scalar(p, "SELECT count(*) FROM sqlite_master WHERE name = 'items_by_account'") == 0);

    // Opening again migrates nothing and tells nothing.
    events.clear();
    { auto db = open_rebuild(recording(p, events), 2); }
    CHECK(events.empty());
  }

  TEST_CASE("plain SQL migrations are reported too, without progress") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    std::vector<seen_event> events;
    { auto db = open_rebuild(recording(p, events), 1); }
    // core 1..3 and rebuild_test 1, each started then finished, in the order they ran.
    std::vector<std::string> seen;
    for (const auto& e : events)
      if (e.what != kind::heartbeat)
        seen.push_back((e.what == kind::started    ? "start "
                        : e.what == kind::finished ? "end "
                                                   : "?") +
                       e.component + " " + std::to_string(e.number));
    CHECK(seen == std::vector<std::string>{"start rebuild_test 1", "end rebuild_test 1",
                                           "start core 1", "end core 1", "start core 2",
                                           "end core 2", "start core 3", "end core 3"});
  }

  TEST_CASE("a migration another process applied while this one waited is reported as such") {
    // At the start of the rebuild (migration 2), before this connection takes the write lock,
    // another connection opens the same file and applies it: this one then changes nothing, and
    // says so instead of claiming the migration.
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    make_v1(p, 500);
    const auto rows_before = dump(p, all_items);
    std::vector<std::pair<std::string, bool>> finished;
    auto s = at(p);
    bool other_ran = false;
    s.on_migration = [&](const migration_event& e) {
      if (e.what == kind::started && e.component == "rebuild_test" && e.number == 2 && !other_ran) {
        other_ran = true;
        auto other = open_rebuild(at(p), 2);
      }
      if (e.what == kind::finished)
        finished.emplace_back(std::string(e.component) + " " + std::to_string(e.number),
                              e.applied_elsewhere);
    };
    { auto db = open_rebuild(s, 2); }
    REQUIRE(other_ran);
    CHECK(finished == std::vector<std::pair<std::string, bool>>{{"rebuild_test 2", true}});
    CHECK(scalar(p, "SELECT count(*) FROM schema_migrations WHERE component = 'rebuild_test'") ==
          2);
    CHECK(dump(p, all_items) == rows_before);
  }

  TEST_CASE("a heartbeat ticks during one long statement that reports no progress") {
    // One statement: a recursive count feeding a sort of random keys, a second or so of work
    // with no chance to report progress. The heartbeat comes from SQLite's progress handler.
    static constexpr std::array<lpda::sqlite::migration, 1> long_sql{{
        {1, 0, "one long sorted insert",
         "CREATE TABLE sorted AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
         "WHERE i < 1500000) SELECT i, randomblob(8) AS k FROM n ORDER BY k;"},
    }};
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    std::vector<seen_event> events;
    auto s = recording(p, events);
    s.migration_heartbeat = std::chrono::milliseconds(50);
    {
      auto db = lpda::sqlite::database::open(
          s, {lpda::store::test::component_store("long_test", long_sql)});
    }
    CHECK(scalar(p, "SELECT count(*) FROM sorted") == 1500000);
    std::vector<seen_event> mine;
    for (const auto& e : events)
      if (e.component == "long_test") mine.push_back(e);
    REQUIRE(mine.size() >= 2);
    CHECK(mine.front().what == kind::started);
    CHECK(mine.back().what == kind::finished);
    const auto took = mine.back().elapsed;
    REQUIRE_MESSAGE(took >= std::chrono::milliseconds(300), "the statement was too quick to test");
    std::vector<std::chrono::milliseconds> beats;
    for (std::size_t i = 1; i + 1 < mine.size(); ++i) {
      CHECK(mine[i].what == kind::heartbeat);
      beats.push_back(mine[i].elapsed);
    }
    // A heartbeat after every 50 ms of work, never two within 50 ms.
    CHECK(beats.size() >= static_cast<std::size_t>(took / std::chrono::milliseconds(50)) / 4);
    CHECK(beats.size() >= 2);
    std::chrono::milliseconds last{0};
    for (const auto b : beats) {
      CHECK(b - last >= std::chrono::milliseconds(50));
      last = b;
    }
  }

  TEST_CASE("too little free disk refuses the migration with nothing changed and exit kind 75") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    make_v1(p, 3000);
    const auto old_bytes =
        scalar(p, "SELECT sum(pgsize) FROM dbstat WHERE name = 'items' AND aggregate = TRUE");
    const auto items = dump(p, all_items);
    const auto schema = dump(p, "SELECT type, name, sql FROM sqlite_master ORDER BY name");
    const auto applied = dump(p, "SELECT * FROM schema_migrations ORDER BY component, number");

    std::vector<seen_event> events;
    auto s = recording(p, events);
    s.free_disk_for_tests = 4096;
    try {
      auto db = open_rebuild(s, 2);
      FAIL("the migration started with 4096 bytes free");
    } catch (const lpda::error_exception& e) {
      CHECK(e.err().code == lpda::make_error_code(lpda::errc::store_full));
      CHECK(lpda::traits_of(e.err().code)->exit_code == 75);
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.find("migration 2 of rebuild_test (items: keyed by account, time, id)") !=
            std::string::npos);
      CHECK(what.find("needs about " + std::to_string(2 * old_bytes) + " bytes") !=
            std::string::npos);
      CHECK(what.find(dir.path().string() + " has 4096 bytes free") != std::string::npos);
      CHECK(what.find("nothing was changed") != std::string::npos);
    }
    CHECK(events.empty());  // refused before it started
    CHECK(dump(p, all_items) == items);
    CHECK(dump(p, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema);
    CHECK(dump(p, "SELECT * FROM schema_migrations ORDER BY component, number") == applied);

    // Exactly enough is enough.
    s.free_disk_for_tests = static_cast<std::uint64_t>(2 * old_bytes);
    { auto db = open_rebuild(s, 2); }
    CHECK(dump(p, all_items) == items);
    CHECK(scalar(p, "SELECT max(number) FROM schema_migrations WHERE component = 'rebuild_test'") ==
          2);
  }

  TEST_CASE("the free disk check on the real file system lets a migration that fits run") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    make_v1(p, 2000);
    // statvfs's figure against df's (coreutils), which reads the same file system: other
    // processes may write meanwhile, so within 64 MiB.
    auto free = lpda::sqlite::free_disk_bytes(dir.path());
    REQUIRE(free.has_value());
    const auto df =
        lpda::test::run_command("df -B1 --output=avail '" + dir.path().string() + "' | tail -n 1");
    REQUIRE(df.status == 0);
    const auto df_free = std::stoll(df.out);
    CHECK(std::llabs(static_cast<long long>(*free) - df_free) < 64LL * 1024 * 1024);
    const auto need = 2 * scalar(p,
                                 "SELECT sum(pgsize) FROM dbstat WHERE name = 'items' AND "
                                 "aggregate = TRUE");
    REQUIRE(static_cast<std::uint64_t>(need) < *free);

    std::vector<seen_event> events;
    { auto db = open_rebuild(recording(p, events), 2); }
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().what == kind::finished);
    CHECK(events.front().bytes_needed == static_cast<std::uint64_t>(need));
    CHECK(lpda::sqlite::free_disk_bytes(dir / "no such directory").error().code ==
          lpda::make_error_code(lpda::errc::store_io));
  }

  TEST_CASE("pending_migrations lists what an open would apply and changes nothing") {
    using lpda::store::test::component_store;
    using lpda::store::test::rebuild_v2;
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    const std::vector<lpda::sqlite::data_type_store> v2{
        component_store(lpda::store::test::rebuild_component, rebuild_v2)};

    // A missing file: every migration, and no file made.
    auto fresh = lpda::sqlite::pending_migrations(p, v2);
    REQUIRE(fresh.has_value());
    std::vector<std::string> names;
    for (const auto& m : *fresh) names.push_back(m.component + " " + std::to_string(m.number));
    CHECK(names == std::vector<std::string>{"rebuild_test 1", "rebuild_test 2", "core 1", "core 2",
                                            "core 3"});
    CHECK_FALSE(std::filesystem::exists(p));

    make_v1(p, 1500);
    const auto need = 2 * scalar(p,
                                 "SELECT sum(pgsize) FROM dbstat WHERE name = 'items' AND "
                                 "aggregate = TRUE");
    const auto image = lpda::test::read_file(p);
    auto one = lpda::sqlite::pending_migrations(p, v2);
    REQUIRE(one.has_value());
    REQUIRE(one->size() == 1);
    CHECK((*one)[0].component == "rebuild_test");
    CHECK((*one)[0].number == 2);
    CHECK((*one)[0].description == "items: keyed by account, time, id");
    CHECK((*one)[0].bytes_needed == static_cast<std::uint64_t>(need));
    CHECK(lpda::test::read_file(p) == image);

    { auto db = open_rebuild(at(p), 2); }
    auto none = lpda::sqlite::pending_migrations(p, v2);
    REQUIRE(none.has_value());
    CHECK(none->empty());

    // A file from a newer build is refused as the open refuses it.
    {
      SQLite::Database raw(p.string(), SQLite::OPEN_READWRITE);
      raw.exec("INSERT INTO schema_migrations VALUES ('rebuild_test', 3, 1, 'newer')");
    }
    auto newer = lpda::sqlite::pending_migrations(p, v2);
    REQUIRE_FALSE(newer.has_value());
    CHECK(newer.error().code == lpda::make_error_code(lpda::errc::store_schema));
  }

  TEST_CASE("copy_rows refuses an INSERT whose parameters do not match the SELECT") {
    static constexpr auto bad_run = [](lpda::sqlite::migration_context& ctx) {
      lpda::sqlite::copy_rows(ctx, "SELECT id, account FROM items",
                              "INSERT INTO items (id) "
                              "VALUES (?1)",
                              0);
    };
    static constexpr std::array<lpda::sqlite::migration, 2> bad{{
        {1, 0, "items", lpda::store::test::rebuild1_items},
        {2, 0, "a mismatched copy", "", 0, +bad_run},
    }};
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    try {
      auto db = lpda::sqlite::database::open(at(p),
                                             {lpda::store::test::component_store("bad_test", bad)});
      FAIL("a mismatched copy was applied");
    } catch (const lpda::error_exception& e) {
      CHECK(e.err().code == lpda::make_error_code(lpda::errc::store_io));
      CHECK(std::string(e.what()).find("the INSERT takes 1 parameters, the SELECT yields 2") !=
            std::string::npos);
    }
    // Migration 1 stays; 2 left nothing behind.
    CHECK(scalar(p, "SELECT max(number) FROM schema_migrations WHERE component = 'bad_test'") == 1);
  }
}
