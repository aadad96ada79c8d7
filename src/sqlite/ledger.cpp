// The ledger (`files`) and the checkpoints of the SQLite store: every operation one transaction
// (or one read) on the writer's connection, with the busy retry of connection.hpp.
#include "lpda/sqlite/database.hpp"

#include "database_impl.hpp"

#include <string>

namespace lpda::sqlite {

using namespace detail;

namespace {

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

}  // namespace

result<std::optional<store::file_status>> database::status_of(std::string_view account,
                                                              std::string_view data_type,
                                                              std::string_view file_key) {
  auto& d = impl_->conn_;
  const std::string acc(account);
  const std::string type(data_type);
  const std::string key(file_key);
  return d.read("status of file " + std::string(file_key),
                [&]() -> std::optional<store::file_status> {
                  auto& st = d.stmt(sql_file_status);
                  reset_guard g(st);
                  bind_text(st, 1, acc);
                  bind_text(st, 2, type);
                  bind_text(st, 3, key);
                  if (!st.executeStep()) return std::nullopt;
                  return store::parse_file_status(st.getColumn(0).getString());
                });
}

result<store::file_status> database::record_failure(std::string_view account,
                                                    std::string_view data_type,
                                                    const data_file& file, const lpda::error& err,
                                                    int quarantine_after, std::int64_t now_ms,
                                                    int* attempts_out) {
  auto& d = impl_->conn_;
  const std::string acc(account);
  const std::string type(data_type);
  return d.write("failure of file " + file.key, [&]() -> store::file_status {
    std::optional<store::file_status> current;
    int attempts = 0;
    {
      auto& st = d.stmt(sql_file_status);
      reset_guard g(st);
      bind_text(st, 1, acc);
      bind_text(st, 2, type);
      bind_text(st, 3, file.key);
      if (st.executeStep()) {
        current = store::parse_file_status(st.getColumn(0).getString());
        attempts = st.getColumn(1).getInt();
      }
    }
    if (current == store::file_status::done) return store::file_status::done;
    ++attempts;
    if (attempts_out) *attempts_out = attempts;
    const auto next =
        (current == store::file_status::quarantined || attempts >= std::max(1, quarantine_after))
            ? store::file_status::quarantined
            : store::file_status::failed;
    const std::string code =
        std::string(err.code.category().name()) + ":" + std::to_string(err.code.value());
    const std::string message = err.what();
    auto& up = d.stmt(sql_file_failed);
    reset_guard g(up);
    bind_file(up, acc, type, file);
    const std::string status_text(store::to_string(next));
    bind_text(up, 9, status_text);
    bind_int(up, 10, attempts);
    bind_text(up, 11, code);
    bind_text(up, 12, message);
    bind_int(up, 13, now_ms);
    up.exec();
    return next;
  });
}

result<std::vector<store::file_record>> database::list_files(
    std::optional<std::string_view> account, std::optional<store::file_status> status) {
  auto& d = impl_->conn_;
  const std::string acc = account ? std::string(*account) : std::string();
  const std::string status_text = status ? std::string(store::to_string(*status)) : std::string();
  return d.read("list of files", [&] {
    std::vector<store::file_record> out;
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
      store::file_record r;
      r.account_id = st.getColumn(0).getString();
      r.data_type = st.getColumn(1).getString();
      r.key = st.getColumn(2).getString();
      r.name = st.getColumn(3).getString();
      r.href = st.getColumn(4).getString();
      r.part = st.getColumn(5).getInt();
      r.scope_start_ms = st.getColumn(6).getInt64();
      r.scope_end_ms = st.getColumn(7).getInt64();
      r.status = store::parse_file_status(st.getColumn(8).getString())
                     .value_or(store::file_status::pending);
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
  auto& d = impl_->conn_;
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
result<std::optional<std::int64_t>> read_int_of(connection& d, const char* what,
                                                std::string_view sql, std::string_view account,
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
  return read_int_of(impl_->conn_, "watermark", sql_watermark, account, data_type);
}

result<std::optional<std::int64_t>> database::newest_scope_end(std::string_view account,
                                                               std::string_view data_type) {
  return read_int_of(impl_->conn_, "newest_scope_end", sql_newest_scope_end, account, data_type);
}

result<std::int64_t> database::advance_watermark(std::string_view account,
                                                 std::string_view data_type,
                                                 std::int64_t watermark_ms, std::int64_t now_ms,
                                                 std::optional<std::int64_t> polled_from_ms) {
  auto& d = impl_->conn_;
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
  auto& d = impl_->conn_;
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
                                   std::optional<store::clock_reading> clocks) {
  auto& d = impl_->conn_;
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

result<std::vector<store::account_status>> database::status(std::int64_t now_ms) {
  auto& d = impl_->conn_;
  return d.read("status", [&] {
    std::vector<store::account_status> out;
    auto& st = d.stmt(sql_status);
    reset_guard g(st);
    while (st.executeStep()) {
      store::account_status a;
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

}  // namespace lpda::sqlite
