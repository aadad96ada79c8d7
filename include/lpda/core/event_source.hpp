#pragma once
/// The record source of Agent Activity: batches of `agent_activity_event`.
#include "lpda/core/agent_activity_event.hpp"
#include "lpda/core/record_source.hpp"

namespace lpda {

using event_source = typed_record_source<agent_activity_event>;

}  // namespace lpda
