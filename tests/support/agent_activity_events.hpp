#pragma once
// Agent Activity events built field by field, for the tests that decode, store or report them.
#include "lpda/agent_activity/event.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace lpda::test {

/// An event with its session, agent, time, type, state change and concurrency set; the agent's
/// names, group and the other fields are the caller's to fill.
inline agent_activity::event activity_event(std::string session, std::int64_t agent,
                                            std::int64_t ts, std::int64_t type, std::int64_t state,
                                            std::int64_t prev_state, std::int64_t prev_conc = 0,
                                            std::int64_t conc = 0) {
  agent_activity::event e;
  e.agent_session_id = std::move(session);
  e.agent_id = agent;
  e.timestamp_ms = ts;
  e.type = type;
  e.state = state;
  e.prev_state = prev_state;
  e.prev_concurrent_eng = prev_conc;
  e.concurrent_eng = conc;
  return e;
}

}  // namespace lpda::test
