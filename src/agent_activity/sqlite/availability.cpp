#include "lpda/agent_activity/sqlite/availability.hpp"

#include "lpda/agent_activity/sqlite/store.hpp"
#include "views.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lpda::agent_activity::sqlite {
namespace {

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

class reader final : public availability_reader {
 public:
  reader(std::filesystem::path path, std::unique_ptr<SQLite::Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  result<std::vector<availability_row>> availability(const availability_query& query) override {
    try {
      SQLite::Statement has_view(
          *db_,
          "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = "
          "'agent_daily_availability'");
      if (!has_view.executeStep() || has_view.getColumn(0).getInt64() == 0)
        return lpda::error(
            errc::store_schema,
            path_.string() +
                ": no agent_daily_availability view (not an lpda-sync database, or "
                "one older than schema version 2; run the daemon once to migrate it)");
      const bool by_session = clustered_by_session();
      if (by_session) {
        prepare_report_views();
        // The sessions that reach into the asked days: the days' pieces of a stint come from
        // the session holding it, and a session's stints and chats lie within its first and
        // last event. The days are whole UTC days overlapping [from, to).
        SQLite::Statement clear(*db_, "DELETE FROM temp.report_sessions");
        clear.exec();
        SQLite::Statement pick(*db_, R"sql(
        INSERT INTO temp.report_sessions (account_id, agent_session_id)
        SELECT account_id, agent_session_id FROM agent_sessions
        WHERE last_event_ms >= ?2 AND first_event_ms < ?3 AND (?1 IS NULL OR account_id = ?1))sql");
        if (query.account_id) pick.bind(1, *query.account_id);
        pick.bind(2, query.from_ms ? day_floor(*query.from_ms) : INT64_MIN);
        pick.bind(3, query.to_ms ? day_ceil(*query.to_ms) : INT64_MAX);
        pick.exec();
      }
      SQLite::Statement q(*db_, std::string(R"sql(
      SELECT v.account_id, v.agent_id, a.agent_username, a.agent_nickname, v.day_utc,
             v.day_start_ms, v.logged_in_ms, v.online_ms, v.away_ms, v.back_soon_ms, v.chats
      FROM )sql") +
                                    (by_session ? "temp.report_daily_availability"
                                                : "main.agent_daily_availability") +
                                    R"sql( AS v
      LEFT JOIN agents AS a ON a.account_id = v.account_id AND a.agent_id = v.agent_id
      WHERE (?1 IS NULL OR v.account_id = ?1)
        AND (?2 IS NULL OR v.day_start_ms + 86400000 > ?2)
        AND (?3 IS NULL OR v.day_start_ms < ?3)
      ORDER BY v.account_id, v.day_start_ms, v.agent_id)sql");
      if (query.account_id) q.bind(1, *query.account_id);
      if (query.from_ms) q.bind(2, static_cast<std::int64_t>(*query.from_ms));
      if (query.to_ms) q.bind(3, static_cast<std::int64_t>(*query.to_ms));
      std::vector<availability_row> rows;
      while (q.executeStep()) {
        availability_row r;
        r.account_id = q.getColumn(0).getString();
        r.agent_id = q.getColumn(1).getInt64();
        r.agent_username = optional_text(q.getColumn(2));
        r.agent_nickname = optional_text(q.getColumn(3));
        r.day_utc = q.getColumn(4).getString();
        r.day_start_ms = q.getColumn(5).getInt64();
        r.logged_in_ms = q.getColumn(6).getInt64();
        r.online_ms = q.getColumn(7).getInt64();
        r.away_ms = q.getColumn(8).getInt64();
        r.back_soon_ms = q.getColumn(9).getInt64();
        r.chats = q.getColumn(10).getInt64();
        rows.push_back(std::move(r));
      }
      return rows;
    } catch (const SQLite::Exception& e) {
      return lpda::error(errc::store_io, path_.string() + ": availability report: " + e.what());
    }
  }

 private:
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
  bool report_views_ = false;

  static constexpr std::int64_t day_ms = 86'400'000;
  // The start of the UTC day holding `ms`, and the end of it (ms itself on a midnight); clamped
  // to the int64 range rather than overflowing at its ends.
  static std::int64_t day_floor(std::int64_t ms) {
    std::int64_t q = ms / day_ms;
    if (ms % day_ms < 0) --q;
    return q < INT64_MIN / day_ms ? INT64_MIN : q * day_ms;
  }
  static std::int64_t day_ceil(std::int64_t ms) {
    std::int64_t q = ms / day_ms;
    if (ms % day_ms > 0) ++q;
    return q > INT64_MAX / day_ms ? INT64_MAX : q * day_ms;
  }

  // Whether the events table is clustered by session (agentActivity migration 3): only then are
  // a session's events one range of it. A file still in the earlier layout (a reader cannot
  // migrate it) is read through the views over the whole table, as before.
  bool clustered_by_session() {
    SQLite::Statement st(*db_, R"sql(
      SELECT c.name FROM pragma_index_list('agent_activity_events') AS l,
                         pragma_index_info(l.name) AS c
      WHERE l.origin = 'pk' AND c.seqno = 0)sql");
    return st.executeStep() && st.getColumn(0).getString() == "account_id";
  }

  // The report runs the views' own definitions (migration 2, never edited) as TEMP views over
  // the events of the sessions in `temp.report_sessions`, so it reads those sessions' events by
  // the events table's key instead of the whole table, with the views' meaning by construction.
  // TEMP objects live in this connection's temporary database: the file is not written.
  // CROSS JOIN keeps the sessions as the outer loop (SQLite never reorders it): the planner has no
  // statistics for the temporary table and otherwise scans the whole events table, probing it.
  void prepare_report_views() {
    if (report_views_) return;
    std::string views(detail::availability_views_sql());
    auto replace_all = [&views](std::string_view from, std::string_view to) {
      for (auto at = views.find(from); at != std::string::npos;
           at = views.find(from, at + to.size()))
        views.replace(at, from.size(), to);
    };
    replace_all("CREATE VIEW agent_", "CREATE TEMP VIEW report_");
    replace_all("FROM agent_state_intervals", "FROM report_state_intervals");
    replace_all("FROM agent_activity_events", "FROM report_events");
    db_->exec(R"sql(
CREATE TEMP TABLE report_sessions (
  account_id       TEXT NOT NULL,
  agent_session_id TEXT NOT NULL,
  PRIMARY KEY (account_id, agent_session_id)
) WITHOUT ROWID;
CREATE TEMP VIEW report_events AS
SELECT e.* FROM temp.report_sessions AS s
CROSS JOIN main.agent_activity_events AS e
  ON e.account_id = s.account_id AND e.agent_session_id = s.agent_session_id;
)sql");
    db_->exec(views);
    report_views_ = true;
  }
};

}  // namespace

result<std::unique_ptr<availability_reader>> open_availability_reader(
    const std::filesystem::path& database) {
  auto db = lpda::sqlite::open_read_only(database);
  if (!db) return db.error();
  if (auto newer = lpda::sqlite::check_not_newer(**db, database, schema()); !newer)
    return newer.error();
  return std::make_unique<reader>(database, std::move(*db));
}

result<std::vector<availability_row>> query_availability(const std::filesystem::path& database,
                                                         const availability_query& query) {
  auto r = open_availability_reader(database);
  if (!r) return r.error();
  return (*r)->availability(query);
}

}  // namespace lpda::agent_activity::sqlite
