#include "lpda/store/database.hpp"

#include "lpda/store/schema.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace lpda::store {

std::string_view to_string(file_status s) noexcept {
  switch (s) {
    case file_status::pending:
      return "pending";
    case file_status::done:
      return "done";
    case file_status::failed:
      return "failed";
    case file_status::quarantined:
      return "quarantined";
  }
  return "pending";
}

std::optional<file_status> parse_file_status(std::string_view s) noexcept {
  for (auto st :
       {file_status::pending, file_status::done, file_status::failed, file_status::quarantined}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

namespace {

// Statements as named constants: they key the prepared-statement cache, so each is compiled once
// per connection and reused across files.
// What a repeated event does: it updates the attributes, and only when one differs (so an
// unchanged re-ingest writes nothing).
constexpr std::string_view sql_upsert_event_conflict = R"sql(
ON CONFLICT DO UPDATE SET
  max_concurrent_eng = excluded.max_concurrent_eng,
  agent_group_id = excluded.agent_group_id,
  agent_employee_id = excluded.agent_employee_id,
  agent_username = excluded.agent_username,
  agent_nickname = excluded.agent_nickname,
  agent_loginname = excluded.agent_loginname,
  user_profile_ids = excluded.user_profile_ids,
  updated_at_ms = lpda_count_update(excluded.ingested_at_ms)
WHERE agent_activity_events.max_concurrent_eng IS NOT excluded.max_concurrent_eng
   OR agent_activity_events.agent_group_id IS NOT excluded.agent_group_id
   OR agent_activity_events.agent_employee_id IS NOT excluded.agent_employee_id
   OR agent_activity_events.agent_username IS NOT excluded.agent_username
   OR agent_activity_events.agent_nickname IS NOT excluded.agent_nickname
   OR agent_activity_events.agent_loginname IS NOT excluded.agent_loginname
   OR agent_activity_events.user_profile_ids IS NOT excluded.user_profile_ids
)sql";

// The event upsert for `rows` events: a multi-row VALUES list, so one statement inserts many rows
// in key order through one open cursor — SQLite then finds each row's place from the previous
// one's instead of searching from the root, and runs the statement's setup once per list.
// Parameters: ?1 account, ?2 source file key, ?3 now (ms); then per row r, from 4 + 15 r, the
// event's 15 values in event_columns order.
constexpr int event_columns = 15;
constexpr int events_per_statement = 64;
std::string upsert_events_sql(int rows) {
  std::string sql = R"sql(
INSERT INTO agent_activity_events (
  account_id, agent_session_id, agent_id, timestamp_ms, type, state, prev_state,
  prev_concurrent_eng, concurrent_eng, max_concurrent_eng, agent_group_id, agent_employee_id,
  agent_username, agent_nickname, agent_loginname, user_profile_ids, source_file_key,
  ingested_at_ms, updated_at_ms)
VALUES )sql";
  for (int r = 0; r < rows; ++r) {
    sql += r == 0 ? "(?1" : ",\n(?1";
    for (int c = 0; c < event_columns; ++c)
      sql += ", ?" + std::to_string(4 + r * event_columns + c);
    sql += ", ?2, ?3, NULL)";
  }
  sql += sql_upsert_event_conflict;
  return sql;
}

constexpr std::string_view sql_upsert_agent = R"sql(
INSERT INTO agents (account_id, agent_id, last_event_ms, agent_username, agent_nickname,
                    agent_loginname, agent_employee_id, agent_group_id, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT DO UPDATE SET
  last_event_ms = excluded.last_event_ms,
  agent_username = excluded.agent_username,
  agent_nickname = excluded.agent_nickname,
  agent_loginname = excluded.agent_loginname,
  agent_employee_id = excluded.agent_employee_id,
  agent_group_id = excluded.agent_group_id,
  updated_at_ms = excluded.updated_at_ms
WHERE excluded.last_event_ms >= agents.last_event_ms
)sql";

constexpr std::string_view sql_upsert_session = R"sql(
INSERT INTO agent_sessions (account_id, agent_session_id, agent_id, first_event_ms, last_event_ms,
                            login_ms, logout_ms, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT DO UPDATE SET
  first_event_ms = min(agent_sessions.first_event_ms, excluded.first_event_ms),
  last_event_ms = max(agent_sessions.last_event_ms, excluded.last_event_ms),
  login_ms = coalesce(min(agent_sessions.login_ms, excluded.login_ms), agent_sessions.login_ms,
                      excluded.login_ms),
  logout_ms = coalesce(max(agent_sessions.logout_ms, excluded.logout_ms), agent_sessions.logout_ms,
                       excluded.logout_ms),
  updated_at_ms = excluded.updated_at_ms
)sql";

constexpr std::string_view sql_file_done = R"sql(
INSERT INTO files (account_id, data_type, file_key, name, href, part, scope_start_ms, scope_end_ms,
                   status, bytes, events, events_inserted, attempts, first_seen_ms, updated_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'done', ?9, ?10, ?11, 0, ?12, ?12)
ON CONFLICT DO UPDATE SET
  name = excluded.name, href = excluded.href, part = excluded.part,
  scope_start_ms = excluded.scope_start_ms, scope_end_ms = excluded.scope_end_ms,
  status = 'done', bytes = coalesce(excluded.bytes, files.bytes), events = excluded.events,
  events_inserted = coalesce(files.events_inserted, 0) + excluded.events_inserted,
  updated_ms = excluded.updated_ms
)sql";

