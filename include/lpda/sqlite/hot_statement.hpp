#pragma once
/// A statement on SQLite's C API for the writes an ingest runs per record: SQLiteCpp's checked
/// wrappers around bind and step cost several per cent of the ingest there. For data types'
/// writers (lpda/sqlite/data_type.hpp); includes SQLite's headers.
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::sqlite {

/// One prepared statement (SQLITE_PREPARE_PERSISTENT). Text is bound without a copy
/// (SQLITE_STATIC), so a bound string must outlive the next `run()`; temporaries are refused at
/// compile time. Bind failures are collected and reported by `run()`.
class hot_statement {
 public:
  /// Throws SQLite::Exception when `sql` does not compile.
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

}  // namespace lpda::sqlite
