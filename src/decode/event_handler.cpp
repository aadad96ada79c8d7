#include "event_handler.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

namespace lpda::decode::detail {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Avro JSON encoding: a non-null union value is {"<branch>": value}; the branch is a primitive
// type name, "array", "map", or a named type's full name (LivePerson's are com.liveperson.*).
bool is_union_branch(std::string_view k) {
  if (k.empty()) return false;
  switch (k[0]) {  // called for the first key of every object: keep it cheap
    case 's':
      return k == "string";
    case 'l':
      return k == "long";
    case 'i':
      return k == "int";
    case 'b':
      return k == "boolean" || k == "bytes";
    case 'd':
      return k == "double";
    case 'f':
      return k == "float";
    case 'a':
      return k == "array";
    case 'm':
      return k == "map";
    case 'c':
      return k.starts_with("com.liveperson.");
    default:
      return false;
  }
}

bool is_object_slot(slot s) {
  return s == slot::root || s == slot::record || s == slot::body || s == slot::header ||
         s == slot::event;
}
bool is_array_slot(slot s) {
  return s == slot::record_collection || s == slot::sessions || s == slot::profile_ids;
}

const char* expected(slot s) {
  if (is_object_slot(s)) return "an object";
  if (is_array_slot(s)) return "an array";
  switch (s) {
    case slot::session_id:
    case slot::username:
    case slot::nickname:
    case slot::loginname:
      return "a string";
    case slot::employee_id:
      return "a string or an integer";
    default:
      return "an integer";
  }
}

struct field_name {
  std::string_view name;
  slot where;
};
// Event fields (developers.liveperson.com/data-access-api-methods-agent-activity.html, field
// table); matched case-insensitively because the table and the example spell them differently.
constexpr std::array<field_name, 14> event_fields{{
    {"agentID", slot::agent_id},
    {"timestamp", slot::timestamp},
    {"type", slot::type},
    {"state", slot::state},
    {"prevState", slot::prev_state},
    {"prevConcurrentEng", slot::prev_concurrent_eng},
    {"concurrentEng", slot::concurrent_eng},
    {"maxConcurrentEng", slot::max_concurrent_eng},
    {"agentGroupID", slot::agent_group_id},
    {"agentEmployeeId", slot::employee_id},
    {"agentUsername", slot::username},
    {"agentNickname", slot::nickname},
    {"agentLoginname", slot::loginname},
    {"userProfileIDs", slot::profile_ids},
}};

}  // namespace

void event_handler::begin_document() {
  has_record_collection_ = false;
  depth_ = 0;
  skip_depth_ = 0;
  failure_.reset();
  session_state_ = field_state::absent;
  session_id_.clear();
  record_events_.clear();
}

bool event_handler::fail(errc code, std::string what) {
  failure_ = error{code, std::move(what)};
  return false;
}

std::string event_handler::path(std::size_t frames) const {
  std::string p = "$";
  for (std::size_t i = 0; i < frames; ++i) {
    const frame& f = frames_[i];
    if (f.kind == frame_kind::object) {
      p += '.';
      p += f.key;
    } else if (f.kind == frame_kind::array) {
      p += '[';
      p += std::to_string(f.index);
      p += ']';
    }
  }
  return p;
}

slot event_handler::value_slot() const {
  if (depth_ == 0) return slot::root;
  const frame& f = frames_[depth_ - 1];
  switch (f.kind) {
    case frame_kind::object:
      return f.child;
    case frame_kind::wrapper:
      return f.where;
    case frame_kind::array:
      switch (f.where) {
        case slot::record_collection:
          return slot::record;
        case slot::sessions:
          return slot::event;
        case slot::profile_ids:
          return slot::profile_id;
        default:
          return slot::skip;
      }
    default:
      return slot::skip;  // the parser never sends a value here
  }
}

void event_handler::value_done() {
  if (depth_ == 0) return;
  frame& f = frames_[depth_ - 1];
  if (f.kind == frame_kind::wrapper)
    f.kind = frame_kind::wrapper_done;
  else if (f.kind == frame_kind::array)
    ++f.index;
}

