#pragma once
/// Pull interfaces over the decoded records of one Data Access file, so a consumer (the store's
/// one transaction per file) takes records in bounded batches and never holds a whole file.
///
/// `record_source` is what generic code (sync, the store) passes around without knowing the data
/// type; a data type's decoder is a `typed_record_source<Record>` and the same type's store writer
/// recovers that interface with `as_typed` (one `dynamic_cast` per file, not per record).
#include "lpda/core/error.hpp"

#include <vector>

namespace lpda {

class record_source {
 public:
  virtual ~record_source() = default;
};

template <class Record>
class typed_record_source : public record_source {
 public:
  /// Clears `out` and fills it with the next records (at most the source's batch size, at least
  /// one unless the stream has ended). Returns true when `out` holds records, false at the end of
  /// the stream (then `out` is empty), or an error that fails the whole stream: a source that
  /// returned an error must not be read again.
  virtual result<bool> next_batch(std::vector<Record>& out) = 0;
};

/// The typed interface of `source`, or nullptr when it yields another record type (a writer
/// handed a source of another data type: a wiring error, reported by the caller).
template <class Record>
typed_record_source<Record>* as_typed(record_source& source) noexcept {
  return dynamic_cast<typed_record_source<Record>*>(&source);
}

}  // namespace lpda