constexpr std::string_view sql_file_status = R"sql(
SELECT status, attempts FROM files WHERE account_id = ?1 AND data_type = ?2 AND file_key = ?3
)sql";

constexpr std::string_view sql_file_failed = R"sql(
INSERT INTO files (account_id, data_type, file_key, name, href, part, scope_start_ms, scope_end_ms,
                   status, attempts, last_error_code, last_error, first_seen_ms, updated_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
ON CONFLICT DO UPDATE SET
  name = excluded.name, href = excluded.href, part = excluded.part,
  scope_start_ms = excluded.scope_start_ms, scope_end_ms = excluded.scope_end_ms,
  status = excluded.status, attempts = excluded.attempts,
  last_error_code = excluded.last_error_code, last_error = excluded.last_error,
  updated_ms = excluded.updated_ms
)sql";

constexpr std::string_view sql_watermark = R"sql(
SELECT watermark_ms FROM checkpoints WHERE account_id = ?1 AND data_type = ?2
)sql";

constexpr std::string_view sql_newest_scope_end = R"sql(
SELECT max(scope_end_ms) FROM files WHERE account_id = ?1 AND data_type = ?2
)sql";

// ?5: the watermark the poll started from, or NULL. A stored watermark moved back below it
// meanwhile (reset-watermark, or another process's repair) stays: the poll's end must not undo it.
constexpr std::string_view sql_advance_watermark = R"sql(
INSERT INTO checkpoints (account_id, data_type, watermark_ms, updated_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT DO UPDATE SET watermark_ms = excluded.watermark_ms, updated_ms = excluded.updated_ms
WHERE (?5 IS NULL AND (checkpoints.watermark_ms IS NULL
                       OR excluded.watermark_ms > checkpoints.watermark_ms))
   OR (?5 IS NOT NULL AND checkpoints.watermark_ms >= ?5
       AND excluded.watermark_ms > checkpoints.watermark_ms)
)sql";

constexpr std::string_view sql_reset_watermark = R"sql(
INSERT INTO checkpoints (account_id, data_type, watermark_ms, updated_ms) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT DO UPDATE SET watermark_ms = excluded.watermark_ms, updated_ms = excluded.updated_ms
)sql";

constexpr std::string_view sql_record_poll = R"sql(
INSERT INTO checkpoints (account_id, data_type, last_poll_ms, last_poll_ok, last_success_ms,
                         last_error, last_error_since_ms, updated_ms, server_time_ms, clock_skew_ms)
VALUES (?1, ?2, ?3, ?5 IS NULL, CASE WHEN ?5 IS NULL THEN ?3 END, ?5,
        CASE WHEN ?5 IS NOT NULL THEN ?3 END, ?3, ?6, ?7)
ON CONFLICT DO UPDATE SET
  last_poll_ms = excluded.last_poll_ms, last_poll_ok = excluded.last_poll_ok,
  last_success_ms = coalesce(excluded.last_success_ms, checkpoints.last_success_ms),
  last_error = excluded.last_error,
  last_error_since_ms = CASE
    WHEN excluded.last_error IS NULL THEN NULL
    WHEN checkpoints.last_error IS NOT NULL
      THEN coalesce(checkpoints.last_error_since_ms, excluded.last_error_since_ms)
    ELSE excluded.last_error_since_ms END,
  updated_ms = excluded.updated_ms,
  server_time_ms = excluded.server_time_ms, clock_skew_ms = excluded.clock_skew_ms
)sql";

constexpr std::string_view sql_list_files = R"sql(
SELECT account_id, data_type, file_key, name, href, part, scope_start_ms, scope_end_ms, status,
       bytes, events, events_inserted, attempts, last_error_code, last_error, first_seen_ms,
       updated_ms
FROM files
WHERE (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR status = ?2)
ORDER BY account_id, data_type, scope_start_ms, file_key
)sql";

constexpr std::string_view sql_reset_quarantined = R"sql(
UPDATE files SET status = 'pending', attempts = 0, updated_ms = ?2
WHERE status = 'quarantined' AND (?1 IS NULL OR account_id = ?1)
)sql";

constexpr std::string_view sql_status = R"sql(
WITH keys AS (
  SELECT account_id, data_type FROM checkpoints
  UNION
  SELECT DISTINCT account_id, data_type FROM files
)
SELECT k.account_id, k.data_type, c.watermark_ms, c.last_poll_ms, c.last_success_ms,
       c.server_time_ms, c.clock_skew_ms,
       (SELECT count(*) FROM files f WHERE f.account_id = k.account_id AND f.data_type = k.data_type AND f.status = 'pending'),
       (SELECT count(*) FROM files f WHERE f.account_id = k.account_id AND f.data_type = k.data_type AND f.status = 'done'),
       (SELECT count(*) FROM files f WHERE f.account_id = k.account_id AND f.data_type = k.data_type AND f.status = 'failed'),
       (SELECT count(*) FROM files f WHERE f.account_id = k.account_id AND f.data_type = k.data_type AND f.status = 'quarantined'),
       (SELECT coalesce(sum(events_inserted), 0) FROM files f WHERE f.account_id = k.account_id AND f.data_type = k.data_type),
       c.last_error, c.last_error_since_ms
