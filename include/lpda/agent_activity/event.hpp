#pragma once
/// The Agent Activity event: one state change of one agent session, as published by LivePerson's
/// Data Access API (method page "Agent Activity", developers.liveperson.com
/// /data-data-access-agent-activity.html; field table and JSON example).
#include "lpda/core/record_source.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lpda::agent_activity {

/// One decoded event. Natural-key fields are never null: a null `type`, `state`, `prev_state`,
/// `prev_concurrent_eng` or `concurrent_eng` becomes -1 (LivePerson's "Unknown"), because SQLite
/// treats NULLs in a unique key as distinct. Times are epoch milliseconds, UTC.
struct event {
  // natural key (with the account id, which the caller knows)
  std::string agent_session_id;       ///< header.agentSessionId, e.g. "75555851-684867733"
  std::int64_t agent_id = 0;          ///< agentID
  std::int64_t timestamp_ms = 0;      ///< timestamp: epoch ms UTC of the state change
  std::int64_t type = -1;             ///< -1 Unknown, 1 Chat, 3 Login, 4 Logout; others occur (2)
  std::int64_t state = -1;            ///< -1 Unknown, 0 Irrelevant, 1 Offline, 2 Online, 3 Back Soon, 4 Away
  std::int64_t prev_state = -1;       ///< same enum as state
  std::int64_t prev_concurrent_eng = -1;  ///< chats handled before the change
  std::int64_t concurrent_eng = -1;       ///< chats handled at the change

  // attributes (null in the file → std::nullopt)
  std::optional<std::int64_t> max_concurrent_eng;  ///< -9 on login/logout
  std::optional<std::int64_t> agent_group_id;
  std::optional<std::string> agent_employee_id;  ///< string or number in files, kept as text
  std::optional<std::string> agent_username;
  std::optional<std::string> agent_nickname;
  std::optional<std::string> agent_loginname;
  std::optional<std::vector<std::int64_t>> user_profile_ids;  ///< newer schema only

  friend bool operator==(const event&, const event&) = default;
};

/// Agent Activity's record source: batches of `event`.
using event_source = typed_record_source<event>;

}  // namespace lpda::agent_activity
