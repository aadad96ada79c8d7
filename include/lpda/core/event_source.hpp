#pragma once
/// A pull interface over a stream of Agent Activity events, so a consumer (the store's one
/// transaction per file) takes events in bounded batches and never holds a whole file.
#include "lpda/core/agent_activity_event.hpp"
#include "lpda/core/error.hpp"

#include <vector>

namespace lpda {

class event_source {
 public:
  virtual ~event_source() = default;

  /// Clears `out` and fills it with the next events (at most the source's batch size, at least
  /// one unless the stream has ended). Returns true when `out` holds events, false at the end of
  /// the stream (then `out` is empty), or an error that fails the whole stream: a source that
  /// returned an error must not be read again.
  virtual result<bool> next_batch(std::vector<agent_activity_event>& out) = 0;
};

}  // namespace lpda
