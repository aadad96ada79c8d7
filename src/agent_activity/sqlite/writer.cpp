// Agent Activity's writer for the SQLite store: a file's events upserted on the natural key in
// runs sorted by key, with one write per agent and per session of each run.
#include "lpda/agent_activity/sqlite/store.hpp"

#include "lpda/agent_activity/event.hpp"
#include "lpda/sqlite/hot_statement.hpp"

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lpda::agent_activity::sqlite {
namespace {

using lpda::sqlite::hot_statement;

// Statements as named constants, each prepared once per connection and reused across files.
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

std::string profile_ids_json(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

// Bytes an event holds in memory: the object and what its strings and id list allocate.
std::size_t memory_of(const agent_activity::event& e) {
  static const std::size_t in_place = std::string().capacity();  // short-string buffer
  auto heap = [](const std::string& s) { return s.capacity() > in_place ? s.capacity() + 1 : 0; };
  auto heap_opt = [&heap](const std::optional<std::string>& s) { return s ? heap(*s) : 0; };
  return sizeof e + heap(e.agent_session_id) + heap_opt(e.agent_employee_id) +
         heap_opt(e.agent_username) + heap_opt(e.agent_nickname) + heap_opt(e.agent_loginname) +
         (e.user_profile_ids ? e.user_profile_ids->capacity() * sizeof(std::int64_t) : 0);
}

class writer final : public lpda::sqlite::record_writer {
 public:
  writer(SQLite::Database& db, writer_settings s) : db_(db), settings_(s) {
    db_.createFunction("lpda_count_update", 1, false, this, &writer::count_update);
  }

  result<lpda::sqlite::write_counts> write(const std::string& account, const std::string& file_key,
                                           std::int64_t now_ms, record_source& records) override {
    auto* events = as_typed<agent_activity::event>(records);
    if (events == nullptr)
      return error(errc::config_invalid, "agentActivity writer: file " + file_key +
                                             ": the source yields another data type's records");
    lpda::sqlite::write_counts sum;
    // Batches are gathered into runs of up to sort_run_events events and sort_run_bytes bytes,
    // each written in key order.
    const std::size_t run_cap = std::max<std::size_t>(1, settings_.sort_run_events);
    run_.clear();
    std::size_t run_bytes = 0;
    for (bool more_events = true; more_events;) {
      auto more = events->next_batch(batch_);
      if (!more) return more.error();
      more_events = *more;
      for (auto& e : batch_) {
        run_bytes += memory_of(e);
        run_.push_back(std::move(e));
      }
      batch_.clear();
      if (!run_.empty() &&
          (!more_events || run_.size() >= run_cap || run_bytes >= settings_.sort_run_bytes)) {
        store_run(account, file_key, now_ms, run_, sum);
        run_.clear();
        run_bytes = 0;
      }
    }
    return sum;
  }

 private:
  SQLite::Database& db_;
  writer_settings settings_;
  // The statements, prepared on first use and kept for the connection.
  std::unique_ptr<hot_statement> upsert_event_;             // one row
  std::unique_ptr<hot_statement> upsert_events_;            // events_per_statement rows
  std::array<std::string, events_per_statement> profiles_;  // bound userProfileIDs texts
  std::unique_ptr<hot_statement> upsert_agent_;
  std::unique_ptr<hot_statement> upsert_session_;
  std::vector<agent_activity::event> batch_;  // what the source last handed over
  std::vector<agent_activity::event> run_;    // the events gathered for the next sorted run
  struct sort_key {
    std::string_view session;  // into the run
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
    ++static_cast<writer*>(sqlite3_user_data(ctx))->attribute_updates_;
    sqlite3_result_value(ctx, argv[0]);
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
  void bind_event(hot_statement& st, int row, const agent_activity::event& e) {
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

  // Writes one run of events (a file's events, up to `writer_settings::sort_run_events` at a time):
  // the events in key order, then each agent's latest attributes and each session's extent, once
  // per run and in key order — neighbouring writes touch the same B-tree pages.
  void store_run(const std::string& account, const std::string& file_key, std::int64_t now_ms,
                 const std::vector<agent_activity::event>& run, lpda::sqlite::write_counts& sum) {
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
    // The key leads with the session (the account is the run's), then the timestamp and the
    // agent; the sort compares a compact copy of those (the events themselves are too large to
    // compare in cache), ties in run order. A file's documents are sessions whose events mostly
    // come in time order, so the sort mostly orders whole sessions.
    order_.resize(run.size());
    for (std::size_t i = 0; i < run.size(); ++i)
      order_[i] = sort_key{run[i].agent_session_id, run[i].timestamp_ms, run[i].agent_id,
                           static_cast<std::uint32_t>(i)};
    std::sort(order_.begin(), order_.end(), [](const sort_key& a, const sort_key& b) {
      return std::tie(a.session, a.timestamp_ms, a.agent_id, a.index) <
             std::tie(b.session, b.timestamp_ms, b.agent_id, b.index);
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
    sum.read += run.size();
    sum.inserted += changed_rows - (attribute_updates_ - updates_before);

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

}  // namespace

lpda::sqlite::data_type_store data_type(writer_settings s) {
  lpda::sqlite::data_type_store t;
  t.data_type = "agentActivity";
  t.schema = schema();
  t.make_writer = [s](SQLite::Database& db) -> std::unique_ptr<lpda::sqlite::record_writer> {
    return std::make_unique<writer>(db, s);
  };
  return t;
}

}  // namespace lpda::agent_activity::sqlite