bool event_handler::push(frame_kind k, slot s) {
  if (depth_ + skip_depth_ >= max_depth) {
    return fail(errc::malformed_json,
                "nesting deeper than " + std::to_string(max_depth) + " levels");
  }
  if (frames_.size() == depth_) frames_.emplace_back();
  frame& f = frames_[depth_++];
  f.kind = k;
  f.where = s;
  f.child = slot::skip;
  f.index = 0;
  f.key.clear();
  return true;
}

slot event_handler::child_slot(slot parent, std::string_view key) const {
  switch (parent) {
    case slot::root:
      return iequals(key, "recordCollection") ? slot::record_collection : slot::skip;
    case slot::record:
      return iequals(key, "body") ? slot::body : slot::skip;
    case slot::body:
      if (iequals(key, "header")) return slot::header;
      return iequals(key, "agentSessionsData") ? slot::sessions : slot::skip;
    case slot::header:
      return iequals(key, "agentSessionId") ? slot::session_id : slot::skip;
    case slot::event:
      for (const auto& f : event_fields) {  // the spelling of the example first, then any case
        if (key == f.name) return f.where;
      }
      for (const auto& f : event_fields) {
        if (iequals(key, f.name)) return f.where;
      }
      return slot::skip;
    default:
      return slot::skip;
  }
}

bool event_handler::begin_object(slot s) {
  if (s == slot::record) {
    session_state_ = field_state::absent;
    session_id_.clear();
    record_events_.clear();
  } else if (s == slot::event) {
    event_ = agent_activity_event{};
    agent_id_state_ = field_state::absent;
    timestamp_state_ = field_state::absent;
  }
  return true;
}

bool event_handler::end_object(slot s) {
  // The frame of the object being closed is still on the stack: its path is path(depth_ - 1).
  if (s == slot::event) {
    if (agent_id_state_ != field_state::set) {
      return fail(errc::bad_field, path(depth_ - 1) + ".agentID: missing");
    }
    if (timestamp_state_ != field_state::set) {
      return fail(errc::bad_field, path(depth_ - 1) + ".timestamp: missing");
    }
    if (session_state_ == field_state::set) {
      event_.agent_session_id = session_id_;
      ready_.push_back(std::move(event_));
    } else {
      record_events_.push_back(std::move(event_));  // the header may come after the events
    }
  } else if (s == slot::record && !record_events_.empty()) {
    if (session_state_ != field_state::set) {
      return fail(errc::bad_field, path(depth_ - 1) + ".body.header.agentSessionId: " +
                                       (session_state_ == field_state::null ? "null" : "missing") +
                                       " (the record has " + std::to_string(record_events_.size()) +
                                       " events)");
    }
    for (auto& e : record_events_) {
      e.agent_session_id = session_id_;
      ready_.push_back(std::move(e));
    }
    record_events_.clear();
  }
  return true;
}

