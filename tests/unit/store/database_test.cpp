#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"

#include "agent_activity_events.hpp"
#include "event_sources.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <thread>
#include <tuple>

using namespace lpda;
using namespace lpda::store;
using lpda::sqlite::latest_schema_version;
using lpda::sqlite::settings;
using lpda::store::test::make_file;
using lpda::store::test::open_store;
using lpda::store::test::vector_event_source;

namespace {

constexpr std::int64_t day0 = 1709510400000;  // 2024-03-04T00:00:00Z (date -u -d ... +%s)
constexpr std::int64_t minute = 60000;
constexpr const char* test_account = "13350576";
constexpr const char* dtype = "agentActivity";

settings settings_for(const std::filesystem::path& p) {
  settings s;
  s.path = p;
  return s;
}

agent_activity::event ev(std::string sid, std::int64_t agent, std::int64_t ts, std::int64_t type,
                         std::int64_t state, std::int64_t prev_state, std::int64_t prev_conc = 0,
                         std::int64_t conc = 0) {
  auto e = lpda::test::activity_event(std::move(sid), agent, ts, type, state, prev_state, prev_conc,
                                      conc);
  e.max_concurrent_eng = 3;
  e.agent_group_id = 42;
  e.agent_employee_id = "emp" + std::to_string(agent);
  e.agent_username = "user" + std::to_string(agent);
  e.agent_nickname = "Nick " + std::to_string(agent);
  e.agent_loginname = "login" + std::to_string(agent);
  return e;
}

std::vector<agent_activity::event> events_range(int from, int to) {
  std::vector<agent_activity::event> v;
  for (int i = from; i < to; ++i)
    v.push_back(ev("s" + std::to_string(i / 4), 100 + i / 4, day0 + i * 1000, 2, 2, 4));
  return v;
}

ingest_summary ingest(database& db, const std::string& key,
                      std::vector<agent_activity::event> events,
                      std::int64_t now_ms = day0 + 86400000, std::size_t batch = 3) {
  vector_event_source src(std::move(events), batch);
  auto r = db.ingest_file(test_account, dtype, make_file(key), src, now_ms);
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error().what()));
  return *r;
}

// Every row of a query as text, for whole-content comparisons.
std::vector<std::string> dump(const std::filesystem::path& p, const std::string& sql) {
  SQLite::Database db(p, SQLite::OPEN_READONLY);
  SQLite::Statement st(db, sql);
  std::vector<std::string> rows;
  while (st.executeStep()) {
    std::string row;
    for (int i = 0; i < st.getColumnCount(); ++i) {
      row += st.getColumn(i).isNull() ? std::string("NULL") : st.getColumn(i).getString();
      row += '|';
    }
    rows.push_back(row);
  }
  return rows;
}

std::int64_t scalar(const std::filesystem::path& p, const std::string& sql) {
  SQLite::Database db(p, SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

const std::string all_events =
    "SELECT * FROM agent_activity_events ORDER BY agent_session_id, timestamp_ms, "
    "prev_concurrent_eng";

unsigned file_mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode) & 0777U;
}

}  // namespace

