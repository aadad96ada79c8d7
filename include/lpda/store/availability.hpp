#pragma once
/// The read behind `lpda-sync report availability`, part of the store interface: Agent
/// Activity's availability per agent and UTC day — logged-in, online, away and back-soon time
/// and chats (semantics in DESIGN.md "Availability semantics" and docs/schema.md) — as rows,
/// read through `availability_reader` from whichever store holds them (SQLite:
/// lpda/agent_activity/sqlite/availability.hpp). No SQL here.
#include "lpda/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lpda::store {

/// Which rows to report. Times are epoch ms UTC; days are whole UTC days.
struct availability_query {
  std::optional<std::string> account_id;  ///< nullopt: every account
  /// Keep the days that end after `from_ms` (the UTC day containing `from_ms` is included).
  std::optional<std::int64_t> from_ms;
  /// Keep the days that start before `to_ms` (exclusive: a `to_ms` at midnight excludes that day).
  std::optional<std::int64_t> to_ms;
};

/// One agent on one UTC day. Durations in ms.
struct availability_row {
  std::string account_id;
  std::int64_t agent_id = 0;
  std::optional<std::string> agent_username;  ///< from `agents` (latest event's attributes)
  std::optional<std::string> agent_nickname;
  std::string day_utc;            ///< "YYYY-MM-DD"
  std::int64_t day_start_ms = 0;  ///< the day's midnight UTC, epoch ms
  std::int64_t logged_in_ms = 0;
  std::int64_t online_ms = 0;
  std::int64_t away_ms = 0;
  std::int64_t back_soon_ms = 0;
  std::int64_t chats = 0;
  bool operator==(const availability_row&) const = default;
};

/// A read-only view of a store for the availability report.
class availability_reader {
 public:
  virtual ~availability_reader() = default;
  /// The rows matching `query`, ordered by account, day, agent id. Errors: `errc::store_schema`
  /// when the store has no availability data (a database older than the views);
  /// `errc::store_io` for other store failures. Messages name the store.
  virtual result<std::vector<availability_row>> availability(const availability_query& query) = 0;
};

}  // namespace lpda::store
