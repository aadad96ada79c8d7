// Agent Activity's component of the SQLite schema: its tables and views, numbered on their own
// (docs/schema.md, "Schema versions"). Migrations 1 and 2 are the Agent Activity statements of the
// global versions 1 and 2 from before `schema_migrations`, kept verbatim.
#include "lpda/agent_activity/sqlite/store.hpp"
#include "views.hpp"

#include "lpda/sqlite/migration.hpp"

#include <SQLiteCpp/Database.h>

#include <array>

namespace lpda::agent_activity::sqlite {
namespace {

// Migration 1: the tables (the Agent Activity statements of global version 1). Times are
// integer epoch ms UTC. The events table is keyed by the natural
// key as a WITHOUT ROWID primary key (faster to upsert than a rowid table plus a unique index),
// timestamp first: one file covers one hour, so its rows land in one narrow, mostly new range of
// the B-tree, and most key comparisons end at the first (integer) column.
constexpr std::string_view aa1_tables = R"sql(
CREATE TABLE agent_activity_events (
  account_id          TEXT    NOT NULL,
  agent_session_id    TEXT    NOT NULL,
  agent_id            INTEGER NOT NULL,
  timestamp_ms        INTEGER NOT NULL,
  type                INTEGER NOT NULL,
  state               INTEGER NOT NULL,
  prev_state          INTEGER NOT NULL,
  prev_concurrent_eng INTEGER NOT NULL,
  concurrent_eng      INTEGER NOT NULL,
  max_concurrent_eng  INTEGER,
  agent_group_id      INTEGER,
  agent_employee_id   TEXT,
  agent_username      TEXT,
  agent_nickname      TEXT,
  agent_loginname     TEXT,
  user_profile_ids    TEXT,
  source_file_key     TEXT    NOT NULL,
  ingested_at_ms      INTEGER NOT NULL,
  updated_at_ms       INTEGER,
  PRIMARY KEY (timestamp_ms, agent_id, account_id, agent_session_id, type, state, prev_state,
               prev_concurrent_eng, concurrent_eng)
) WITHOUT ROWID;

CREATE TABLE agents (
  account_id        TEXT    NOT NULL,
  agent_id          INTEGER NOT NULL,
  last_event_ms     INTEGER NOT NULL,
  agent_username    TEXT,
  agent_nickname    TEXT,
  agent_loginname   TEXT,
  agent_employee_id TEXT,
  agent_group_id    INTEGER,
  updated_at_ms     INTEGER NOT NULL,
  PRIMARY KEY (account_id, agent_id)
) WITHOUT ROWID;

CREATE TABLE agent_sessions (
  account_id       TEXT    NOT NULL,
  agent_session_id TEXT    NOT NULL,
  agent_id         INTEGER NOT NULL,
  first_event_ms   INTEGER NOT NULL,
  last_event_ms    INTEGER NOT NULL,
  login_ms         INTEGER,
  logout_ms        INTEGER,
  updated_at_ms    INTEGER NOT NULL,
  PRIMARY KEY (account_id, agent_session_id),
  FOREIGN KEY (account_id, agent_id) REFERENCES agents (account_id, agent_id)
) WITHOUT ROWID;
)sql";

// Migration 2 (global version 2): the availability views (semantics in docs/schema.md). A session's
// events are ordered by timestamp, ties by prev_concurrent_eng then concurrent_eng (then the rest
// of the key, so the order is total); each event opens a stint in its state lasting until the
// session's next event; the last event opens nothing. Days are UTC: day number = epoch ms / 86 400
// 000.
constexpr std::string_view aa2_views = R"sql(
CREATE VIEW agent_state_intervals AS
SELECT account_id, agent_id, agent_session_id, state,
       CASE state WHEN 2 THEN 'online' WHEN 3 THEN 'back_soon' WHEN 4 THEN 'away'
                  WHEN 1 THEN 'offline' WHEN 0 THEN 'irrelevant' ELSE 'unknown' END AS state_name,
       start_ms, end_ms, end_ms - start_ms AS duration_ms
FROM (
  SELECT account_id, agent_id, agent_session_id, state, timestamp_ms AS start_ms,
         LEAD(timestamp_ms) OVER (
           PARTITION BY account_id, agent_session_id, agent_id
           ORDER BY timestamp_ms, prev_concurrent_eng, concurrent_eng, type, state, prev_state
         ) AS end_ms
  FROM agent_activity_events
)
WHERE end_ms IS NOT NULL;

CREATE VIEW agent_daily_availability AS
WITH RECURSIVE pieces (account_id, agent_id, state, day, piece_start_ms, end_ms) AS (
  SELECT account_id, agent_id, state, start_ms / 86400000, start_ms, end_ms
  FROM agent_state_intervals
  UNION ALL
  SELECT account_id, agent_id, state, day + 1, (day + 1) * 86400000, end_ms
  FROM pieces
  WHERE (day + 1) * 86400000 < end_ms
),
parts (account_id, agent_id, day, state, ms, chats) AS (
  SELECT account_id, agent_id, day, state,
         min(end_ms, (day + 1) * 86400000) - piece_start_ms, 0
  FROM pieces
  UNION ALL
  SELECT account_id, agent_id, timestamp_ms / 86400000, NULL, 0, 1
  FROM agent_activity_events
  WHERE type = 1 AND concurrent_eng > prev_concurrent_eng
)
SELECT account_id, agent_id,
       date(day * 86400, 'unixepoch') AS day_utc,
       day * 86400000 AS day_start_ms,
       sum(ms) AS logged_in_ms,
       sum(CASE WHEN state = 2 THEN ms ELSE 0 END) AS online_ms,
       sum(CASE WHEN state = 4 THEN ms ELSE 0 END) AS away_ms,
       sum(CASE WHEN state = 3 THEN ms ELSE 0 END) AS back_soon_ms,
       sum(chats) AS chats
FROM parts
GROUP BY account_id, agent_id, day;
)sql";

