#include "mapping.hpp"

#include <array>
#include <utility>

namespace lpda::agent_activity::detail {
namespace {

using decode::node;
using decode::node_info;
using decode::node_kind;
using decode::refusal;
using decode::scalar;

// Positions in a record of `recordCollection`: body.header.agentSessionId and the events of
// body.agentSessionsData (developers.liveperson.com/data-access-api-methods-agent-activity.html,
// "Data Structure").
enum n : node {
  // objects
  record,
  body,
  header,
  event_object,
  // arrays
  sessions,
  profile_ids,
  // scalars
  session_id,
  agent_id,
  timestamp,
  type,
  state,
  prev_state,
  prev_concurrent_eng,
  concurrent_eng,
  max_concurrent_eng,
  agent_group_id,
  employee_id,
  username,
  nickname,
  loginname,
  profile_id,
  count,
};

constexpr node_info object{node_kind::object, {}, decode::skip};
constexpr node_info integer{node_kind::scalar, "an integer", decode::skip};
constexpr node_info string{node_kind::scalar, "a string", decode::skip};
constexpr std::array<node_info, n::count> node_table{{
    object,                                                 // record
    object,                                                 // body
    object,                                                 // header
    object,                                                 // event_object
    {node_kind::array, {}, n::event_object},                // sessions
    {node_kind::array, {}, n::profile_id},                  // profile_ids
    string,                                                 // session_id
    integer,                                                // agent_id
    integer,                                                // timestamp
    integer,                                                // type
    integer,                                                // state
    integer,                                                // prev_state
    integer,                                                // prev_concurrent_eng
    integer,                                                // concurrent_eng
    integer,                                                // max_concurrent_eng
    integer,                                                // agent_group_id
    {node_kind::scalar, "a string or an integer", decode::skip},  // employee_id
    string,                                                 // username
    string,                                                 // nickname
    string,                                                 // loginname
    integer,                                                // profile_id
}};

struct field_name {
  std::string_view name;
  node where;
};
// Event fields (developers.liveperson.com/data-access-api-methods-agent-activity.html, field
// table); matched case-insensitively because the table and the example spell them differently.
constexpr std::array<field_name, 14> event_fields{{
    {"agentID", n::agent_id},
    {"timestamp", n::timestamp},
    {"type", n::type},
    {"state", n::state},
    {"prevState", n::prev_state},
    {"prevConcurrentEng", n::prev_concurrent_eng},
    {"concurrentEng", n::concurrent_eng},
    {"maxConcurrentEng", n::max_concurrent_eng},
    {"agentGroupID", n::agent_group_id},
    {"agentEmployeeId", n::employee_id},
    {"agentUsername", n::username},
    {"agentNickname", n::nickname},
    {"agentLoginname", n::loginname},
    {"userProfileIDs", n::profile_ids},
}};

}  // namespace

std::span<const node_info> mapping::nodes() const {
  return node_table;
}

node mapping::record() const {
  return n::record;
}

node mapping::child(node parent, std::string_view key) const {
  using decode::iequals;
  switch (parent) {
    case n::record:
      if (iequals(key, "body")) return n::body;
      return decode::skip;
    case n::body:
      if (iequals(key, "header")) return n::header;
      if (iequals(key, "agentSessionsData")) return n::sessions;
      return decode::skip;
    case n::header:
      if (iequals(key, "agentSessionId")) return n::session_id;
      return decode::skip;
    case n::event_object:
      for (const auto& f : event_fields) {  // the spelling of the example first, then any case
        if (key == f.name) return f.where;
      }
      for (const auto& f : event_fields) {
        if (iequals(key, f.name)) return f.where;
      }
      return decode::skip;
    default:
      return decode::skip;
  }
}

void mapping::begin_document() {
  session_state_ = field_state::absent;
  session_id_.clear();
  record_events_.clear();
}

void mapping::begin_object(node o) {
  if (o == n::record) {
    begin_document();
  } else if (o == n::event_object) {
    event_ = event{};
    agent_id_state_ = field_state::absent;
    timestamp_state_ = field_state::absent;
  }
}

refusal mapping::end_object(node o) {
  if (o == n::event_object) {
    if (agent_id_state_ != field_state::set) return ".agentID: missing";
    if (timestamp_state_ != field_state::set) return ".timestamp: missing";
    if (session_state_ == field_state::set) {
      event_.agent_session_id = session_id_;
      emit(std::move(event_));
    } else {
      record_events_.push_back(std::move(event_));  // the header may come after the events
    }
  } else if (o == n::record && !record_events_.empty()) {
    if (session_state_ != field_state::set) {
      return ".body.header.agentSessionId: " +
             std::string(session_state_ == field_state::null ? "null" : "missing") +
             " (the record has " + std::to_string(record_events_.size()) + " events)";
    }
    for (auto& e : record_events_) {
      e.agent_session_id = session_id_;
      emit(std::move(e));
    }
    record_events_.clear();
  }
  return std::nullopt;
}

void mapping::begin_array(node a) {
  if (a == n::profile_ids) event_.user_profile_ids.emplace();
}

refusal mapping::assign(node s, const scalar& v) {
  using k = scalar::kind;
  const std::string_view expected = node_table[s].expected;
  auto as_int = [&](std::int64_t& out) { return decode::to_int64(v, expected, out); };
  auto key_field = [&](std::int64_t& field) -> refusal {
    if (v.k == k::null) {
      field = -1;  // LivePerson's "Unknown"; the natural key needs a value (NULLs are distinct)
      return std::nullopt;
    }
    return as_int(field);
  };
  auto attr_int = [&](std::optional<std::int64_t>& field) -> refusal {
    if (v.k == k::null) {
      field.reset();
      return std::nullopt;
    }
    std::int64_t x = 0;
    if (auto r = as_int(x)) return r;
    field = x;
    return std::nullopt;
  };
  auto attr_string = [&](std::optional<std::string>& field) -> refusal {
    if (v.k == k::null) {
      field.reset();
      return std::nullopt;
    }
    if (v.k != k::string) return decode::wrong_type(expected, v);
    field.emplace(v.s);
    return std::nullopt;
  };

  switch (s) {
    case n::session_id:
      if (v.k == k::null) {
        session_state_ = field_state::null;
        return std::nullopt;
      }
      if (v.k != k::string) return decode::wrong_type(expected, v);
      session_id_.assign(v.s);
      session_state_ = field_state::set;
      return std::nullopt;
    case n::agent_id:
      if (v.k == k::null) return "null";
      agent_id_state_ = field_state::set;
      return as_int(event_.agent_id);
    case n::timestamp:
      if (v.k == k::null) return "null";
      timestamp_state_ = field_state::set;
      return as_int(event_.timestamp_ms);
    case n::type:
      return key_field(event_.type);
    case n::state:
      return key_field(event_.state);
    case n::prev_state:
      return key_field(event_.prev_state);
    case n::prev_concurrent_eng:
      return key_field(event_.prev_concurrent_eng);
    case n::concurrent_eng:
      return key_field(event_.concurrent_eng);
    case n::max_concurrent_eng:
      return attr_int(event_.max_concurrent_eng);
    case n::agent_group_id:
      return attr_int(event_.agent_group_id);
    case n::employee_id: {
      // Typed long in the field table, {"string": ""} in the example: keep it as text.
      if (v.k == k::string || v.k == k::null) return attr_string(event_.agent_employee_id);
      if (v.k == k::boolean) return decode::wrong_type(expected, v);
      std::int64_t x = 0;
      if (auto r = as_int(x)) return r;
      event_.agent_employee_id = std::to_string(x);
      return std::nullopt;
    }
    case n::username:
      return attr_string(event_.agent_username);
    case n::nickname:
      return attr_string(event_.agent_nickname);
    case n::loginname:
      return attr_string(event_.agent_loginname);
    case n::profile_id: {
      if (v.k == k::null) return "null";
      std::int64_t x = 0;
      if (auto r = as_int(x)) return r;
      event_.user_profile_ids->push_back(x);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace lpda::agent_activity::detail
