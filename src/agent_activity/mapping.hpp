#pragma once
// Agent Activity's mapping on top of the document framing layer: where the fields of an event sit
// in a record of `recordCollection` and how their values become an `event`.
#include "lpda/agent_activity/event.hpp"
#include "lpda/decode/record_mapping.hpp"

#include <string>
#include <vector>

namespace lpda::agent_activity::detail {

class mapping final : public decode::record_mapping_of<event> {
 public:
  std::span<const decode::node_info> nodes() const override;
  decode::node record() const override;
  decode::node child(decode::node parent, std::string_view key) const override;
  void begin_document() override;
  void begin_object(decode::node n) override;
  decode::refusal end_object(decode::node n) override;
  void begin_array(decode::node n) override;
  decode::refusal assign(decode::node n, const decode::scalar& v) override;

 private:
  enum class field_state : std::uint8_t { absent, null, set };

  // current record
  field_state session_state_ = field_state::absent;
  std::string session_id_;
  std::vector<event> record_events_;  // events seen before the record's header
  // current event
  event event_;
  field_state agent_id_state_ = field_state::absent;
  field_state timestamp_state_ = field_state::absent;
};

}  // namespace lpda::agent_activity::detail
