#pragma once
// Private to the sqlite module: the connection with its statement cache, busy retry and error
// mapping, and the binding helpers every part of the store uses.
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/sqlite/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace lpda::sqlite::detail {

// SQLite::Statement binds through int indexes; these keep the conversions in one place.
// Text is bound without a copy (SQLITE_STATIC): the string must outlive the statement's step,
// so temporaries are refused at compile time.
inline void bind_text(SQLite::Statement& st, int i, const std::string& v) {
  st.bindNoCopy(i, v);
}
void bind_text(SQLite::Statement& st, int i, std::string&& v) = delete;
inline void bind_int(SQLite::Statement& st, int i, std::int64_t v) {
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

// Binds ?1..?8 of a ledger row: account, data type, and the file's key, name, href, part and
// scope; the strings must outlive the step.
inline void bind_file(SQLite::Statement& st, const std::string& account,
                      const std::string& data_type, const data_file& file) {
  bind_text(st, 1, account);
  bind_text(st, 2, data_type);
  bind_text(st, 3, file.key);
  bind_text(st, 4, file.name);
  bind_text(st, 5, file.href);
  bind_int(st, 6, file.part);
  bind_int(st, 7, file.scope_start_ms);
  bind_int(st, 8, file.scope_end_ms);
}
void bind_file(SQLite::Statement& st, std::string&& account, const std::string& data_type,
               const data_file& file) = delete;

inline std::optional<std::int64_t> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
inline std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

inline bool is_busy(const SQLite::Exception& e) {
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

// Creates a missing database file with exactly `mode`; an existing file is left as it is.
// Throws error_exception (store_io).
void create_with_mode(const std::filesystem::path& path, unsigned mode);

// Sleeps `backoff`, then doubles it up to `s.busy_backoff_max`: the wait between retries of a
// write, or of an open, that met SQLITE_BUSY.
inline void sleep_backoff(const settings& s, std::chrono::milliseconds& backoff) {
  std::this_thread::sleep_for(backoff);
  backoff = std::min(backoff * 2, s.busy_backoff_max);
}

// The writer's connection: a cache of prepared statements, and transactions retried on
// SQLITE_BUSY within the settings' bound.
class connection {
 public:
  connection(settings s, int flags)
      : settings_(std::move(s)),
        db_(settings_.path, flags, static_cast<int>(settings_.busy_timeout.count())) {}

  const settings& config() const noexcept { return settings_; }
  SQLite::Database& db() noexcept { return db_; }

  // The statement for `sql`, prepared on first use and kept: the text's address keys the
  // cache, so `sql` must be a named constant.
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
    detail::sleep_backoff(settings_, backoff);
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

 private:
  settings settings_;
  SQLite::Database db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> cache_;
};

}  // namespace lpda::sqlite::detail
