#pragma once
/// Forwarding header: the Agent Activity event lives in its data type's folder
/// (`lpda/agent_activity/event.hpp`). Kept for code not yet moved there.
#include "lpda/agent_activity/event.hpp"

namespace lpda {

using agent_activity_event = agent_activity::event;

}  // namespace lpda
