#pragma once
// RapidJSON SAX handler that turns Agent Activity documents into events without building a DOM.
// It tracks where each value sits in the envelope (a small stack of frames, one per object or
// array being read) and unwraps Avro-JSON unions wherever they appear.
#include "lpda/core/agent_activity_event.hpp"
#include "lpda/core/error.hpp"

#include <rapidjson/reader.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::decode::detail {

/// What a JSON value position means in the Agent Activity envelope.
enum class slot : std::uint8_t {
  // objects
  root,
  record,
  body,
  header,
  event,
  // arrays
  record_collection,
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
  // anything we do not read
  skip,
};

/// Nesting deeper than this fails the document (real files nest about 10 levels).
inline constexpr std::size_t max_depth = 256;

class event_handler {
 public:
  /// Events of completed records are appended to `ready`.
  explicit event_handler(std::deque<agent_activity_event>& ready) : ready_(ready) {}

  void begin_document();
  /// The failure that stopped the parser (handler returned false), if any.
  const std::optional<error>& failure() const { return failure_; }
  /// True when the document since `begin_document` has a top-level `recordCollection` (a Data
  /// Access envelope, even one with no records).
  /// The current document has the Data Access envelope: a top-level `recordCollection`,
  /// `dataType` or `metaData`.
  bool has_record_collection() const { return has_record_collection_; }

  // RapidJSON handler concept.
  bool Null();
  bool Bool(bool b);
  bool Int(int i) { return integer(i); }
  bool Uint(unsigned u) { return integer(u); }
  bool Int64(std::int64_t i) { return integer(i); }
  bool Uint64(std::uint64_t u);
  bool Double(double d);
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return true; }  // not enabled
  bool String(const char* s, rapidjson::SizeType len, bool copy);
  bool StartObject();
  bool Key(const char* s, rapidjson::SizeType len, bool copy);
  bool EndObject(rapidjson::SizeType);
  bool StartArray();
  bool EndArray(rapidjson::SizeType);

 private:
  enum class frame_kind : std::uint8_t { pending, object, wrapper, wrapper_done, array };
  struct frame {
    frame_kind kind = frame_kind::pending;
    slot where = slot::skip;  // the slot this object/array fills
    slot child = slot::skip;  // object: slot of the current key's value
    std::uint32_t index = 0;  // array: index of the current item
    std::string key;          // object: current key as written (for error paths)
  };
  // A scalar as RapidJSON reported it.
  struct scalar {
    enum class kind : std::uint8_t { null, boolean, integer, too_big, inexact, fraction, string } k;
    std::int64_t i = 0;
    double d = 0;
    std::string_view s;
  };
  enum class field_state : std::uint8_t { absent, null, set };

  bool integer(std::int64_t i) { return value(scalar{scalar::kind::integer, i, 0, {}}); }
  slot value_slot() const;
  bool value(const scalar& v);
  bool assign(slot s, const scalar& v);
  void value_done();
  bool push(frame_kind k, slot s);
  bool begin_object(slot s);
  bool end_object(slot s);
  slot child_slot(slot parent, std::string_view key) const;
  std::string path(std::size_t frames) const;
  bool fail(errc code, std::string what);
  bool bad_value(std::string reason) { return fail(errc::bad_field, path(depth_) + ": " + reason); }

  std::deque<agent_activity_event>& ready_;
  std::vector<frame> frames_;  // frames_[0, depth_) are live; capacity (and key buffers) reused
  std::size_t depth_ = 0;
  std::size_t skip_depth_ = 0;  // > 0 while inside a value nobody reads
  std::optional<error> failure_;
  bool has_record_collection_ = false;

  // current record
  field_state session_state_ = field_state::absent;
  std::string session_id_;
  std::vector<agent_activity_event> record_events_;  // events seen before the record's header
  // current event
  agent_activity_event event_;
  field_state agent_id_state_ = field_state::absent;
  field_state timestamp_state_ = field_state::absent;
};

}  // namespace lpda::decode::detail