bool event_handler::assign(slot s, const scalar& v) {
  using k = scalar::kind;
  auto type_name = [&]() -> std::string {
    switch (v.k) {
      case k::null:
        return "null";
      case k::boolean:
        return "a boolean";
      case k::string:
        return "a string";
      default:
        return "a number";
    }
  };
  auto wrong_type = [&]() {
    return bad_value(std::string("expected ") + expected(s) + ", got " + type_name());
  };

  if (is_object_slot(s) || is_array_slot(s)) {
    if (v.k == k::null && s != slot::root)
      return true;  // a null record, body, header or array: nothing in it
    return wrong_type();
  }

  // Integer conversion shared by the integer fields.
  auto as_int = [&](std::int64_t& out) {
    switch (v.k) {
      case k::integer:
        out = v.i;
        return true;
      case k::too_big:
        return bad_value("integer out of int64 range");
      case k::inexact:
        return bad_value("integer beyond 2^53 written as a floating-point number (not exact)");
      case k::fraction: {
        std::array<char, 32> num{};
        std::snprintf(num.data(), num.size(), "%.17g", v.d);
        return bad_value(std::string("expected an integer, got ") + num.data());
      }
      default:
        return wrong_type();
    }
  };
  auto key_field = [&](std::int64_t& field) {
    if (v.k == k::null) {
      field = -1;  // LivePerson's "Unknown"; the natural key needs a value (NULLs are distinct)
      return true;
    }
    return as_int(field);
  };
  auto attr_int = [&](std::optional<std::int64_t>& field) {
    if (v.k == k::null) {
      field.reset();
      return true;
    }
    std::int64_t x = 0;
    if (!as_int(x)) return false;
    field = x;
    return true;
  };
  auto attr_string = [&](std::optional<std::string>& field) {
    if (v.k == k::null) {
      field.reset();
      return true;
    }
    if (v.k != k::string) return wrong_type();
    field.emplace(v.s);
    return true;
  };

  switch (s) {
    case slot::session_id:
      if (v.k == k::null) {
        session_state_ = field_state::null;
        return true;
      }
      if (v.k != k::string) return wrong_type();
      session_id_.assign(v.s);
      session_state_ = field_state::set;
      return true;
    case slot::agent_id:
      if (v.k == k::null) return bad_value("null");
      agent_id_state_ = field_state::set;
      return as_int(event_.agent_id);
    case slot::timestamp:
      if (v.k == k::null) return bad_value("null");
      timestamp_state_ = field_state::set;
      return as_int(event_.timestamp_ms);
    case slot::type:
      return key_field(event_.type);
    case slot::state:
      return key_field(event_.state);
    case slot::prev_state:
      return key_field(event_.prev_state);
    case slot::prev_concurrent_eng:
      return key_field(event_.prev_concurrent_eng);
    case slot::concurrent_eng:
      return key_field(event_.concurrent_eng);
    case slot::max_concurrent_eng:
      return attr_int(event_.max_concurrent_eng);
    case slot::agent_group_id:
      return attr_int(event_.agent_group_id);
    case slot::employee_id:
      // Typed long in the field table, {"string": ""} in the example: keep it as text.
      if (v.k == k::string || v.k == k::null) return attr_string(event_.agent_employee_id);
      if (v.k == k::boolean) return wrong_type();
      {
        std::int64_t x = 0;
        if (!as_int(x)) return false;
        event_.agent_employee_id = std::to_string(x);
      }
      return true;
    case slot::username:
      return attr_string(event_.agent_username);
    case slot::nickname:
      return attr_string(event_.agent_nickname);
    case slot::loginname:
      return attr_string(event_.agent_loginname);
    case slot::profile_id: {
      if (v.k == k::null) return bad_value("null");
      std::int64_t x = 0;
      if (!as_int(x)) return false;
      event_.user_profile_ids->push_back(x);
      return true;
    }
    default:
      return true;
  }
}

bool event_handler::value(const scalar& v) {
  if (skip_depth_ > 0) return true;
  const slot s = value_slot();
  if (s != slot::skip && !assign(s, v)) return false;
  value_done();
  return true;
}

bool event_handler::Null() {
  return value(scalar{scalar::kind::null, 0, 0, {}});
}
bool event_handler::Bool(bool) {
  return value(scalar{scalar::kind::boolean, 0, 0, {}});
}

bool event_handler::Uint64(std::uint64_t u) {
  if (u > static_cast<std::uint64_t>(INT64_MAX))
    return value(scalar{scalar::kind::too_big, 0, 0, {}});
  return integer(static_cast<std::int64_t>(u));
}

bool event_handler::Double(double d) {
  // RapidJSON reports numbers with a fraction or exponent, and integers beyond uint64, as double.
  // Integral values are accepted while a double holds them exactly (|d| <= 2^53); beyond that an
  // overflowing integer literal such as -9223372036854775809 would round into range.
  constexpr double two_53 = 9007199254740992.0;
  if (std::isfinite(d) && std::trunc(d) == d) {
    if (std::fabs(d) <= two_53) return integer(static_cast<std::int64_t>(d));
    constexpr double two_63 = 9223372036854775808.0;
    return value(
        scalar{std::fabs(d) >= two_63 ? scalar::kind::too_big : scalar::kind::inexact, 0, d, {}});
  }
  return value(scalar{scalar::kind::fraction, 0, d, {}});
}

