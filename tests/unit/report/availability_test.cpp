// The availability report on a real database built through the store's own ingest.
#include "lpda/report/availability.hpp"
#include "lpda/agent_activity/event.hpp"
#include "lpda/agent_activity/sqlite/availability.hpp"
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"
#include "report_command.hpp"

#include "agent_activity_events.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include "lpda/core/text.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <sstream>
#include <utility>

using namespace lpda;
using namespace lpda::report;
using lpda::agent_activity::sqlite::query_availability;

namespace {

constexpr std::int64_t day0 = 1709510400000;  // 2024-03-04T00:00:00Z (date -u -d 2024-03-04 +%s)
constexpr std::int64_t day1 = day0 + 86400000;
constexpr std::int64_t minute = 60000;
constexpr std::int64_t hour = 60 * minute;

enum : std::int64_t { chat = 1, state_change = 2, login = 3, logout = 4 };
enum : std::int64_t { offline = 1, online = 2, back_soon = 3, away = 4 };

agent_activity::event ev(std::string sid, std::int64_t agent, std::int64_t ts, std::int64_t type,
                         std::int64_t state, std::int64_t prev_state, std::int64_t prev_conc = 0,
                         std::int64_t conc = 0) {
  auto e = lpda::test::activity_event(std::move(sid), agent, ts, type, state, prev_state, prev_conc,
                                      conc);
  e.agent_username = "user" + std::to_string(agent);
  e.agent_nickname = "Nick, \"" + std::to_string(agent) + "\"";  // needs CSV quoting
  return e;
}

class vector_source final : public agent_activity::event_source {
 public:
  explicit vector_source(std::vector<agent_activity::event> v) : events_(std::move(v)) {}
  result<bool> read_batch(std::vector<agent_activity::event>& out) override {
    out.clear();
    if (done_) return false;
    out = events_;
    done_ = true;
    return !out.empty();
  }

 private:
  std::vector<agent_activity::event> events_;
  bool done_ = false;
};

data_file file_named(const std::string& key) {
  data_file f;
  f.key = key;
  f.name = key + ".gz";
  f.href = "https://va.da.liveperson.net/files/" + key + ".gz";
  f.scope_start_ms = day0;
  f.scope_end_ms = day0 + hour;
  return f;
}

// Account "100": agent 1001's hand-computed session: online 09:00, away 09:10, online 09:20,
// logout 10:00, with one chat accepted at 09:30 → online 50 min, away 10 min, logged in 60 min.
// Agent 1002: online 23:30 → logout 00:30 the next day, split at UTC midnight (30 + 30 min),
// with 5 min back soon at 00:10. Account "200": agent 2001 online 08:00 → 08:45 on day 0.
std::filesystem::path build_db(const lpda::test::temp_dir& dir) {
  lpda::sqlite::settings s;
  s.path = dir / "lpda.db";
  auto db = lpda::sqlite::database::open(s, {agent_activity::sqlite::data_type()});
  vector_source a({
      ev("s1", 1001, day0 + 9 * hour, login, online, offline),
      ev("s1", 1001, day0 + 9 * hour + 10 * minute, state_change, away, online),
      ev("s1", 1001, day0 + 9 * hour + 20 * minute, state_change, online, away),
      ev("s1", 1001, day0 + 9 * hour + 30 * minute, chat, online, online, 0, 1),
      ev("s1", 1001, day0 + 10 * hour, logout, offline, online, 1, 0),
      ev("s2", 1002, day0 + 23 * hour + 30 * minute, login, online, offline),
      ev("s2", 1002, day1 + 10 * minute, state_change, back_soon, online),
      ev("s2", 1002, day1 + 15 * minute, state_change, online, back_soon),
      ev("s2", 1002, day1 + 30 * minute, logout, offline, online),
  });
  REQUIRE(db.ingest_file("100", "agentActivity", file_named("f100"), a, day1 + hour).has_value());
  vector_source b({
      ev("s3", 2001, day0 + 8 * hour, login, online, offline),
      ev("s3", 2001, day0 + 8 * hour + 45 * minute, logout, offline, online),
  });
  REQUIRE(db.ingest_file("200", "agentActivity", file_named("f200"), b, day1 + hour).has_value());
  return s.path;
}

availability_row row(std::string account, std::int64_t agent, std::string day, std::int64_t start,
                     std::int64_t logged, std::int64_t on, std::int64_t aw, std::int64_t bs,
                     std::int64_t chats) {
  availability_row r;
  r.account_id = std::move(account);
  r.agent_id = agent;
  r.agent_username = "user" + std::to_string(agent);
  r.agent_nickname = "Nick, \"" + std::to_string(agent) + "\"";
  r.day_utc = std::move(day);
  r.day_start_ms = start;
  r.logged_in_ms = logged;
  r.online_ms = on;
  r.away_ms = aw;
  r.back_soon_ms = bs;
  r.chats = chats;
  return r;
}

const availability_row session_1001 =
    row("100", 1001, "2024-03-04", day0, 60 * minute, 50 * minute, 10 * minute, 0, 1);
const availability_row day0_1002 =
    row("100", 1002, "2024-03-04", day0, 30 * minute, 30 * minute, 0, 0, 0);
const availability_row day1_1002 =
    row("100", 1002, "2024-03-05", day1, 30 * minute, 25 * minute, 0, 5 * minute, 0);
const availability_row day0_2001 =
    row("200", 2001, "2024-03-04", day0, 45 * minute, 45 * minute, 0, 0, 0);

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const auto next = s.find(sep, pos);
    if (next == std::string::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, next - pos));
    pos = next + sep.size();
  }
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> w;
  for (std::string x; is >> x;) w.push_back(x);
  return w;
}