// Migration 3: the events table clustered by session instead of by time. A Data Access file for
// hour H holds the sessions that ended in H, each running from login to logout over many hours,
// so with the timestamp first one file's events landed across its sessions' whole range of
// hours, interleaved with earlier files' rows, and every commit rewrote pages all over that range
// (docs/benchmarks.md, "Realistic scale"). With the session first, a file's sessions are
// contiguous ranges of their own and a file writes in proportion to its size. Same columns, same
// natural key (reordered), same rows; the views read the table by name and are left as they are
// (legacy_alter_table: the rename neither rewrites nor checks them). Sessions by time come from
// `agent_sessions`, indexed by their last event for the reports' day ranges.
constexpr std::string_view aa3_by_session = R"sql(
CREATE TABLE agent_activity_events_by_session (
  account_id          TEXT    NOT NULL,
  agent_session_id    TEXT    NOT NULL,
  agent_id            INTEGER NOT NULL,
  timestamp_ms        INTEGER NOT NULL,
  type                INTEGER NOT NULL,
  state               INTEGER NOT NULL,
  prev_state          INTEGER NOT NULL,
  prev_concurrent_eng INTEGER NOT NULL,
  concurrent_eng      INTEGER NOT NULL,
  max_concurrent_eng  INTEGER,
  agent_group_id      INTEGER,
  agent_employee_id   TEXT,
  agent_username      TEXT,
  agent_nickname      TEXT,
  agent_loginname     TEXT,
  user_profile_ids    TEXT,
  source_file_key     TEXT    NOT NULL,
  ingested_at_ms      INTEGER NOT NULL,
  updated_at_ms       INTEGER,
  PRIMARY KEY (account_id, agent_session_id, timestamp_ms, agent_id, type, state, prev_state,
               prev_concurrent_eng, concurrent_eng)
) WITHOUT ROWID;
)sql";

// The copy in the new key order (SQLite sorts the old rows first, in temporary files), with
// progress, then the swap.
void aa3_copy(lpda::sqlite::migration_context& ctx) {
  auto& db = ctx.db();
  const auto total = static_cast<std::uint64_t>(
      db.execAndGet("SELECT count(*) FROM agent_activity_events").getInt64());
  lpda::sqlite::copy_rows(ctx, R"sql(
SELECT * FROM agent_activity_events
ORDER BY account_id, agent_session_id, timestamp_ms, agent_id, type, state, prev_state,
         prev_concurrent_eng, concurrent_eng)sql",
                          "INSERT INTO agent_activity_events_by_session VALUES (?1, ?2, ?3, ?4, "
                          "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                          total, "events", 50000);
  db.exec(R"sql(
PRAGMA legacy_alter_table = ON;
DROP TABLE agent_activity_events;
ALTER TABLE agent_activity_events_by_session RENAME TO agent_activity_events;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX agent_sessions_by_last_event ON agent_sessions (account_id, last_event_ms);
)sql");
}

// While it runs: the new table's pages in the WAL (the whole transaction), the database file
// growing by as much when the commit is checkpointed (the old table's pages become free pages
// that later syncs reuse), and the sort's temporary files (in SQLite's temporary directory, often
// the same file system). Measured on a 518 MB file with 3.08 M events: the file grew by 567 MB
// and the WAL to 1,090 MB, 3.2 times the events table with the sort; four times leaves room.
std::uint64_t aa3_bytes_needed(SQLite::Database& db) {
  return 4 * lpda::sqlite::table_bytes(db, "agent_activity_events");
}

constexpr std::array<lpda::sqlite::migration, 3> aa_migrations{{
    {1, 1, "tables: agent_activity_events, agents, agent_sessions", aa1_tables, 1},
    {2, 2, "views: agent_state_intervals, agent_daily_availability", aa2_views, 2},
    {3, 0, "agent_activity_events clustered by session; agent_sessions by last event",
     aa3_by_session, 0, &aa3_copy, &aa3_bytes_needed},
}};

}  // namespace

std::string_view detail::availability_views_sql() noexcept {
  return aa2_views;
}

const lpda::sqlite::component& schema() noexcept {
  static constexpr lpda::sqlite::component c{"agentActivity", aa_migrations};
  return c;
}

}  // namespace lpda::agent_activity::sqlite