bool event_handler::String(const char* s, rapidjson::SizeType len, bool) {
  return value(scalar{scalar::kind::string, 0, 0, std::string_view(s, len)});
}

bool event_handler::StartObject() {
  if (skip_depth_ == 0) {
    const slot s = value_slot();
    if (s != slot::skip) return push(frame_kind::pending, s);
  }
  if (depth_ + skip_depth_ >= max_depth) {
    return fail(errc::malformed_json,
                "nesting deeper than " + std::to_string(max_depth) + " levels");
  }
  ++skip_depth_;
  return true;
}

bool event_handler::Key(const char* s, rapidjson::SizeType len, bool) {
  if (skip_depth_ > 0) return true;
  frame& f = frames_[depth_ - 1];
  const std::string_view key(s, len);
  switch (f.kind) {
    case frame_kind::pending:
      if (is_union_branch(key)) {
        f.kind = frame_kind::wrapper;
        return true;
      }
      if (!is_object_slot(f.where)) {
        return bad_value(std::string("expected ") + expected(f.where) +
                         ", got an object with key \"" + std::string(key) + "\"");
      }
      f.kind = frame_kind::object;
      if (!begin_object(f.where)) return false;
      [[fallthrough]];
    case frame_kind::object:
      f.child = child_slot(f.where, key);
      // The Data Access envelope: `recordCollection`, or its siblings `dataType` / `metaData`
      // (a document of an hour without records may carry only those).
      if (f.child == slot::record_collection ||
          (f.where == slot::root &&
           (equals_ignoring_case(key, "dataType") || equals_ignoring_case(key, "metaData"))))
        has_record_collection_ = true;
      // The key is only needed for error paths, and no error is raised inside a skipped value.
      if (f.child != slot::skip) f.key.assign(key);
      return true;
    case frame_kind::wrapper_done:
      return bad_value(
          "a union value must be an object with exactly one key; found a second key \"" +
          std::string(key) + "\"");
    default:
      return fail(errc::malformed_json, "unexpected key");
  }
}

bool event_handler::EndObject(rapidjson::SizeType) {
  if (skip_depth_ > 0) {
    if (--skip_depth_ == 0) value_done();
    return true;
  }
  frame& f = frames_[depth_ - 1];
  const slot s = f.where;
  switch (f.kind) {
    case frame_kind::pending:  // {}
      if (!is_object_slot(s)) return bad_value(std::string("expected ") + expected(s) + ", got {}");
      if (!begin_object(s) || !end_object(s)) return false;
      break;
    case frame_kind::object:
      if (!end_object(s)) return false;
      break;
    case frame_kind::wrapper_done:
      break;
    default:
      return fail(errc::malformed_json, "unexpected end of object");
  }
  --depth_;
  value_done();
  return true;
}

bool event_handler::StartArray() {
  if (skip_depth_ == 0) {
    const slot s = value_slot();
    if (s != slot::skip) {
      if (!is_array_slot(s))
        return bad_value(std::string("expected ") + expected(s) + ", got an array");
      if (s == slot::profile_ids) event_.user_profile_ids.emplace();
      return push(frame_kind::array, s);
    }
  }
  if (depth_ + skip_depth_ >= max_depth) {
    return fail(errc::malformed_json,
                "nesting deeper than " + std::to_string(max_depth) + " levels");
  }
  ++skip_depth_;
  return true;
}

bool event_handler::EndArray(rapidjson::SizeType) {
  if (skip_depth_ > 0) {
    if (--skip_depth_ == 0) value_done();
    return true;
  }
  --depth_;
  value_done();
  return true;
}

}  // namespace lpda::decode::detail