FROM keys k
LEFT JOIN checkpoints c ON c.account_id = k.account_id AND c.data_type = k.data_type
ORDER BY k.account_id, k.data_type
)sql";

// SQLite::Statement binds through int indexes; these keep the conversions in one place.
// Text is bound without a copy (SQLITE_STATIC): the string must outlive the statement's step,
// so temporaries are refused at compile time.
void bind_text(SQLite::Statement& st, int i, const std::string& v) {
  st.bindNoCopy(i, v);
}
void bind_text(SQLite::Statement& st, int i, std::string&& v) = delete;
void bind_int(SQLite::Statement& st, int i, std::int64_t v) {
  st.bind(i, static_cast<std::int64_t>(v));
}
template <class T>
void bind_opt(SQLite::Statement& st, int i, const std::optional<T>& v) {
  if (!v) {
    st.bind(i);
  } else if constexpr (std::is_same_v<T, std::string>) {
    bind_text(st, i, *v);
  } else {
    bind_int(st, i, *v);
  }
}

std::optional<std::int64_t> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

bool is_busy(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

// Resets a statement when leaving a scope, so no statement keeps a read transaction open.
class reset_guard {
 public:
  explicit reset_guard(SQLite::Statement& st) : st_(st) {}
  ~reset_guard() { st_.tryReset(); }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

 private:
  SQLite::Statement& st_;
};

std::string profile_ids_json(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

// Creates a missing database file with exactly `mode` (umask cannot widen it; fchmod narrows
// nothing the caller did not ask for). SQLite later creates -wal and -shm with the main file's
// permission bits. An existing file is left as it is.
void create_with_mode(const std::filesystem::path& path, unsigned mode) {
  const int fd =
      ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) return;
    throw error_exception(error(errc::store_io, "store: cannot create database file " +
                                                    path.string() + ": " + std::strerror(errno)));
  }
  const int rc = ::fchmod(fd, static_cast<mode_t>(mode));
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    throw error_exception(error(errc::store_io, "store: cannot set mode of " + path.string() +
                                                    ": " + std::strerror(saved)));
  }
}

// Bytes an event holds in memory: the object and what its strings and id list allocate.
std::size_t memory_of(const agent_activity_event& e) {
  static const std::size_t in_place = std::string().capacity();  // short-string buffer
  auto heap = [](const std::string& s) { return s.capacity() > in_place ? s.capacity() + 1 : 0; };
  auto heap_opt = [&heap](const std::optional<std::string>& s) { return s ? heap(*s) : 0; };
  return sizeof e + heap(e.agent_session_id) + heap_opt(e.agent_employee_id) +
         heap_opt(e.agent_username) + heap_opt(e.agent_nickname) + heap_opt(e.agent_loginname) +
         (e.user_profile_ids ? e.user_profile_ids->capacity() * sizeof(std::int64_t) : 0);
}

// A statement on SQLite's C API, for the writes an ingest runs per event, agent and session:
// SQLiteCpp's checked wrappers around bind and step cost several per cent of the ingest there.
// Text is bound without a copy, so a bound string must outlive the next run().
class hot_statement {
 public:
  hot_statement(sqlite3* db, std::string_view sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
  }
  ~hot_statement() { sqlite3_finalize(st_); }
  hot_statement(const hot_statement&) = delete;
  hot_statement& operator=(const hot_statement&) = delete;

