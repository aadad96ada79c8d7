#pragma once
/// Forwarding header: Agent Activity's record source lives in its data type's folder
/// (`lpda/agent_activity/event.hpp`). Kept for code not yet moved there.
#include "lpda/core/agent_activity_event.hpp"

namespace lpda {

using event_source = agent_activity::event_source;

}  // namespace lpda