TEST_SUITE("store") {
  TEST_CASE("a new database is created at the latest schema with mode 0600 and WAL") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    CHECK(db.schema_version() == 4);
    CHECK(latest_schema_version() == 4);
    CHECK(file_mode_of(p) == 0600U);
    ingest(db, "f1", events_range(0, 4));
    REQUIRE(std::filesystem::exists(p.string() + "-wal"));
    CHECK(file_mode_of(p.string() + "-wal") == 0600U);
    CHECK(file_mode_of(p.string() + "-shm") == 0600U);
    CHECK(dump(p, "PRAGMA journal_mode") == std::vector<std::string>{"wal|"});
    CHECK(scalar(p, "PRAGMA page_size") == 4096);
    CHECK(dump(p, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name") ==
          std::vector<std::string>{"agent_activity_events|", "agent_daily_availability|",
                                   "agent_sessions|", "agent_state_intervals|", "agents|",
                                   "checkpoints|", "files|", "schema_migrations|"});
  }

  TEST_CASE("file_mode 0640 is applied exactly and modes open to others are refused") {
    lpda::test::temp_dir dir;
    const auto old_mask = ::umask(077);
    {
      auto s = settings_for(dir / "group.db");
      s.file_mode = 0640;
      auto db = open_store(s);
      CHECK(file_mode_of(dir / "group.db") == 0640U);
    }
    ::umask(old_mask);
    auto s = settings_for(dir / "world.db");
    s.file_mode = 0644;
    try {
      (void)open_store(s);
      FAIL("open accepted a world-readable mode");
    } catch (const error_exception& e) {
      CHECK(e.err().code == make_error_code(errc::config_invalid));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "world.db"));
  }

  TEST_CASE("the same file ingested twice leaves the same rows") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    auto first = ingest(db, "f1", events_range(0, 10), day0 + 1000);
    CHECK(first.events_read == 10);
    CHECK(first.events_inserted == 10);
    CHECK(first.events_updated == 0);
    const auto events_before = dump(p, all_events);
    const auto agents_before = dump(p, "SELECT * FROM agents ORDER BY agent_id");
    const auto sessions_before = dump(p, "SELECT * FROM agent_sessions ORDER BY agent_session_id");
    CHECK(events_before.size() == 10);
    CHECK(sessions_before.size() == 3);
    auto second = ingest(db, "f1", events_range(0, 10), day0 + 1000);
    CHECK(second.events_read == 10);
    CHECK(second.events_inserted == 0);
    CHECK(second.events_updated == 10);
    CHECK(dump(p, all_events) == events_before);
    CHECK(dump(p, "SELECT * FROM agents ORDER BY agent_id") == agents_before);
    CHECK(dump(p, "SELECT * FROM agent_sessions ORDER BY agent_session_id") == sessions_before);
    CHECK(scalar(p, "SELECT count(*) FROM files") == 1);
    CHECK(scalar(p, "SELECT events FROM files") == 10);
    CHECK(scalar(p, "SELECT events_inserted FROM files") == 10);
  }

  TEST_CASE("overlapping files dedupe on the natural key") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    ingest(db, "a", events_range(0, 10));
    auto b = ingest(db, "b", events_range(6, 16));
    CHECK(b.events_inserted == 6);
    CHECK(b.events_updated == 4);
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 16);
    // The first file that brought an event stays its source.
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events WHERE source_file_key = 'a'") ==
          10);
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events WHERE source_file_key = 'b'") == 6);
    // Session s2 (events 8..11) spans both files: first/last from both.
    CHECK(dump(p,
               "SELECT first_event_ms, last_event_ms FROM agent_sessions WHERE agent_session_id = "
               "'s2'") == std::vector<std::string>{std::to_string(day0 + 8000) + "|" +
                                                   std::to_string(day0 + 11000) + "|"});
  }

  TEST_CASE("two events of one agent in the same millisecond stay two rows") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    std::vector<agent_activity::event> pair{ev("s", 7, day0, 1, 2, 2, 0, 1),
                                            ev("s", 7, day0, 1, 2, 2, 1, 2)};
    CHECK(ingest(db, "f", pair).events_inserted == 2);
    CHECK(ingest(db, "g", pair).events_inserted == 0);
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 2);
  }

  TEST_CASE("an event with unknown state (-1) ingested twice stays one row") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    auto e = ev("s", 7, day0, -1, -1, -1, -1, -1);
    e.agent_nickname.reset();
    ingest(db, "f", {e});
    ingest(db, "g", {e});
    CHECK(dump(p,
               "SELECT state, prev_state, type, concurrent_eng, agent_nickname FROM "
               "agent_activity_events") == std::vector<std::string>{"-1|-1|-1|-1|NULL|"});
  }

  TEST_CASE("every field of an event is stored") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    auto e = ev("75555851-684867733", 2188742612, 1461387700123, 1, 2, 4, 1, 2);
    e.user_profile_ids = std::vector<std::int64_t>{1111, 2222};
    auto bare = ev("75555851-684867733", 2188742612, 1461387700999, 4, 1, 2, 2, 0);
    bare.max_concurrent_eng.reset();
    bare.agent_group_id.reset();
    bare.agent_employee_id.reset();
    bare.agent_username.reset();
    bare.agent_nickname.reset();
    bare.agent_loginname.reset();
    ingest(db, "Agent.1461387600000.1461391200000.part-00001-0", {e, bare}, 1461400000000);
    CHECK(
        dump(p, all_events) ==
        std::vector<std::string>{
            "13350576|75555851-684867733|2188742612|1461387700123|1|2|4|1|2|3|42|emp2188742612|"
            "user2188742612|"
            "Nick "
            "2188742612|login2188742612|[1111,2222]|Agent.1461387600000.1461391200000.part-00001-0|"
            "1461400000000|NULL|",
            "13350576|75555851-684867733|2188742612|1461387700999|4|1|2|2|0|NULL|NULL|NULL|NULL|"
            "NULL|NULL|NULL|"
            "Agent.1461387600000.1461391200000.part-00001-0|1461400000000|NULL|"});
  }

  TEST_CASE("a changed attribute in a later file updates only the attribute") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    auto e = ev("s", 7, day0 + 5000, 2, 4, 2);
    ingest(db, "f1", {e, ev("s", 7, day0 + 9000, 2, 2, 4)}, day0 + 100);
    const auto before = dump(p, all_events);
    e.agent_nickname = "Renamed";
    auto s = ingest(db, "f2", {e}, day0 + 200);
    CHECK(s.events_inserted == 0);
    CHECK(s.events_updated == 1);
    const auto after = dump(p, all_events);
    REQUIRE(after.size() == 2);
    CHECK(after[1] == before[1]);  // the other event is untouched
    CHECK(dump(p,
               "SELECT agent_nickname, agent_username, source_file_key, ingested_at_ms, "
               "updated_at_ms, state "
               "FROM agent_activity_events WHERE timestamp_ms = " +
                   std::to_string(day0 + 5000)) ==
          std::vector<std::string>{"Renamed|user7|f1|" + std::to_string(day0 + 100) + "|" +
                                   std::to_string(day0 + 200) + "|4|"});
  }

  TEST_CASE("an older file ingested after a newer one does not roll back agents") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    auto newer = ev("s2", 7, day0 + 7200000, 2, 2, 4);
    newer.agent_nickname = "New Name";
    newer.agent_group_id = 9;
    auto older = ev("s1", 7, day0 + 3600000, 2, 2, 4);
    older.agent_nickname = "Old Name";
    ingest(db, "newer", {newer});
    ingest(db, "older", {older});
    CHECK(dump(p, "SELECT agent_id, last_event_ms, agent_nickname, agent_group_id FROM agents") ==
          std::vector<std::string>{"7|" + std::to_string(day0 + 7200000) + "|New Name|9|"});
    // Within one file too, the latest event's attributes win whatever their order in the file.
    auto newest = ev("s3", 7, day0 + 9000000, 2, 2, 4);
    newest.agent_nickname = "Newest";
    auto mid = ev("s3", 7, day0 + 8000000, 2, 4, 2);
    mid.agent_nickname = "Mid";
    ingest(db, "mixed", {newest, mid}, day0, 1);
    CHECK(dump(p, "SELECT agent_nickname FROM agents") == std::vector<std::string>{"Newest|"});
  }

  TEST_CASE("a file of many runs and statements stores what each event alone would") {
    // 1,000 events of 40 interleaved sessions (20 agents) in file order, not key order, with a
    // repeated natural key (the later copy renamed): larger than one multi-row statement and
    // than the small sort runs below, and with a remainder. The expected rows are computed
    // here event by event, independently of the store's runs and statements.
    std::vector<agent_activity::event> events;
    std::uint64_t r = 88172645463325252ULL;
    auto next = [&r] {  // xorshift64
      r ^= r << 13;
      r ^= r >> 7;
      r ^= r << 17;
      return r;
    };
    for (int i = 0; i < 1000; ++i) {
      const int session = i % 40;
      const std::int64_t agent = 500 + session % 20;
      const std::int64_t type = i < 40     ? 3
                                : i >= 960 ? 4
                                           : 1 + static_cast<std::int64_t>(next() % 2);
      auto e = ev("13350576-" + std::to_string(9000 + session), agent,
                  day0 + static_cast<std::int64_t>(next() % 3600000), type,
                  static_cast<std::int64_t>(next() % 5), 2);
      e.agent_nickname = "Nick " + std::to_string(i);
      if (i % 3 == 0) e.user_profile_ids = std::vector<std::int64_t>{i, 2438730312};
      events.push_back(std::move(e));
    }
    auto repeated = events[123];
    repeated.agent_nickname = "Renamed";
    events.push_back(repeated);

    struct key_less {
      bool operator()(const agent_activity::event& a, const agent_activity::event& b) const {
        return std::tie(a.timestamp_ms, a.agent_id, a.agent_session_id, a.type, a.state,
                        a.prev_state, a.prev_concurrent_eng, a.concurrent_eng) <
               std::tie(b.timestamp_ms, b.agent_id, b.agent_session_id, b.type, b.state,
                        b.prev_state, b.prev_concurrent_eng, b.concurrent_eng);
      }
    };
    std::map<agent_activity::event, std::string, key_less> rows;  // natural key → nickname
    std::map<std::int64_t, std::pair<std::int64_t, std::string>> agents;  // → (ms, nickname)
    std::map<std::string, std::vector<std::int64_t>> sessions;  // → first, last, login, logout
    for (const auto& e : events) {
      rows[e] = *e.agent_nickname;  // a later copy of a key updates its attributes
      auto [a, fresh] = agents.try_emplace(e.agent_id, e.timestamp_ms, *e.agent_nickname);
      if (!fresh && a->second.first <= e.timestamp_ms)
        a->second = {e.timestamp_ms, *e.agent_nickname};
      auto& s = sessions
                    .try_emplace(e.agent_session_id,
                                 std::vector<std::int64_t>{e.timestamp_ms, e.timestamp_ms, -1, -1})
                    .first->second;
      s[0] = std::min(s[0], e.timestamp_ms);
      s[1] = std::max(s[1], e.timestamp_ms);
      if (e.type == 3) s[2] = s[2] < 0 ? e.timestamp_ms : std::min(s[2], e.timestamp_ms);
      if (e.type == 4) s[3] = std::max(s[3], e.timestamp_ms);
    }
    REQUIRE(rows.size() == 1000);
    CHECK(rows.at(repeated) == "Renamed");
    std::vector<std::string> expected_rows;
    for (const auto& [e, nick] : rows)
      expected_rows.push_back(std::to_string(e.timestamp_ms) + "|" + std::to_string(e.agent_id) +
                              "|" + e.agent_session_id + "|" + std::to_string(e.state) + "|" +
                              nick + "|");
    std::vector<std::string> expected_agents;
    for (const auto& [id, a] : agents)
      expected_agents.push_back(std::to_string(id) + "|" + std::to_string(a.first) + "|" +
                                a.second + "|");
    std::vector<std::string> expected_sessions;
    for (const auto& [id, s] : sessions)
      expected_sessions.push_back(id + "|" + std::to_string(s[0]) + "|" + std::to_string(s[1]) +
                                  "|" + (s[2] < 0 ? "NULL" : std::to_string(s[2])) + "|" +
                                  (s[3] < 0 ? "NULL" : std::to_string(s[3])) + "|");

    std::vector<std::string> first_events;
    // Runs bounded by events, and by bytes: 8 KiB holds about 20 of these events.
    const std::size_t no_byte_bound = agent_activity::sqlite::writer_settings{}.sort_run_bytes;
    for (const auto& [run, run_bytes] : std::vector<std::pair<std::size_t, std::size_t>>{
             {1, no_byte_bound},
             {7, no_byte_bound},
             {100, no_byte_bound},
             {agent_activity::sqlite::writer_settings{}.sort_run_events, 8192},
             {agent_activity::sqlite::writer_settings{}.sort_run_events, no_byte_bound}}) {
      CAPTURE(run);
      CAPTURE(run_bytes);
      lpda::test::temp_dir dir;
      const auto p = dir / "lpda.db";
      agent_activity::sqlite::writer_settings w;
      w.sort_run_events = run;
      w.sort_run_bytes = run_bytes;
      auto db = open_store(settings_for(p), w);
      const auto sum = ingest(db, "f1", events, day0 + 86400000, 37);
      CHECK(sum.events_read == 1001);
      CHECK(sum.events_inserted == 1000);
      CHECK(sum.events_updated == 1);
      CHECK(dump(p,
                 "SELECT timestamp_ms, agent_id, agent_session_id, state, agent_nickname "
                 "FROM agent_activity_events ORDER BY timestamp_ms, agent_id, agent_session_id, "
                 "type, state, prev_state, prev_concurrent_eng, concurrent_eng") == expected_rows);
      CHECK(
          dump(p, "SELECT agent_id, last_event_ms, agent_nickname FROM agents ORDER BY agent_id") ==
          expected_agents);
      CHECK(dump(p,
                 "SELECT agent_session_id, first_event_ms, last_event_ms, login_ms, logout_ms "
                 "FROM agent_sessions ORDER BY agent_session_id") == expected_sessions);
      CHECK(scalar(p,
                   "SELECT count(*) FROM agent_activity_events WHERE user_profile_ids IS NOT "
                   "NULL") == 334);
      // Everything else about each row is the same whatever the run size.
      if (first_events.empty())
        first_events = dump(p, all_events);
      else
        CHECK(dump(p, all_events) == first_events);
    }
  }

  TEST_CASE("sessions keep first/last event and login/logout times across files") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    ingest(db, "late",
           {ev("s", 7, day0 + 50 * minute, 2, 4, 2), ev("s", 7, day0 + 60 * minute, 4, 1, 4)});
    CHECK(
        dump(p, "SELECT first_event_ms, last_event_ms, login_ms, logout_ms FROM agent_sessions") ==
        std::vector<std::string>{std::to_string(day0 + 50 * minute) + "|" +
                                 std::to_string(day0 + 60 * minute) + "|NULL|" +
                                 std::to_string(day0 + 60 * minute) + "|"});
    ingest(db, "early",
           {ev("s", 7, day0 + 10 * minute, 3, 2, 1), ev("s", 7, day0 + 20 * minute, 2, 4, 2)});
    CHECK(dump(p,
               "SELECT agent_id, first_event_ms, last_event_ms, login_ms, logout_ms FROM "
               "agent_sessions") ==
          std::vector<std::string>{"7|" + std::to_string(day0 + 10 * minute) + "|" +
                                   std::to_string(day0 + 60 * minute) + "|" +
                                   std::to_string(day0 + 10 * minute) + "|" +
                                   std::to_string(day0 + 60 * minute) + "|"});
  }

  TEST_CASE("a source failing mid-file leaves no row of that file and no ledger row") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    ingest(db, "good", events_range(0, 4));
    const auto before = dump(p, all_events);

    SUBCASE("by throwing") {
      vector_event_source src(events_range(4, 12), 2);
      src.fail_after(2, true);
      CHECK_THROWS_AS(db.ingest_file(test_account, dtype, make_file("bad"), src, day0),
                      std::runtime_error);
    }
    SUBCASE("by returning an error") {
      vector_event_source src(events_range(4, 12), 2);
      src.fail_after(2, false, error(errc::malformed_json, "bad.gz: malformed JSON at byte 812"));
      auto r = db.ingest_file(test_account, dtype, make_file("bad"), src, day0);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == make_error_code(errc::malformed_json));
      CHECK(r.error().message == "bad.gz: malformed JSON at byte 812");
    }
    CHECK(dump(p, all_events) == before);
    CHECK(scalar(p, "SELECT count(*) FROM agent_sessions") == 1);
    CHECK(scalar(p, "SELECT count(*) FROM agents") == 1);
    CHECK(scalar(p, "SELECT count(*) FROM files WHERE file_key = 'bad'") == 0);
    CHECK_FALSE(db.status_of(test_account, dtype, "bad").value().has_value());
    // The connection is still usable.
    CHECK(ingest(db, "next", events_range(4, 8)).events_inserted == 4);
  }

  TEST_CASE("a group member reads a 0640 database read-only, also after the writer closed it") {
    // The documented BI set-up: the database and its directory belong to the service's group,
    // file_mode 0640, directory 0750; the reader is in the group and may not write anything.
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    {
      auto s = settings_for(p);
      s.file_mode = 0640;
      auto db = open_store(s);
      ingest(db, "f1", events_range(0, 4));
    }
    // The writer is gone; its -wal and -shm files stay (emptied), as a reader needs them.
    CHECK(std::filesystem::exists(p.string() + "-wal"));
    CHECK(std::filesystem::exists(p.string() + "-shm"));
    CHECK(file_mode_of(p.string() + "-shm") == 0640U);
    if (::geteuid() != 0) {
      MESSAGE("SKIPPED the read as another user: it needs root to change users");
      return;
    }
    constexpr gid_t group = 4242;  // any group the reader is in; no name needed
    for (const auto& f : {dir.path(), p, std::filesystem::path(p.string() + "-wal"),
                          std::filesystem::path(p.string() + "-shm")})
      REQUIRE(::chown(f.c_str(), 0, group) == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0750) == 0);
    const auto out = lpda::test::run_as(65534, group, [&] {
      SQLite::Database ro(p.string(), SQLite::OPEN_READONLY);
      return std::to_string(ro.execAndGet("SELECT count(*) FROM agent_activity_events").getInt());
    });
    CHECK(out == "4");
  }

  TEST_CASE("a reader that may not write a file needing conversion is told so, file unchanged") {
    if (::geteuid() != 0) {
      MESSAGE("SKIPPED: reading as another user needs root to change users");
      return;
    }
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    std::filesystem::copy_file(lpda::test::data_dir() / "store" / "lpda-v4.db", p);
    {
      // As the previous lpda-sync left it: its -wal and -shm kept beside it, which a reader that
      // may not write the directory needs.
      SQLite::Database raw(p, SQLite::OPEN_READWRITE);
      int persist = 1;
      sqlite3_file_control(raw.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
      REQUIRE(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
      (void)raw.execAndGet("SELECT count(*) FROM files").getInt();
    }
    constexpr gid_t group = 4242;
    REQUIRE(::chown(dir.path().c_str(), 0, group) == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0750) == 0);
    for (const auto& f : {p, std::filesystem::path(p.string() + "-wal"),
                          std::filesystem::path(p.string() + "-shm")}) {
      REQUIRE(::chown(f.c_str(), 0, group) == 0);
      REQUIRE(::chmod(f.c_str(), 0640) == 0);
    }
    const auto bytes = lpda::test::read_file(p);
    const auto out = lpda::test::run_as(65534, group, [&] {
      try {
        (void)open_store(settings_for(p));
        return std::string("opened");
      } catch (const error_exception& e) {
        return std::string(e.err().code == make_error_code(errc::store_schema) ? "schema: "
                                                                               : "other: ") +
               e.what();
      }
    });
    CHECK_MESSAGE(out.rfind("schema: ", 0) == 0, out);
    CHECK_MESSAGE(out.find("this user may only read the file") != std::string::npos, out);
    CHECK(lpda::test::read_file(p) == bytes);
  }

  TEST_CASE("migration from empty and from version 1") {
    lpda::test::temp_dir dir;
    const auto p = dir / "v1.db";
    {
      lpda::store::test::make_legacy_database(p, 1, lpda::test::data_dir());
      SQLite::Database raw(p, SQLite::OPEN_READWRITE);
      raw.exec(
          "INSERT INTO agent_activity_events (account_id, agent_session_id, agent_id, "
          "timestamp_ms, type, "
          "state, prev_state, prev_concurrent_eng, concurrent_eng, source_file_key, "
          "ingested_at_ms) VALUES "
          "('13350576', 's', 7, 1709542800000, 3, 2, 1, 0, 0, 'old', 1), "
          "('13350576', 's', 7, 1709543400000, 4, 1, 2, 0, 0, 'old', 1)");
    }
    CHECK(scalar(p, "SELECT count(*) FROM sqlite_master WHERE type = 'view'") == 0);
    auto db = open_store(settings_for(p));
    CHECK(db.schema_version() == 4);
    CHECK(scalar(p, "PRAGMA user_version") == 4);
    // Version 4's columns exist on the migrated checkpoints table.
    CHECK(scalar(p,
                 "SELECT count(*) FROM pragma_table_info('checkpoints') WHERE name IN "
                 "('last_error', 'last_error_since_ms')") == 2);
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 2);
    // 09:00 → 09:10 online, on a row written before the views existed.
    CHECK(dump(p, "SELECT state, duration_ms FROM agent_state_intervals") ==
          std::vector<std::string>{"2|600000|"});

    const auto fresh = dir / "fresh.db";
    auto db2 = open_store(settings_for(fresh));
    CHECK(scalar(fresh, "PRAGMA user_version") == 4);
    // Reopening an up-to-date database changes nothing.
    auto db3 = open_store(settings_for(fresh));
    CHECK(db3.schema_version() == 4);
  }

  TEST_CASE("migration from version 2 keeps the checkpoints and leaves their clocks unknown") {
    lpda::test::temp_dir dir;
    const auto p = dir / "v2.db";
    {
      lpda::store::test::make_legacy_database(p, 2, lpda::test::data_dir());
      SQLite::Database raw(p, SQLite::OPEN_READWRITE);
      raw.exec(
          "INSERT INTO checkpoints (account_id, data_type, watermark_ms, last_poll_ms, "
          "last_poll_ok, last_success_ms, updated_ms) VALUES ('13350576', 'agentActivity', "
          "1709542800000, 1709542800001, 1, 1709542800001, 1709542800001)");
    }
    auto db = open_store(settings_for(p));
    CHECK(scalar(p, "PRAGMA user_version") == 4);
    auto st = db.status(1709542800000 + 60000).value();
    REQUIRE(st.size() == 1);
    CHECK(st[0].watermark_ms == std::optional<std::int64_t>(1709542800000));
    CHECK(st[0].last_poll_ms == std::optional<std::int64_t>(1709542800001));
    CHECK_FALSE(st[0].server_time_ms.has_value());
    CHECK_FALSE(st[0].clock_skew_ms.has_value());
  }

  TEST_CASE("the WAL is checkpointed once it holds checkpoint_kib") {
    // 60 files of 1,000 events write about 10 MiB of WAL frames. SQLite's default (1,000 pages,
    // 4 MiB) would checkpoint and reuse the WAL from its start several times; the store's default
    // (128 MiB) lets it grow past that, and a small checkpoint_kib keeps it small.
    const auto wal_size_after_sync = [](const std::filesystem::path& p, int checkpoint_kib) {
      auto s = settings_for(p);
      if (checkpoint_kib > 0) s.checkpoint_kib = checkpoint_kib;
      auto db = open_store(s);
      for (int f = 0; f < 60; ++f)
        ingest(db, "f" + std::to_string(f), events_range(f * 1000, (f + 1) * 1000), day0, 1000);
      return std::filesystem::file_size(p.string() + "-wal");
    };
    lpda::test::temp_dir dir;
    CHECK(settings{}.checkpoint_kib == 131072);
    CHECK(wal_size_after_sync(dir / "default.db", 0) > (6U << 20));
    CHECK(wal_size_after_sync(dir / "small.db", 512) < (2U << 20));
  }

  TEST_CASE("closing the store copies the WAL into the file even while a reader has it open") {
    // SQLite's own checkpoint at close needs the file to itself; with a BI tool's query running
    // it does not run, and before the 128 MiB checkpoint the rows would stay in the WAL only.
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = std::make_unique<lpda::sqlite::database>(open_store(settings_for(p)));
    SQLite::Database reader(p.string(), SQLite::OPEN_READONLY);
    for (int f = 0; f < 20; ++f)
      ingest(*db, "f" + std::to_string(f), events_range(f * 1000, (f + 1) * 1000), day0, 1000);
    CHECK(std::filesystem::file_size(p) < (1U << 20));  // still in the WAL
    CHECK(std::filesystem::file_size(p.string() + "-wal") > (2U << 20));
    // The reader is inside a read transaction (a query running) when the store closes.
    reader.exec("BEGIN");
    CHECK(reader.execAndGet("SELECT count(*) FROM agent_activity_events").getInt() == 20000);
    db.reset();
    CHECK(std::filesystem::file_size(p) > (2U << 20));  // copied into the file
    reader.exec("COMMIT");
  }

  TEST_CASE("a new database records each component's migrations in schema_migrations") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    { auto db = open_store(settings_for(p)); }
    CHECK(dump(p, "SELECT component, number FROM schema_migrations ORDER BY component, number") ==
          std::vector<std::string>{"agentActivity|1|", "agentActivity|2|", "agentActivity|3|",
                                   "core|1|", "core|2|", "core|3|"});
    CHECK(scalar(p, "PRAGMA user_version") == 4);
    // Migration 3: events clustered by session, sessions indexed by their last event.
    CHECK(dump(p,
               "SELECT c.name FROM pragma_index_list('agent_activity_events') AS l, "
               "pragma_index_info(l.name) AS c WHERE l.origin = 'pk' ORDER BY c.seqno") ==
          std::vector<std::string>{"account_id|", "agent_session_id|", "timestamp_ms|", "agent_id|",
                                   "type|", "state|", "prev_state|", "prev_concurrent_eng|",
                                   "concurrent_eng|"});
    CHECK(dump(p, "SELECT name FROM pragma_index_info('agent_sessions_by_last_event')") ==
          std::vector<std::string>{"account_id|", "last_event_ms|"});
  }

  TEST_CASE("databases at user_version 1 to 4 convert to schema_migrations and sync on") {
    // What each global version had applied, by component (docs/schema.md, "Schema versions"):
    // 1 = core 1 + agentActivity 1, 2 = + agentActivity 2, 3 = + core 2, 4 = + core 3.
    const std::vector<std::string> all{"agentActivity|1|", "agentActivity|2|", "agentActivity|3|",
                                       "core|1|",          "core|2|",          "core|3|"};
    for (int version = 1; version <= 4; ++version) {
      CAPTURE(version);
      lpda::test::temp_dir dir;
      const auto p = dir / "old.db";
      lpda::store::test::make_legacy_database(p, version, lpda::test::data_dir());
      {
        SQLite::Database raw(p, SQLite::OPEN_READWRITE);
        raw.exec(
            "INSERT INTO files (account_id, data_type, file_key, name, href, part, "
            "scope_start_ms, scope_end_ms, status, events, events_inserted, first_seen_ms, "
            "updated_ms) VALUES ('13350576', 'agentActivity', 'old', 'old.gz', 'https://x/old', "
            "1, 1709542800000, 1709546400000, 'done', 2, 2, 1, 1)");
        raw.exec(
            "INSERT INTO checkpoints (account_id, data_type, watermark_ms, updated_ms) VALUES "
            "('13350576', 'agentActivity', 1709546400000, 1)");
        raw.exec(
            "INSERT INTO agent_activity_events (account_id, agent_session_id, agent_id, "
            "timestamp_ms, type, state, prev_state, prev_concurrent_eng, concurrent_eng, "
            "source_file_key, ingested_at_ms) VALUES "
            "('13350576', 's', 7, 1709542800000, 3, 2, 1, 0, 0, 'old', 1), "
            "('13350576', 's', 7, 1709543400000, 4, 1, 2, 0, 0, 'old', 1)");
      }
      REQUIRE_FALSE(lpda::test::read_file(p).empty());
      CHECK(scalar(p, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 0);
      {
        auto db = open_store(settings_for(p));
        CHECK(db.schema_version() == 4);
        CHECK(
            dump(p, "SELECT component, number FROM schema_migrations ORDER BY component, number") ==
            all);
        // The file's rows are kept, and the store goes on from them.
        CHECK(db.watermark(test_account, dtype).value() ==
              std::optional<std::int64_t>(1709546400000));
        CHECK(db.status_of(test_account, dtype, "old").value() ==
              std::optional<file_status>(file_status::done));
        CHECK(dump(p, "SELECT state, duration_ms FROM agent_state_intervals") ==
              std::vector<std::string>{"2|600000|"});
        const auto sum = ingest(db, "new", events_range(0, 4));
        CHECK(sum.events_inserted == 4);
        CHECK(db.advance_watermark(test_account, dtype, 1709550000000, 2).value() == 1709550000000);
        auto st = db.status(1709550000000).value();
        REQUIRE(st.size() == 1);
        CHECK(st[0].files_done == 2);
        CHECK(st[0].events_stored == 6);
        CHECK(scalar(p,
                     "SELECT count(*) FROM pragma_table_info('checkpoints') WHERE name IN "
                     "('server_time_ms', 'clock_skew_ms', 'last_error', "
                     "'last_error_since_ms')") == 4);
      }
      // Opening it again applies nothing more.
      const auto converted = dump(p, "SELECT * FROM schema_migrations ORDER BY component, number");
      { auto db = open_store(settings_for(p)); }
      CHECK(dump(p, "SELECT * FROM schema_migrations ORDER BY component, number") == converted);
      CHECK(scalar(p, "PRAGMA user_version") == 4);
    }
  }

  TEST_CASE("a database written by the previous lpda-sync converts and syncs on like a new one") {
    // tests/data/store/lpda-v4.db: written by lpda-sync before schema_migrations (user_version 4)
    // running store_crash_child with seed 7, 3 files of 20 events (tests/data/README.md).
    lpda::test::temp_dir dir;
    const auto old_path = dir / "old.db";
    std::filesystem::copy_file(lpda::test::data_dir() / "store" / "lpda-v4.db", old_path);
    REQUIRE(scalar(old_path, "PRAGMA user_version") == 4);
    REQUIRE(scalar(old_path,
                   "SELECT count(*) FROM sqlite_master WHERE name = "
                   "'schema_migrations'") == 0);
    const auto fresh_path = dir / "fresh.db";
    auto old_db = open_store(settings_for(old_path));
    auto fresh_db = open_store(settings_for(fresh_path));
    const auto ingest_generated = [](database& db, int index) {
      vector_event_source src(lpda::store::test::generate_file_events(7, index, 20), 250);
      REQUIRE(db.ingest_file("acct", dtype, make_file("gen-" + std::to_string(index)), src,
                             1700000000000 + index)
                  .has_value());
    };
    for (int i = 0; i < 3; ++i) {
      CHECK(old_db.status_of("acct", dtype, "gen-" + std::to_string(i)).value() ==
            std::optional<file_status>(file_status::done));
      ingest_generated(fresh_db, i);
    }
    ingest_generated(old_db, 3);
    ingest_generated(fresh_db, 3);
    CHECK(dump(old_path, "SELECT component, number FROM schema_migrations ORDER BY 1, 2") ==
          dump(fresh_path, "SELECT component, number FROM schema_migrations ORDER BY 1, 2"));
    CHECK(scalar(old_path, "PRAGMA user_version") == 4);
    CHECK(scalar(old_path, "SELECT count(*) FROM agent_activity_events") == 80);
    for (const std::string& sql :
         {all_events, std::string("SELECT * FROM agents ORDER BY 1, 2"),
          std::string("SELECT * FROM agent_sessions ORDER BY 1, 2"),
          std::string("SELECT * FROM files ORDER BY 1, 2, 3"),
          std::string("SELECT * FROM agent_daily_availability ORDER BY 1, 2, 3")}) {
      CAPTURE(sql);
      CHECK(dump(old_path, sql) == dump(fresh_path, sql));
    }
  }

  TEST_CASE("file_status names are the text of files.status, and only those parse") {
    using lpda::store::parse_file_status;
    for (const std::string s : {"pending", "done", "failed", "quarantined"}) {
      const auto st = parse_file_status(s);
      REQUIRE(st.has_value());
      CHECK(lpda::store::to_string(*st) == s);
    }
    CHECK_FALSE(parse_file_status("DONE").has_value());
    CHECK_FALSE(parse_file_status("").has_value());
  }

  TEST_CASE("pending migrations run in order of generation across components") {
    // b's migration 1 creates the table a's migration 2 (generation 4) writes into: applied
    // component by component, a's migration 2 would run first and fail. Generation 0 takes its
    // predecessor's order, so b's migration 1 runs before everything of generation 1 and above.
    static constexpr std::array<lpda::sqlite::migration, 2> a_migrations{{
        {1, 0, "a: table", "CREATE TABLE a_rows (x INTEGER);"},
        {2, 4, "a: writes b", "INSERT INTO b_rows VALUES (42);"},
    }};
    static constexpr std::array<lpda::sqlite::migration, 1> b_migrations{{
        {1, 0, "b: table", "CREATE TABLE b_rows (y INTEGER);"},
    }};
    const auto part = [](const char* name, std::span<const lpda::sqlite::migration> ms) {
      lpda::sqlite::data_type_store t;
      t.data_type = name;
      t.schema = {name, ms};
      t.make_writer = [](SQLite::Database&) {
        return std::unique_ptr<lpda::sqlite::record_writer>();
      };
      return t;
    };
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    {
      auto db = lpda::sqlite::database::open(settings_for(p),
                                             {part("a", a_migrations), part("b", b_migrations)});
    }
    CHECK(scalar(p, "SELECT y FROM b_rows") == 42);
    CHECK(scalar(p, "SELECT count(*) FROM schema_migrations") == 6);
    CHECK(scalar(p, "PRAGMA user_version") == 4);
  }

  TEST_CASE("connections opening one new file at the same instant all succeed") {
    // Switching a new file to WAL needs an exclusive lock SQLite may refuse at once; the open
    // retries. 20 rounds of 6 connections (SQLite's locks work between connections of one
    // process as between processes).
    for (int round = 0; round < 20; ++round) {
      lpda::test::temp_dir dir;
      const auto p = dir / "lpda.db";
      std::atomic<int> ready{0}, opened{0};
      std::vector<std::thread> threads;
      std::vector<std::string> errors(6);
      for (std::size_t i = 0; i < errors.size(); ++i) {
        threads.emplace_back([&, i] {
          ++ready;
          while (ready.load() < 6) std::this_thread::yield();
          try {
            auto db = open_store(settings_for(p));
            ++opened;
          } catch (const std::exception& e) {
            errors[i] = e.what();
          }
        });
      }
      for (auto& t : threads) t.join();
      CAPTURE(round);
      for (const auto& e : errors) CHECK_MESSAGE(e.empty(), e);
      CHECK(opened.load() == 6);
      CHECK(scalar(p, "SELECT count(*) FROM schema_migrations") == 6);
    }
  }

  TEST_CASE("a file with tables that is not an lpda-sync database is refused unchanged") {
    lpda::test::temp_dir dir;
    const auto p = dir / "other.db";
    {
      SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      raw.exec("CREATE TABLE files (name TEXT); INSERT INTO files VALUES ('mine');");
    }
    const auto bytes = lpda::test::read_file(p);
    try {
      (void)open_store(settings_for(p));
      FAIL("another program's database was opened");
    } catch (const error_exception& e) {
      CHECK(e.err().code == make_error_code(errc::store_schema));
      CHECK_MESSAGE(std::string(e.what()).find("is not an lpda-sync database") != std::string::npos,
                    e.what());
    }
    CHECK(lpda::test::read_file(p) == bytes);
    // An empty file is a new database.
    lpda::test::write_file(dir / "empty.db", "");
    CHECK_NOTHROW((void)open_store(settings_for(dir / "empty.db")));
  }

  TEST_CASE("a database holding a migration newer than this build's is refused unchanged") {
    for (const std::string component : {"core", "agentActivity"}) {
      CAPTURE(component);
      lpda::test::temp_dir dir;
      const auto p = dir / "lpda.db";
      { auto db = open_store(settings_for(p)); }
      {
        SQLite::Database raw(p, SQLite::OPEN_READWRITE);
        raw.exec(
            "INSERT INTO schema_migrations (component, number, applied_at_ms, description) "
            "VALUES ('" +
            component + "', 9, 1, 'from a newer lpda-sync')");
      }
      const auto bytes = lpda::test::read_file(p);
      try {
        (void)open_store(settings_for(p));
        FAIL("a newer migration was accepted");
      } catch (const error_exception& e) {
        CHECK(e.err().code == make_error_code(errc::store_schema));
        const std::string what = e.what();
        CHECK_MESSAGE(what.find(component + " is at migration 9") != std::string::npos, what);
        CHECK(what.find("newer") != std::string::npos);
      }
      CHECK(lpda::test::read_file(p) == bytes);
    }
  }

  TEST_CASE("a database newer than this build or with a negative version is refused unchanged") {
    for (const int version : {99, -1}) {
      CAPTURE(version);
      lpda::test::temp_dir dir;
      const auto p = dir / "other.db";
      {
        SQLite::Database raw(p, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE agents (x); PRAGMA user_version = " + std::to_string(version));
      }
      const auto bytes = lpda::test::read_file(p);
      try {
        (void)open_store(settings_for(p));
        FAIL("the schema version was accepted");
      } catch (const error_exception& e) {
        CHECK(e.err().code == make_error_code(errc::store_schema));
        CHECK(std::string(e.what()).find("version " + std::to_string(version)) !=
              std::string::npos);
      }
      CHECK(lpda::test::read_file(p) == bytes);
      CHECK_FALSE(std::filesystem::exists(p.string() + "-wal"));
      CHECK(scalar(p, "PRAGMA user_version") == version);
    }
  }

  TEST_CASE("the watermark only moves forward except through a reset") {
    lpda::test::temp_dir dir;
    auto db = open_store(settings_for(dir / "lpda.db"));
    CHECK_FALSE(db.watermark(test_account, dtype).value().has_value());
    CHECK(db.advance_watermark(test_account, dtype, 5000, 1).value() == 5000);
    CHECK(db.advance_watermark(test_account, dtype, 4000, 2).value() == 5000);
    CHECK(db.watermark(test_account, dtype).value() == std::optional<std::int64_t>(5000));
    CHECK(db.advance_watermark(test_account, dtype, 9000, 3).value() == 9000);
    CHECK(db.watermark("other", dtype).value() == std::nullopt);
    REQUIRE(db.reset_watermark(test_account, dtype, 1000, 4).has_value());
    CHECK(db.watermark(test_account, dtype).value() == std::optional<std::int64_t>(1000));
    REQUIRE(db.reset_watermark(test_account, dtype, std::nullopt, 5).has_value());
    CHECK_FALSE(db.watermark(test_account, dtype).value().has_value());
    CHECK(db.advance_watermark(test_account, dtype, 200, 6).value() == 200);
  }

  TEST_CASE("a poll's advance does not undo a reset made while it ran") {
    lpda::test::temp_dir dir;
    auto db = open_store(settings_for(dir / "lpda.db"));
    REQUIRE(db.advance_watermark(test_account, dtype, 9000, 1).has_value());
    // A poll starts from 9000; meanwhile an operator resets the watermark to 1000.
    REQUIRE(db.reset_watermark(test_account, dtype, 1000, 2).has_value());
    CHECK(db.advance_watermark(test_account, dtype, 12000, 3, 9000).value() == 1000);
    CHECK(db.watermark(test_account, dtype).value() == std::optional<std::int64_t>(1000));
    // A poll that started from the reset value moves it on; one that started from a value the
    // store has passed (another process went further) keeps the further one.
    CHECK(db.advance_watermark(test_account, dtype, 5000, 4, 1000).value() == 5000);
    CHECK(db.advance_watermark(test_account, dtype, 4000, 5, 1000).value() == 5000);
    CHECK(db.advance_watermark(test_account, dtype, 7000, 6, 1000).value() == 7000);
  }

  TEST_CASE("quarantine after N failed polls then list and reset") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    const auto f = make_file("broken");
    const error err(errc::gzip_corrupt, "broken.gz: bad deflate data at byte 17");
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 1).value() ==
          file_status::failed);
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 2).value() ==
          file_status::failed);
    CHECK(db.status_of(test_account, dtype, "broken").value() == file_status::failed);
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 3).value() ==
          file_status::quarantined);
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 4).value() ==
          file_status::quarantined);

    auto q = db.list_files(test_account, file_status::quarantined).value();
    REQUIRE(q.size() == 1);
    CHECK(q[0].key == "broken");
    CHECK(q[0].name == "broken.gz");
    CHECK(q[0].attempts == 4);
    CHECK(q[0].last_error == std::optional<std::string>("broken.gz: bad deflate data at byte 17"));
    CHECK(
        q[0].last_error_code ==
        std::optional<std::string>("lpda:" + std::to_string(static_cast<int>(errc::gzip_corrupt))));
    CHECK(q[0].first_seen_ms == day0 + 1);
    CHECK(q[0].updated_ms == day0 + 4);
    CHECK(db.list_files("someone-else", std::nullopt).value().empty());

    CHECK(db.reset_quarantined(std::nullopt, day0 + 5).value() == 1);
    CHECK(db.reset_quarantined(std::nullopt, day0 + 6).value() == 0);
    auto all = db.list_files(std::nullopt, std::nullopt).value();
    REQUIRE(all.size() == 1);
    CHECK(all[0].status == file_status::pending);
    CHECK(all[0].attempts == 0);
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 7).value() ==
          file_status::failed);

    // A successful retry makes it done; a later failure report does not undo that.
    ingest(db, "broken", events_range(0, 2));
    CHECK(db.status_of(test_account, dtype, "broken").value() == file_status::done);
    CHECK(db.record_failure(test_account, dtype, f, err, 3, day0 + 8).value() == file_status::done);
    CHECK(db.list_files(test_account, file_status::done).value().at(0).events ==
          std::optional<std::int64_t>(2));
  }

  TEST_CASE("an empty file is recorded as done with its size and zero events") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    vector_event_source none({});
    auto r = db.ingest_file(test_account, dtype, make_file("empty"), none, day0 + 5, 20);
    REQUIRE(r.has_value());
    CHECK(r->events_read == 0);
    CHECK(r->events_inserted == 0);
    CHECK(dump(p,
               "SELECT status, bytes, events, events_inserted, first_seen_ms, updated_ms, "
               "scope_start_ms, "
               "scope_end_ms, part, name, href FROM files") ==
          std::vector<std::string>{"done|20|0|0|" + std::to_string(day0 + 5) + "|" +
                                   std::to_string(day0 + 5) + "|" + std::to_string(day0) + "|" +
                                   std::to_string(day0 + 3600000) +
                                   "|1|empty.gz|https://va.da.liveperson.net/files/empty.gz|"});
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 0);
  }

  TEST_CASE("status reports per account and data type") {
    lpda::test::temp_dir dir;
    auto db = open_store(settings_for(dir / "lpda.db"));
    ingest(db, "a", events_range(0, 6));
    ingest(db, "b", events_range(4, 10));
    REQUIRE(
        db.record_failure(test_account, dtype, make_file("c"), error(errc::timeout, "t"), 5, day0)
            .has_value());
    REQUIRE(db.advance_watermark(test_account, dtype, day0 + 3600000, day0).has_value());
    REQUIRE(db.record_poll(test_account, dtype, std::nullopt, day0 + 10).has_value());
    // The host 2 days ahead of the server at the last poll of the first account.
    const std::int64_t two_days = 2 * 86400000LL;
    REQUIRE(db.record_poll(test_account, dtype, "HTTP 401 from x", day0 + 20,
                           clock_reading{day0 + 20 - two_days, two_days})
                .has_value());
    REQUIRE(db.record_poll("other", dtype, "HTTP 500 from y", day0 + 30).has_value());
    auto st = db.status(day0 + 7200000).value();
    REQUIRE(st.size() == 2);
    CHECK(st[0].account_id == test_account);
    CHECK(st[0].watermark_ms == std::optional<std::int64_t>(day0 + 3600000));
    CHECK(st[0].lag_ms == std::optional<std::int64_t>(3600000));
    CHECK(st[0].last_poll_ms == std::optional<std::int64_t>(day0 + 20));
    CHECK(st[0].last_success_ms == std::optional<std::int64_t>(day0 + 10));
    CHECK(st[0].files_done == 2);
    CHECK(st[0].files_failed == 1);
    CHECK(st[0].files_quarantined == 0);
    CHECK(st[0].events_stored == 10);
    CHECK(st[0].server_time_ms == std::optional<std::int64_t>(day0 + 20 - two_days));
    CHECK(st[0].clock_skew_ms == std::optional<std::int64_t>(two_days));
    CHECK(st[1].account_id == "other");
    CHECK_FALSE(st[1].clock_skew_ms.has_value());
    CHECK_FALSE(st[1].watermark_ms.has_value());
    CHECK_FALSE(st[1].last_success_ms.has_value());
    CHECK(st[1].files_done == 0);
    CHECK(st[0].last_error == std::optional<std::string>("HTTP 401 from x"));
    CHECK(st[0].last_error_since_ms == std::optional<std::int64_t>(day0 + 20));

    // A later failure keeps the "since" of the first failed poll and shows the newer error; a
    // success clears both.
    REQUIRE(db.record_poll(test_account, dtype, "timeout", day0 + 40).has_value());
    st = db.status(day0 + 7200000).value();
    CHECK(st[0].last_error == std::optional<std::string>("timeout"));
    CHECK(st[0].last_error_since_ms == std::optional<std::int64_t>(day0 + 20));
    CHECK(st[0].last_poll_ms == std::optional<std::int64_t>(day0 + 40));
    CHECK(st[0].last_success_ms == std::optional<std::int64_t>(day0 + 10));
    REQUIRE(db.record_poll(test_account, dtype, std::nullopt, day0 + 50).has_value());
    st = db.status(day0 + 7200000).value();
    CHECK_FALSE(st[0].last_error.has_value());
    CHECK_FALSE(st[0].last_error_since_ms.has_value());
    CHECK(st[0].last_success_ms == std::optional<std::int64_t>(day0 + 50));
    REQUIRE(db.record_poll(test_account, dtype, "again", day0 + 60).has_value());
    CHECK(db.status(day0 + 7200000).value()[0].last_error_since_ms ==
          std::optional<std::int64_t>(day0 + 60));
  }

  TEST_CASE("another connection holding the write lock for 3 s makes ingest wait and succeed") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto s = settings_for(p);
    s.busy_timeout = std::chrono::milliseconds(500);
    s.busy_retries = 8;
    s.busy_backoff = std::chrono::milliseconds(100);
    s.busy_backoff_max = std::chrono::milliseconds(800);
    auto db = open_store(s);

    SQLite::Database other(p, SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    std::thread holder([&] {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      other.exec("COMMIT");
    });
    vector_event_source src(events_range(0, 8), 3);
    auto r = db.ingest_file(test_account, dtype, make_file("f"), src, day0);
    const auto waited = std::chrono::steady_clock::now() - start;
    holder.join();
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
    CHECK(r->events_inserted == 8);
    CHECK(waited >= std::chrono::milliseconds(2900));
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 8);
    CHECK(db.status_of(test_account, dtype, "f").value() == file_status::done);
  }

  TEST_CASE("a write lock held past the retry bound gives store_busy and writes nothing") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto s = settings_for(p);
    s.busy_timeout = std::chrono::milliseconds(50);
    s.busy_retries = 2;
    s.busy_backoff = std::chrono::milliseconds(20);
    auto db = open_store(s);
    SQLite::Database other(p, SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    vector_event_source src(events_range(0, 8), 3);
    auto r = db.ingest_file(test_account, dtype, make_file("f"), src, day0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == make_error_code(errc::store_busy));
    CHECK(src.calls() == 0);  // the source was never read, so the caller can retry with it
    auto w = db.advance_watermark(test_account, dtype, 5, 1);
    REQUIRE_FALSE(w.has_value());
    CHECK(w.error().code == make_error_code(errc::store_busy));
    other.exec("ROLLBACK");
    CHECK(scalar(p, "SELECT count(*) FROM agent_activity_events") == 0);
    CHECK(scalar(p, "SELECT count(*) FROM files") == 0);
    vector_event_source again(events_range(0, 8), 3);
    CHECK(
        db.ingest_file(test_account, dtype, make_file("f"), again, day0).value().events_inserted ==
        8);
  }

  TEST_CASE("views give hand-computed state intervals and daily availability") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    const std::int64_t h9 = day0 + 9 * 60 * minute;
    // Login online 09:00, away 09:10, online 09:20, a chat accepted 09:35 (0→1), a chat closed
    // 09:45 (1→0, not a chat), logout 10:00.
    ingest(db, "f",
           {ev("s", 7, h9, 3, 2, 1), ev("s", 7, h9 + 10 * minute, 2, 4, 2),
            ev("s", 7, h9 + 20 * minute, 2, 2, 4), ev("s", 7, h9 + 35 * minute, 1, 2, 2, 0, 1),
            ev("s", 7, h9 + 45 * minute, 1, 2, 2, 1, 0), ev("s", 7, h9 + 60 * minute, 4, 1, 2)});
    CHECK(dump(p, "SELECT state_name, start_ms - " + std::to_string(h9) +
                      ", duration_ms FROM agent_state_intervals "
                      "ORDER BY start_ms") ==
          std::vector<std::string>{"online|0|600000|", "away|600000|600000|",
                                   "online|1200000|900000|", "online|2100000|600000|",
                                   "online|2700000|900000|"});
    CHECK(dump(p,
               "SELECT account_id, agent_id, day_utc, day_start_ms, logged_in_ms, online_ms, "
               "away_ms, back_soon_ms, "
               "chats FROM agent_daily_availability") ==
          std::vector<std::string>{std::string(test_account) + "|7|2024-03-04|" +
                                   std::to_string(day0) + "|3600000|3000000|600000|0|1|"});
  }

  TEST_CASE("views split a session at UTC midnight and order ties by concurrency") {
    lpda::test::temp_dir dir;
    const auto p = dir / "lpda.db";
    auto db = open_store(settings_for(p));
    const std::int64_t midnight = day0 + 86400000;  // 2024-03-05T00:00Z
    // Online 23:30, back soon 00:20, logout 00:30.
    ingest(
        db, "f",
        {ev("n", 8, midnight - 30 * minute, 3, 2, 1), ev("n", 8, midnight + 20 * minute, 2, 3, 2),
         ev("n", 8, midnight + 30 * minute, 4, 1, 3)});
    // Agent 9: online from 2024-03-04 23:00 to 2024-03-06 01:00: 1 h, a full day, 1 h.
    ingest(db, "g",
           {ev("m", 9, midnight - 60 * minute, 3, 2, 1),
            ev("m", 9, midnight + 86400000 + 60 * minute, 4, 1, 2)});
    // Agent 10: two events in the same millisecond; by prev_concurrent_eng the away one (0→1) comes
    // first and lasts 0 ms, the online one (1→2) lasts until the logout 5 min later.
    ingest(
        db, "h",
        {ev("t", 10, day0 + 5 * minute, 1, 2, 4, 1, 2),
         ev("t", 10, day0 + 5 * minute, 1, 4, 2, 0, 1), ev("t", 10, day0 + 10 * minute, 4, 1, 2)});
    CHECK(dump(p,
               "SELECT agent_id, day_utc, logged_in_ms, online_ms, away_ms, back_soon_ms, chats "
               "FROM agent_daily_availability ORDER BY agent_id, day_utc") ==
          std::vector<std::string>{
              "8|2024-03-04|1800000|1800000|0|0|0|",
              "8|2024-03-05|1800000|1200000|0|600000|0|",
              "9|2024-03-04|3600000|3600000|0|0|0|",
              "9|2024-03-05|86400000|86400000|0|0|0|",
              "9|2024-03-06|3600000|3600000|0|0|0|",
              "10|2024-03-04|300000|300000|0|0|2|",
          });
  }

}  // TEST_SUITE