  void reset() noexcept { sqlite3_reset(st_); }
  void text(int i, const std::string& v) noexcept {
    bind_rc_ |= sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void text(int i, std::string&& v) = delete;
  void integer(int i, std::int64_t v) noexcept { bind_rc_ |= sqlite3_bind_int64(st_, i, v); }
  void null(int i) noexcept { bind_rc_ |= sqlite3_bind_null(st_, i); }
  void opt(int i, const std::optional<std::string>& v) noexcept { v ? text(i, *v) : null(i); }
  void opt(int i, const std::optional<std::int64_t>& v) noexcept { v ? integer(i, *v) : null(i); }

  /// Runs the statement to completion; returns the rows it changed. Throws SQLite::Exception.
  int run() {
    if (bind_rc_ != SQLITE_OK)
      throw SQLite::Exception("cannot bind a parameter of an ingest statement", bind_rc_);
    const int rc = sqlite3_step(st_);
    if (rc != SQLITE_DONE) {
      sqlite3_reset(st_);
      throw SQLite::Exception(db_, rc);
    }
    const int changed = sqlite3_changes(db_);
    sqlite3_reset(st_);
    return changed;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace

struct database::impl {
  settings settings_;
  SQLite::Database db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> cache_;
  // The ingest's statements, prepared on first use and kept for the connection.
  std::unique_ptr<hot_statement> upsert_event_;             // one row
  std::unique_ptr<hot_statement> upsert_events_;            // events_per_statement rows
  std::array<std::string, events_per_statement> profiles_;  // bound userProfileIDs texts
  std::unique_ptr<hot_statement> upsert_agent_;
  std::unique_ptr<hot_statement> upsert_session_;
  std::vector<agent_activity_event> batch_;  // what the source last handed over
  std::vector<agent_activity_event> run_;    // the events gathered for the next sorted run
  struct sort_key {
    std::int64_t timestamp_ms;
    std::int64_t agent_id;
    std::uint32_t index;  // into the run
  };
  std::vector<sort_key> order_;
  // Attribute updates done by the event upsert, counted by lpda_count_update(): a step that
  // changed one row either inserted it or updated its attributes, and only the update calls the
  // function — cheaper than a RETURNING clause, which costs a third of the insert rate.
  std::uint64_t attribute_updates_ = 0;

  static void count_update(sqlite3_context* ctx, int, sqlite3_value** argv) {
    ++static_cast<impl*>(sqlite3_user_data(ctx))->attribute_updates_;
    sqlite3_result_value(ctx, argv[0]);
  }

  impl(settings s, int flags)
      : settings_(std::move(s)),
        db_(settings_.path, flags, static_cast<int>(settings_.busy_timeout.count())) {}

  SQLite::Statement& stmt(std::string_view sql) {
    auto& slot = cache_[sql.data()];
    if (!slot) slot = std::make_unique<SQLite::Statement>(db_, std::string(sql));
    slot->reset();
    return *slot;
  }

  error sqlite_error(const SQLite::Exception& e, std::string_view what) const {
    return error(is_busy(e) ? errc::store_busy : errc::store_io,
                 "store " + settings_.path.string() + ": " + std::string(what) + ": " + e.what());
  }

  void sleep_backoff(std::chrono::milliseconds& backoff) const {
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, settings_.busy_backoff_max);
  }

  // Runs `body` in one BEGIN IMMEDIATE transaction; on SQLITE_BUSY the whole transaction is
  // rolled back (by the Transaction destructor) and run again after a backoff, up to the bound.
  template <class F>
  auto write(std::string_view what, F&& body) -> result<std::invoke_result_t<F&>> {
    using T = std::invoke_result_t<F&>;
    auto backoff = settings_.busy_backoff;
    for (int attempt = 0;; ++attempt) {
      try {
        SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
        if constexpr (std::is_void_v<T>) {
          body();
          tx.commit();
          return {};
        } else {
          T v = body();
          tx.commit();
          return v;
        }
      } catch (const SQLite::Exception& e) {
        if (is_busy(e) && attempt < settings_.busy_retries) {
          sleep_backoff(backoff);
          continue;
        }
        return sqlite_error(e, what);
      }
    }
  }

  template <class F>
  auto read(std::string_view what, F&& body) -> result<std::invoke_result_t<F&>> {
    auto backoff = settings_.busy_backoff;
    for (int attempt = 0;; ++attempt) {
      try {
        if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
          body();
          return {};
        } else {
          return body();
        }
      } catch (const SQLite::Exception& e) {
        if (is_busy(e) && attempt < settings_.busy_retries) {
          sleep_backoff(backoff);
          continue;
        }
        return sqlite_error(e, what);
      }
    }
  }

  int user_version() { return db_.execAndGet("PRAGMA user_version").getInt(); }

  void migrate() {
    for (const auto& m : migrations()) {
      // A current schema needs no write lock: readers (status, report) must not wait on, or
      // be refused by, a writer's long transaction just to learn nothing is to migrate.
      if (user_version() >= m.version) continue;
      auto r = write("migration " + std::to_string(m.version), [&] {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        if (user_version() >= m.version) return;
        db_.exec(std::string(m.sql));
        db_.exec("PRAGMA user_version = " + std::to_string(m.version));
      });
      if (!r) throw error_exception(r.error());
    }
  }

  struct session_acc {
    const std::string* id;  // points into the run
    std::int64_t agent_id;
    std::int64_t first_ms;
    std::int64_t last_ms;
    std::optional<std::int64_t> login_ms;
    std::optional<std::int64_t> logout_ms;
  };

  std::unordered_map<std::int64_t, std::uint32_t> latest_;      // agent id → its latest event
  std::unordered_map<std::string_view, session_acc> sessions_;  // session id → its extent
  std::vector<std::pair<std::int64_t, std::uint32_t>> agent_rows_;
  std::vector<const session_acc*> session_rows_;

  // Binds `e` as row `row` of an event upsert (see upsert_events_sql).
  void bind_event(hot_statement& st, int row, const agent_activity_event& e) {
    const int p = 4 + row * event_columns;
    st.text(p, e.agent_session_id);
    st.integer(p + 1, e.agent_id);
    st.integer(p + 2, e.timestamp_ms);
    st.integer(p + 3, e.type);
    st.integer(p + 4, e.state);
    st.integer(p + 5, e.prev_state);
    st.integer(p + 6, e.prev_concurrent_eng);
    st.integer(p + 7, e.concurrent_eng);
    st.opt(p + 8, e.max_concurrent_eng);
    st.opt(p + 9, e.agent_group_id);
    st.opt(p + 10, e.agent_employee_id);
    st.opt(p + 11, e.agent_username);
    st.opt(p + 12, e.agent_nickname);
    st.opt(p + 13, e.agent_loginname);
    if (e.user_profile_ids) {
      auto& text = profiles_[static_cast<std::size_t>(row)];
      text = profile_ids_json(*e.user_profile_ids);
      st.text(p + 14, text);
    } else {
      st.null(p + 14);
    }
  }

  // Writes one run of events (a file's events, up to `settings::sort_run_events` at a time):
  // the events in key order, then each agent's latest attributes and each session's extent, once
  // per run and in key order — neighbouring writes touch the same B-tree pages.
  void store_run(const std::string& account, const std::string& file_key, std::int64_t now_ms,
                 const std::vector<agent_activity_event>& run, ingest_summary& sum) {
    if (!upsert_event_) {
      upsert_event_ = std::make_unique<hot_statement>(db_.getHandle(), upsert_events_sql(1));
      upsert_events_ =
          std::make_unique<hot_statement>(db_.getHandle(), upsert_events_sql(events_per_statement));
      upsert_agent_ = std::make_unique<hot_statement>(db_.getHandle(), sql_upsert_agent);
      upsert_session_ = std::make_unique<hot_statement>(db_.getHandle(), sql_upsert_session);
    }
    for (auto* st : {upsert_event_.get(), upsert_events_.get()}) {
      st->text(1, account);
      st->text(2, file_key);
      st->integer(3, now_ms);
    }
    latest_.clear();
    sessions_.clear();
    // The key leads with the timestamp, then the agent; the sort compares a compact copy of
    // those (the events themselves are too large to compare in cache), ties in run order.
    order_.resize(run.size());
    for (std::size_t i = 0; i < run.size(); ++i)
      order_[i] = sort_key{run[i].timestamp_ms, run[i].agent_id, static_cast<std::uint32_t>(i)};
    std::sort(order_.begin(), order_.end(), [](const sort_key& a, const sort_key& b) {
      return std::tie(a.timestamp_ms, a.agent_id, a.index) <
             std::tie(b.timestamp_ms, b.agent_id, b.index);
    });
    const auto updates_before = attribute_updates_;
    std::uint64_t changed_rows = 0;
    std::size_t next = 0;
    for (; next + events_per_statement <= order_.size(); next += events_per_statement) {
      for (int r = 0; r < events_per_statement; ++r)
        bind_event(*upsert_events_, r, run[order_[next + static_cast<std::size_t>(r)].index]);
      changed_rows += static_cast<std::uint64_t>(upsert_events_->run());
    }
    for (; next < order_.size(); ++next) {
      bind_event(*upsert_event_, 0, run[order_[next].index]);
      changed_rows += static_cast<std::uint64_t>(upsert_event_->run());
    }
    sum.events_read += run.size();
    sum.events_inserted += changed_rows - (attribute_updates_ - updates_before);

    // Per agent its latest event, per session its extent, in run order: a document holds one
    // session of one agent, so its events are neighbours and reuse the previous lookup.
    session_acc* session = nullptr;
    std::int64_t agent_id = 0;
    std::uint32_t* latest = nullptr;
    for (std::uint32_t i = 0; i < run.size(); ++i) {
      const auto& e = run[i];
      // Latest event per agent; on a tie the one later in the run (and file) wins.
      if (latest == nullptr || agent_id != e.agent_id) {
        agent_id = e.agent_id;
        latest = &latest_.try_emplace(agent_id, i).first->second;
      }
      if (run[*latest].timestamp_ms <= e.timestamp_ms) *latest = i;
      if (session == nullptr || *session->id != e.agent_session_id) {
        session =
            &sessions_
                 .try_emplace(
                     e.agent_session_id,
                     session_acc{
                         &e.agent_session_id, e.agent_id, e.timestamp_ms, e.timestamp_ms, {}, {}})
                 .first->second;
      }
      session->first_ms = std::min(session->first_ms, e.timestamp_ms);
      session->last_ms = std::max(session->last_ms, e.timestamp_ms);
      if (e.type == 3)
        session->login_ms = std::min(session->login_ms.value_or(e.timestamp_ms), e.timestamp_ms);
      if (e.type == 4)
        session->logout_ms = std::max(session->logout_ms.value_or(e.timestamp_ms), e.timestamp_ms);
    }

    // Agents before sessions: agent_sessions references agents.
    agent_rows_.assign(latest_.begin(), latest_.end());
    std::sort(agent_rows_.begin(), agent_rows_.end());
    auto& ag = *upsert_agent_;
    ag.text(1, account);
    ag.integer(9, now_ms);
    for (const auto& [id, index] : agent_rows_) {
      const auto& e = run[index];
      ag.integer(2, id);
      ag.integer(3, e.timestamp_ms);
      ag.opt(4, e.agent_username);
      ag.opt(5, e.agent_nickname);
      ag.opt(6, e.agent_loginname);
      ag.opt(7, e.agent_employee_id);
      ag.opt(8, e.agent_group_id);
      ag.run();
    }

    session_rows_.clear();
    for (const auto& [id, acc] : sessions_) session_rows_.push_back(&acc);
    std::sort(session_rows_.begin(), session_rows_.end(),
              [](const session_acc* a, const session_acc* b) { return *a->id < *b->id; });
    auto& se = *upsert_session_;
    se.text(1, account);
    se.integer(8, now_ms);
    for (const session_acc* acc : session_rows_) {
      se.text(2, *acc->id);
      se.integer(3, acc->agent_id);
      se.integer(4, acc->first_ms);
      se.integer(5, acc->last_ms);
      se.opt(6, acc->login_ms);
      se.opt(7, acc->logout_ms);
      se.run();
    }
  }
};

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

database database::open(const settings& s) {
  if ((s.file_mode & ~0777U) != 0 || (s.file_mode & 0007U) != 0) {
    throw error_exception(
        error(errc::config_invalid, "store: file_mode must not give permissions to others (got " +
                                        std::to_string(s.file_mode) + " decimal)"));
  }
  create_with_mode(s.path, s.file_mode);
  std::unique_ptr<impl> p;
  try {
    // NOMUTEX: one thread owns the connection (see the class comment), so SQLite's own
    // per-call locking is pure overhead.
    p = std::make_unique<impl>(s, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
    p->db_.createFunction("lpda_count_update", 1, false, p.get(), &impl::count_update);
    // Refuse a newer schema before anything writes to the file (journal_mode=WAL would).
    const int found = p->user_version();
    if (found < 0) {
      throw error_exception(error(
          errc::store_schema, "store " + s.path.string() + ": database schema version " +
                                  std::to_string(found) +
                                  " is not one lpda-sync writes; is this an lpda-sync database?"));
    }
    if (found > latest_schema_version()) {
      throw error_exception(error(
          errc::store_schema, "store " + s.path.string() + ": database schema version " +
                                  std::to_string(found) + " is newer than this lpda-sync knows (" +
                                  std::to_string(latest_schema_version()) +
                                  "); use a newer lpda-sync or another database file"));
    }
    // A new, empty file gets 8 KiB pages (only possible before WAL is on and a table exists):
    // events are ~200-byte rows inserted in key order within an hour, and larger pages mean
    // fewer splits and a shallower tree — measured ~10 % faster upserts than 4 KiB.
    if (found == 0 && p->db_.execAndGet("SELECT count(*) FROM sqlite_master").getInt() == 0) {
      p->db_.exec("PRAGMA page_size = 8192");
    }
    if (p->db_.execAndGet("PRAGMA journal_mode = WAL").getString() != "wal") {
      throw error_exception(
          error(errc::store_io, "store " + s.path.string() + ": cannot enable WAL mode"));
    }
    // Keep the -wal and -shm files when the connection closes (the WAL is emptied, not
    // deleted): a reader that may not write the directory — a BI tool in the database's group,
    // with `file_mode` 0640 — can open a WAL database only while they exist
    // (https://www.sqlite.org/wal.html#readonly), also while the daemon is stopped.
    int persist_wal = 1;
    sqlite3_file_control(p->db_.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
    p->db_.exec("PRAGMA foreign_keys = ON");
    p->db_.exec("PRAGMA cache_size = -" + std::to_string(s.cache_kib));
    p->db_.exec(s.synchronous == synchronous_mode::full ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL");
    p->migrate();
  } catch (const SQLite::Exception& e) {
    throw error_exception(error(is_busy(e) ? errc::store_busy : errc::store_io,
                                "store " + s.path.string() + ": cannot open: " + e.what()));
  }
  return database(std::move(p));
}

const std::filesystem::path& database::path() const noexcept {
  return impl_->settings_.path;
}

int database::schema_version() {
  try {
    return impl_->user_version();
  } catch (const SQLite::Exception& e) {
    throw error_exception(impl_->sqlite_error(e, "schema version"));
  }
}

result<ingest_summary> database::ingest_file(std::string_view account, std::string_view data_type,
                                             const data_file& file, event_source& events,
                                             std::int64_t now_ms,
                                             std::optional<std::int64_t> file_bytes) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  const auto started = std::chrono::steady_clock::now();
  auto backoff = d.settings_.busy_backoff;
  for (int attempt = 0;; ++attempt) {
    bool consumed = false;
    try {
      SQLite::Transaction tx(d.db_, SQLite::TransactionBehavior::IMMEDIATE);
      consumed = true;
      ingest_summary sum;
      // Batches are gathered into runs of up to sort_run_events events and sort_run_bytes bytes,
      // each written in key order.
      const std::size_t run_cap = std::max<std::size_t>(1, d.settings_.sort_run_events);
      d.run_.clear();
      std::size_t run_bytes = 0;
      for (bool more_events = true; more_events;) {
        auto more = events.next_batch(d.batch_);
        if (!more) return more.error();
        more_events = *more;
        for (auto& e : d.batch_) {
          run_bytes += memory_of(e);
          d.run_.push_back(std::move(e));
        }
        d.batch_.clear();
        if (!d.run_.empty() &&
            (!more_events || d.run_.size() >= run_cap || run_bytes >= d.settings_.sort_run_bytes)) {
          d.store_run(acc, file.key, now_ms, d.run_, sum);
          d.run_.clear();
          run_bytes = 0;
        }
      }
      sum.events_updated = sum.events_read - sum.events_inserted;

      auto& f = d.stmt(sql_file_done);
      reset_guard g(f);
      bind_text(f, 1, acc);
      bind_text(f, 2, type);
      bind_text(f, 3, file.key);
      bind_text(f, 4, file.name);
      bind_text(f, 5, file.href);
      bind_int(f, 6, file.part);
      bind_int(f, 7, file.scope_start_ms);
      bind_int(f, 8, file.scope_end_ms);
      bind_opt(f, 9, file_bytes);
      bind_int(f, 10, static_cast<std::int64_t>(sum.events_read));
      bind_int(f, 11, static_cast<std::int64_t>(sum.events_inserted));
      bind_int(f, 12, now_ms);
      f.exec();
      tx.commit();
      sum.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
      return sum;
    } catch (const SQLite::Exception& e) {
      // Once events were taken from the source they cannot be replayed: report, the caller
      // retries the file later. Before that, the whole transaction is simply run again.
      if (is_busy(e) && !consumed && attempt < d.settings_.busy_retries) {
        d.sleep_backoff(backoff);
        continue;
      }
      return d.sqlite_error(e, "ingest of file " + file.key);
    }
  }
}

result<std::optional<file_status>> database::status_of(std::string_view account,
                                                       std::string_view data_type,
                                                       std::string_view file_key) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  const std::string key(file_key);
  return d.read("status of file " + std::string(file_key), [&]() -> std::optional<file_status> {
    auto& st = d.stmt(sql_file_status);
    reset_guard g(st);
    bind_text(st, 1, acc);
    bind_text(st, 2, type);
    bind_text(st, 3, key);
    if (!st.executeStep()) return std::nullopt;
    return parse_file_status(st.getColumn(0).getString());
  });
}

result<file_status> database::record_failure(std::string_view account, std::string_view data_type,
                                             const data_file& file, const lpda::error& err,
                                             int quarantine_after, std::int64_t now_ms,
                                             int* attempts_out) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  return d.write("failure of file " + file.key, [&]() -> file_status {
    std::optional<file_status> current;
    int attempts = 0;
    {
      auto& st = d.stmt(sql_file_status);
      reset_guard g(st);
      bind_text(st, 1, acc);
      bind_text(st, 2, type);
      bind_text(st, 3, file.key);
      if (st.executeStep()) {
        current = parse_file_status(st.getColumn(0).getString());
        attempts = st.getColumn(1).getInt();
      }
    }
    if (current == file_status::done) return file_status::done;
    ++attempts;
    if (attempts_out) *attempts_out = attempts;
    const auto next =
        (current == file_status::quarantined || attempts >= std::max(1, quarantine_after))
            ? file_status::quarantined
            : file_status::failed;
    const std::string code =
        std::string(err.code.category().name()) + ":" + std::to_string(err.code.value());
    const std::string message = err.what();
    auto& up = d.stmt(sql_file_failed);
    reset_guard g(up);
    bind_text(up, 1, acc);
    bind_text(up, 2, type);
    bind_text(up, 3, file.key);
    bind_text(up, 4, file.name);
    bind_text(up, 5, file.href);
    bind_int(up, 6, file.part);
    bind_int(up, 7, file.scope_start_ms);
    bind_int(up, 8, file.scope_end_ms);
    const std::string status_text(to_string(next));
    bind_text(up, 9, status_text);
    bind_int(up, 10, attempts);
    bind_text(up, 11, code);
    bind_text(up, 12, message);
    bind_int(up, 13, now_ms);
    up.exec();
    return next;
  });
}

result<std::vector<file_record>> database::list_files(std::optional<std::string_view> account,
                                                      std::optional<file_status> status) {
  auto& d = *impl_;
  const std::string acc = account ? std::string(*account) : std::string();
  const std::string status_text = status ? std::string(to_string(*status)) : std::string();
  return d.read("list of files", [&] {
    std::vector<file_record> out;
    auto& st = d.stmt(sql_list_files);
    reset_guard g(st);
    if (account)
      bind_text(st, 1, acc);
    else
      st.bind(1);
    if (status)
      bind_text(st, 2, status_text);
    else
      st.bind(2);
    while (st.executeStep()) {
      file_record r;
      r.account_id = st.getColumn(0).getString();
      r.data_type = st.getColumn(1).getString();
      r.key = st.getColumn(2).getString();
      r.name = st.getColumn(3).getString();
      r.href = st.getColumn(4).getString();
      r.part = st.getColumn(5).getInt();
      r.scope_start_ms = st.getColumn(6).getInt64();
      r.scope_end_ms = st.getColumn(7).getInt64();
      r.status = parse_file_status(st.getColumn(8).getString()).value_or(file_status::pending);
      r.bytes = opt_int(st.getColumn(9));
      r.events = opt_int(st.getColumn(10));
      r.events_inserted = opt_int(st.getColumn(11));
      r.attempts = st.getColumn(12).getInt();
      r.last_error_code = opt_text(st.getColumn(13));
      r.last_error = opt_text(st.getColumn(14));
      r.first_seen_ms = st.getColumn(15).getInt64();
      r.updated_ms = st.getColumn(16).getInt64();
      out.push_back(std::move(r));
    }
    return out;
  });
}

result<int> database::reset_quarantined(std::optional<std::string_view> account,
                                        std::int64_t now_ms) {
  auto& d = *impl_;
  const std::string acc = account ? std::string(*account) : std::string();
  return d.write("reset of quarantined files", [&] {
    auto& st = d.stmt(sql_reset_quarantined);
    reset_guard g(st);
    if (account)
      bind_text(st, 1, acc);
    else
      st.bind(1);
    bind_int(st, 2, now_ms);
    return st.exec();
  });
}

namespace {

// One optional integer read by (account, data type): `sql` binds them as ?1 and ?2.
template <class Impl>
result<std::optional<std::int64_t>> read_int_of(Impl& d, const char* what, std::string_view sql,
                                                std::string_view account,
                                                std::string_view data_type) {
  const std::string acc(account);
  const std::string type(data_type);
  return d.read(what, [&]() -> std::optional<std::int64_t> {
    auto& st = d.stmt(sql);
    reset_guard g(st);
    bind_text(st, 1, acc);
    bind_text(st, 2, type);
    if (!st.executeStep()) return std::nullopt;
    return opt_int(st.getColumn(0));
  });
}

}  // namespace

result<std::optional<std::int64_t>> database::watermark(std::string_view account,
                                                        std::string_view data_type) {
  return read_int_of(*impl_, "watermark", sql_watermark, account, data_type);
}

result<std::optional<std::int64_t>> database::newest_scope_end(std::string_view account,
                                                               std::string_view data_type) {
  return read_int_of(*impl_, "newest_scope_end", sql_newest_scope_end, account, data_type);
}

result<std::int64_t> database::advance_watermark(std::string_view account,
                                                 std::string_view data_type,
                                                 std::int64_t watermark_ms, std::int64_t now_ms,
                                                 std::optional<std::int64_t> polled_from_ms) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  return d.write("watermark advance", [&] {
    {
      auto& st = d.stmt(sql_advance_watermark);
      reset_guard g(st);
      bind_text(st, 1, acc);
      bind_text(st, 2, type);
      bind_int(st, 3, watermark_ms);
      bind_int(st, 4, now_ms);
      bind_opt(st, 5, polled_from_ms);
      st.exec();
    }
    auto& q = d.stmt(sql_watermark);
    reset_guard g(q);
    bind_text(q, 1, acc);
    bind_text(q, 2, type);
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

result<void> database::reset_watermark(std::string_view account, std::string_view data_type,
                                       std::optional<std::int64_t> watermark_ms,
                                       std::int64_t now_ms) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  return d.write("watermark reset", [&] {
    auto& st = d.stmt(sql_reset_watermark);
    reset_guard g(st);
    bind_text(st, 1, acc);
    bind_text(st, 2, type);
    bind_opt(st, 3, watermark_ms);
    bind_int(st, 4, now_ms);
    st.exec();
  });
}

result<void> database::record_poll(std::string_view account, std::string_view data_type,
                                   const std::optional<std::string>& error, std::int64_t now_ms,
                                   std::optional<clock_reading> clocks) {
  auto& d = *impl_;
  const std::string acc(account);
  const std::string type(data_type);
  return d.write("poll record", [&] {
    auto& st = d.stmt(sql_record_poll);
    reset_guard g(st);
    bind_text(st, 1, acc);
    bind_text(st, 2, type);
    bind_int(st, 3, now_ms);
    if (error)
      bind_text(st, 5, *error);
    else
      st.bind(5);
    std::optional<std::int64_t> server_time, skew;
    if (clocks) {
      server_time = clocks->server_time_ms;
      skew = clocks->clock_skew_ms;
    }
    bind_opt(st, 6, server_time);
    bind_opt(st, 7, skew);
    st.exec();
  });
}

result<std::vector<account_status>> database::status(std::int64_t now_ms) {
  auto& d = *impl_;
  return d.read("status", [&] {
    std::vector<account_status> out;
    auto& st = d.stmt(sql_status);
    reset_guard g(st);
    while (st.executeStep()) {
      account_status a;
      a.account_id = st.getColumn(0).getString();
      a.data_type = st.getColumn(1).getString();
      a.watermark_ms = opt_int(st.getColumn(2));
      a.last_poll_ms = opt_int(st.getColumn(3));
      a.last_success_ms = opt_int(st.getColumn(4));
      if (a.watermark_ms) a.lag_ms = now_ms - *a.watermark_ms;
      a.server_time_ms = opt_int(st.getColumn(5));
      a.clock_skew_ms = opt_int(st.getColumn(6));
      a.files_pending = st.getColumn(7).getInt64();
      a.files_done = st.getColumn(8).getInt64();
      a.files_failed = st.getColumn(9).getInt64();
      a.files_quarantined = st.getColumn(10).getInt64();
      a.events_stored = st.getColumn(11).getInt64();
      if (!st.getColumn(12).isNull()) a.last_error = st.getColumn(12).getString();
      a.last_error_since_ms = opt_int(st.getColumn(13));
      out.push_back(std::move(a));
    }
    return out;
  });
}

}  // namespace lpda::store