std::string render(const std::vector<availability_row>& rows, report_format f) {
  std::ostringstream os;
  write_availability(os, rows, f);
  return os.str();
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("availability rows per agent and UTC day split at midnight with names") {
    lpda::test::temp_dir dir;
    const auto path = build_db(dir);
    auto rows = query_availability(path, {});
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 4);
    CHECK((*rows)[0] == session_1001);
    CHECK((*rows)[1] == day0_1002);
    CHECK((*rows)[2] == day1_1002);
    CHECK((*rows)[3] == day0_2001);
  }

  TEST_CASE("account and day filters") {
    lpda::test::temp_dir dir;
    const auto path = build_db(dir);
    availability_query q;
    q.account_id = "200";
    CHECK(query_availability(path, q).value() == std::vector{day0_2001});

    q = {};
    q.from_ms = day1;  // midnight: day 0 ends there, so it is left out
    CHECK(query_availability(path, q).value() == std::vector{day1_1002});

    q = {};
    q.from_ms = day0 + 12 * hour;  // within day 0: day 0 is included
    CHECK(query_availability(path, q).value().size() == 4);

    q = {};
    q.account_id = "100";
    q.to_ms = day1;  // exclusive
    CHECK(query_availability(path, q).value() == std::vector{session_1001, day0_1002});

    q = {};
    q.account_id = "nope";
    CHECK(query_availability(path, q).value().empty());
  }

  TEST_CASE("the report's day ranges equal the agent_daily_availability view over all events") {
    // The report reads only the sessions reaching into the asked days; the view reads every
    // event. Random sessions of 1 to 30 hours over four days (some across two midnights), in two
    // accounts, with state changes and chats at random times, and several files per account
    // (one per session end, as Data Access publishes them).
    lpda::test::temp_dir dir;
    lpda::sqlite::settings s;
    s.path = dir / "lpda.db";
    {
      auto db = lpda::sqlite::database::open(s, {agent_activity::sqlite::data_type()});
      std::uint64_t x = 0x9e3779b97f4a7c15;
      auto rnd = [&x](std::int64_t lo, std::int64_t hi) {  // splitmix64, [lo, hi]
        x += 0x9e3779b97f4a7c15;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        z ^= z >> 31;
        return lo + static_cast<std::int64_t>(z % static_cast<std::uint64_t>(hi - lo + 1));
      };
      for (int session = 0; session < 60; ++session) {
        const std::string account = session % 3 == 0 ? "200" : "100";
        const std::int64_t agent = rnd(1, 12);
        std::int64_t t = day0 + rnd(0, 3 * 24 * 60) * minute;
        const std::int64_t end = t + rnd(60, 30 * 60) * minute;
        const std::string sid = "s" + std::to_string(session);
        std::vector<agent_activity::event> events{ev(sid, agent, t, login, online, offline)};
        std::int64_t state = online;
        std::int64_t conc = 0;
        while ((t += rnd(1, 90) * minute) < end) {
          if (rnd(0, 2) == 0) {
            const std::int64_t next = conc + (conc == 0 || rnd(0, 1) == 0 ? 1 : -1);
            events.push_back(ev(sid, agent, t, chat, state, state, conc, next));
            conc = next;
          } else {
            const std::int64_t next = rnd(2, 4);
            events.push_back(ev(sid, agent, t, state_change, next, state));
            state = next;
          }
        }
        events.push_back(ev(sid, agent, end, logout, offline, state, conc, 0));
        vector_source src(std::move(events));
        REQUIRE(db.ingest_file(account, "agentActivity", file_named("f" + std::to_string(session)),
                               src, end)
                    .has_value());
      }
    }
    SQLite::Database raw(s.path.string(), SQLite::OPEN_READONLY);
    auto from_view = [&raw](const availability_query& q) {
      SQLite::Statement st(raw, R"sql(
        SELECT v.account_id, v.agent_id, a.agent_username, a.agent_nickname, v.day_utc,
               v.day_start_ms, v.logged_in_ms, v.online_ms, v.away_ms, v.back_soon_ms, v.chats
        FROM agent_daily_availability AS v
        LEFT JOIN agents AS a ON a.account_id = v.account_id AND a.agent_id = v.agent_id
        WHERE (?1 IS NULL OR v.account_id = ?1) AND (?2 IS NULL OR v.day_start_ms + 86400000 > ?2)
          AND (?3 IS NULL OR v.day_start_ms < ?3)
        ORDER BY v.account_id, v.day_start_ms, v.agent_id)sql");
      if (q.account_id) st.bind(1, *q.account_id);
      if (q.from_ms) st.bind(2, static_cast<std::int64_t>(*q.from_ms));
      if (q.to_ms) st.bind(3, static_cast<std::int64_t>(*q.to_ms));
      std::vector<availability_row> rows;
      while (st.executeStep()) {
        availability_row r;
        r.account_id = st.getColumn(0).getString();
        r.agent_id = st.getColumn(1).getInt64();
        r.agent_username = st.getColumn(2).getString();
        r.agent_nickname = st.getColumn(3).getString();
        r.day_utc = st.getColumn(4).getString();
        r.day_start_ms = st.getColumn(5).getInt64();
        r.logged_in_ms = st.getColumn(6).getInt64();
        r.online_ms = st.getColumn(7).getInt64();
        r.away_ms = st.getColumn(8).getInt64();
        r.back_soon_ms = st.getColumn(9).getInt64();
        r.chats = st.getColumn(10).getInt64();
        rows.push_back(std::move(r));
      }
      return rows;
    };
    auto reader = agent_activity::sqlite::open_availability_reader(s.path);
    REQUIRE(reader.has_value());
    std::size_t compared = 0;
    for (const std::optional<std::string>& account :
         {std::optional<std::string>(), std::optional<std::string>("100"),
          std::optional<std::string>("200")}) {
      for (std::int64_t from = day0 - day1 + day0; from <= day0 + 5 * (day1 - day0);
           from += 7 * hour) {
        for (const std::int64_t length : {hour, day1 - day0, 2 * (day1 - day0) + 5 * hour}) {
          availability_query q;
          q.account_id = account;
          q.from_ms = from;
          q.to_ms = from + length;
          CAPTURE(from);
          CAPTURE(length);
          const auto expected = from_view(q);
          CHECK((*reader)->availability(q).value() == expected);
          compared += expected.size();
        }
      }
      availability_query all;
      all.account_id = account;
      CHECK((*reader)->availability(all).value() == from_view(all));
      // The ends of the int64 range: the day bounds clamp instead of overflowing.
      for (const auto& [from, to] :
           {std::pair{INT64_MIN, INT64_MAX}, std::pair{INT64_MIN + 1, INT64_MAX - 1},
            std::pair{day0, INT64_MAX - 86'399'998}, std::pair{INT64_MIN, day0 + hour}}) {
        availability_query q;
        q.account_id = account;
        q.from_ms = from;
        q.to_ms = to;
        CAPTURE(from);
        CAPTURE(to);
        const auto expected = from_view(q);
        CHECK_FALSE(expected.empty());
        CHECK((*reader)->availability(q).value() == expected);
      }
    }
    CHECK(compared > 500);  // the ranges hold rows, not only empty days

    // A file whose events table is still keyed by time first (a reader cannot migrate it) is
    // read through the views over all events, with the same rows.
    {
      SQLite::Database rw(s.path.string(), SQLite::OPEN_READWRITE);
      rw.exec(R"sql(
PRAGMA legacy_alter_table = ON;
BEGIN;
CREATE TABLE by_time (
  account_id TEXT NOT NULL, agent_session_id TEXT NOT NULL, agent_id INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL, type INTEGER NOT NULL, state INTEGER NOT NULL,
  prev_state INTEGER NOT NULL, prev_concurrent_eng INTEGER NOT NULL,
  concurrent_eng INTEGER NOT NULL, max_concurrent_eng INTEGER, agent_group_id INTEGER,
  agent_employee_id TEXT, agent_username TEXT, agent_nickname TEXT, agent_loginname TEXT,
  user_profile_ids TEXT, source_file_key TEXT NOT NULL, ingested_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER,
  PRIMARY KEY (timestamp_ms, agent_id, account_id, agent_session_id, type, state, prev_state,
               prev_concurrent_eng, concurrent_eng)) WITHOUT ROWID;
INSERT INTO by_time SELECT * FROM agent_activity_events;
DROP TABLE agent_activity_events;
ALTER TABLE by_time RENAME TO agent_activity_events;
COMMIT;
)sql");
    }
    auto old_layout = agent_activity::sqlite::open_availability_reader(s.path);
    REQUIRE(old_layout.has_value());
    for (const std::int64_t from : {day0, day1, day1 + day1 - day0}) {
      availability_query q;
      q.from_ms = from;
      q.to_ms = from + (day1 - day0);
      CAPTURE(from);
      const auto expected = from_view(q);
      CHECK_FALSE(expected.empty());
      CHECK((*old_layout)->availability(q).value() == expected);
    }
  }

  TEST_CASE("the hand-computed session in the table format") {
    const auto text = render({session_1001}, report_format::table);
    const auto lines = split(text, "\n");
    REQUIRE(lines.size() == 4);  // header, row, total, and the empty piece after the final newline
    CHECK(words(lines[0]) == std::vector<std::string>{"ACCOUNT", "AGENT_ID", "AGENT", "NICKNAME",
                                                      "DAY", "(UTC)", "LOGGED_IN", "ONLINE",
                                                      "ONLINE_%", "AWAY", "BACK_SOON", "CHATS"});
    // 50 of 60 logged-in minutes online: 83.3 %.
    CHECK(words(lines[1]) ==
          std::vector<std::string>{"100", "1001", "user1001", "Nick,", "\"1001\"", "2024-03-04",
                                   "1:00:00", "0:50:00", "83.3%", "0:10:00", "0:00:00", "1"});
    CHECK(words(lines[2]) == std::vector<std::string>{"100", "-", "TOTAL", "1", "agent",
                                                      "2024-03-04", "1:00:00", "0:50:00", "83.3%",
                                                      "0:10:00", "0:00:00", "1"});
    // columns line up: every duration ends where its header ends
    CHECK(lines[0].find("ONLINE ") + 6 == lines[1].find("0:50:00") + 7);
    CHECK(lines[0].find("ONLINE_%") + 8 == lines[1].find("83.3%") + 5);
    CHECK(render({}, report_format::table) == "(no rows)\n");
  }

  TEST_CASE("the table lines up names of wide and combining characters") {
    // Display widths by hand: 山田 太郎 = 2+2+1+2+2 = 9 columns in 13 bytes of 5 code points;
    // Mia 😀 Chen = 11 columns; "José" with a combining accent (e + U+0301) = 4 columns.
    availability_row cjk = session_1001, emoji = session_1001, combining = session_1001;
    cjk.agent_username = "山田 太郎";
    emoji.agent_id = 1002;
    emoji.agent_username = "Mia 😀 Chen";
    combining.agent_id = 1003;
    combining.agent_username = "Jose\u0301";
    const auto lines = split(render({cjk, emoji, combining}, report_format::table), "\n");
    REQUIRE(lines.size() >= 4);
    // The day column starts at the same display column on the header and each agent's line.
    const auto column_of_day = [](const std::string& line) {
      const auto at = line.find("2024-03-04");
      return at == std::string::npos ? std::string::npos : lpda::display_width(line.substr(0, at));
    };
    const auto header_day = lpda::display_width(lines[0].substr(0, lines[0].find("DAY")));
    for (int i = 1; i <= 3; ++i) {
      CAPTURE(lines[static_cast<std::size_t>(i)]);
      CHECK(column_of_day(lines[static_cast<std::size_t>(i)]) == header_day);
    }
  }

  TEST_CASE("the table totals each account's day over its agents") {
    const auto text = render({session_1001, day0_1002, day1_1002, day0_2001}, report_format::table);
    const auto lines = split(text, "\n");
    REQUIRE(lines.size() == 9);
    // Account 100 on 2024-03-04: 60 + 30 logged-in minutes, 50 + 30 online (88.9 %), 1 chat.
    CHECK(words(lines[3]) == std::vector<std::string>{"100", "-", "TOTAL", "2", "agents",
                                                      "2024-03-04", "1:30:00", "1:20:00", "88.9%",
                                                      "0:10:00", "0:00:00", "1"});
    CHECK(words(lines[5]) == std::vector<std::string>{"100", "-", "TOTAL", "1", "agent",
                                                      "2024-03-05", "0:30:00", "0:25:00", "83.3%",
                                                      "0:00:00", "0:05:00", "0"});
    CHECK(words(lines[7])[0] == "200");
    CHECK(words(lines[7])[2] == "TOTAL");
    // No logged-in time: no share.
    availability_row idle = day0_2001;
    idle.logged_in_ms = idle.online_ms = 0;
    CHECK(words(split(render({idle}, report_format::table), "\n")[1])[8] == "-");
  }

  TEST_CASE("the hand-computed session in CSV (RFC 4180)") {
    const auto text = render({session_1001}, report_format::csv);
    const auto records = split(text, "\r\n");
    REQUIRE(records.size() == 3);
    CHECK(records[2].empty());
    CHECK(records[0] ==
          "account_id,agent_id,agent_username,agent_nickname,day_utc,day_start_ms,logged_in_ms,"
          "logged_in_min,online_ms,online_min,away_ms,away_min,back_soon_ms,back_soon_min,chats,"
          "online_pct");
    CHECK(records[1] ==
          "100,1001,user1001,\"Nick, \"\"1001\"\"\",2024-03-04,1709510400000,3600000,60.00,"
          "3000000,50.00,600000,10.00,0,0.00,1,83.3");
    CHECK(text.find('\n') == text.find("\r\n") + 1);  // no bare LF
  }

  TEST_CASE("the hand-computed session in JSON") {
    const auto text = render({session_1001, day1_1002}, report_format::json);
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsArray());
    REQUIRE(d.Size() == 2);
    const auto& o = d[0];
    CHECK(std::string(o["account_id"].GetString()) == "100");
    CHECK(o["agent_id"].GetInt64() == 1001);
    CHECK(std::string(o["agent_username"].GetString()) == "user1001");
    CHECK(std::string(o["agent_nickname"].GetString()) == "Nick, \"1001\"");
    CHECK(std::string(o["day_utc"].GetString()) == "2024-03-04");
    CHECK(o["day_start_ms"].GetInt64() == day0);
    CHECK(o["logged_in_ms"].GetInt64() == 3600000);
    CHECK(o["logged_in_min"].GetDouble() == 60.0);
    CHECK(o["online_ms"].GetInt64() == 3000000);
    CHECK(o["online_min"].GetDouble() == 50.0);
    CHECK(o["away_ms"].GetInt64() == 600000);
    CHECK(o["away_min"].GetDouble() == 10.0);
    CHECK(o["back_soon_ms"].GetInt64() == 0);
    CHECK(o["chats"].GetInt64() == 1);
    CHECK(o["online_pct"].GetDouble() == 83.3);
    CHECK(d[1]["back_soon_min"].GetDouble() == 5.0);
    CHECK(render({}, report_format::json) == "[]\n");
  }

  TEST_CASE("unknown agent names are null or blank") {
    availability_row r = session_1001;
    r.agent_username.reset();
    r.agent_nickname.reset();
    rapidjson::Document d;
    d.Parse(render({r}, report_format::json).c_str());
    CHECK(d[0]["agent_username"].IsNull());
    CHECK(words(split(render({r}, report_format::table), "\n")[1])[2] == "-");
    CHECK(split(render({r}, report_format::csv), "\r\n")[1].rfind("100,1001,,,2024-03-04", 0) == 0);
  }

  TEST_CASE("the report never creates or writes the database") {
    lpda::test::temp_dir dir;
    auto missing = query_availability(dir / "absent.db", {});
    REQUIRE(missing.has_error());
    CHECK(missing.error().code == make_error_code(errc::unreadable));
    CHECK(missing.error().message.find("absent.db") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "absent.db"));

    {
      SQLite::Database other((dir / "other.db").string(),
                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      other.exec("CREATE TABLE t (x INTEGER)");
    }
    auto wrong = query_availability(dir / "other.db", {});
    REQUIRE(wrong.has_error());
    CHECK(wrong.error().code == make_error_code(errc::store_schema));

    const auto path = build_db(dir);
    const auto before = lpda::test::read_file(path);
    REQUIRE(query_availability(path, {}).has_value());
    CHECK(lpda::test::read_file(path) == before);
  }

  TEST_CASE("formats parse") {
    CHECK(parse_report_format("table") == report_format::table);
    CHECK(parse_report_format("csv") == report_format::csv);
    CHECK(parse_report_format("json") == report_format::json);
    CHECK(parse_report_format("xml") == std::nullopt);
    CHECK(format_hms(3000000) == "0:50:00");
    CHECK(format_hms(90061999) == "25:01:01");
    CHECK(format_hms(999) == "0:00:00");
    CHECK(format_hms(-60000) == "-0:01:00");
  }

  TEST_CASE("report availability command prints the session in every format") {
    lpda::test::temp_dir dir;
    const auto path = build_db(dir);
    for (const char* format : {"table", "csv", "json"}) {
      INFO(format);
      cli::report_availability_options o;
      o.account = "100";
      o.from = "2024-03-04";
      o.to = "2024-03-05";
      o.format = format;
      std::ostringstream out, err;
      CHECK(cli::report_availability(path, o, day1, out, err) == 0);
      CHECK(err.str().empty());
      CHECK(out.str() == render({session_1001, day0_1002}, *parse_report_format(format)));
    }
  }

  TEST_CASE("report availability command takes the database from the config") {
    lpda::test::temp_dir dir;
    const auto path = build_db(dir);
    lpda::test::write_file(dir / "config.yaml",
                           "database: " + path.string() +
                               "\naccounts:\n  - id: \"100\"\n    region: us\n    auth:\n"
                               "      oauth1: {app_key: k, app_secret: s, access_token: t, "
                               "access_token_secret: ts}\n");
    cli::report_availability_options o;
    o.format = "csv";
    o.from = "1709510400000";
    std::ostringstream out, err;
    CHECK(cli::run_report_availability((dir / "config.yaml").string(), o, out, err) == 0);
    CHECK(out.str() == render({session_1001, day0_1002, day1_1002, day0_2001}, report_format::csv));
    std::ostringstream out2, err2;
    CHECK(cli::run_report_availability((dir / "absent.yaml").string(), o, out2, err2) == 78);
  }

  TEST_CASE("report availability command rejects bad arguments and a missing database") {
    lpda::test::temp_dir dir;
    cli::report_availability_options o;
    std::ostringstream out, err;
    o.format = "xml";
    CHECK(cli::report_availability(dir / "x.db", o, day1, out, err) == 64);
    CHECK(err.str().find("xml") != std::string::npos);
    o.format = "table";
    o.to = "soon";
    err.str("");
    CHECK(cli::report_availability(dir / "x.db", o, day1, out, err) == 64);
    CHECK(err.str().find("--to") != std::string::npos);
    o.to.reset();
    err.str("");
    CHECK(cli::report_availability(dir / "x.db", o, day1, out, err) == 66);
    CHECK(out.str().empty());
  }
}
