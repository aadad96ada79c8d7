#pragma once
/// Pull interfaces over the decoded records of one Data Access file, so a consumer (the store's
/// one transaction per file) takes records in bounded batches and never holds a whole file.
///
/// `record_source` is what generic code (sync, the store) passes around without knowing the data
/// type; a data type's decoder is a `typed_record_source<Record>` and the same type's store writer
/// recovers that interface with `as_typed` (one `dynamic_cast` per file, not per record).
#include "lpda/core/error.hpp"

#include <atomic>
#include <optional>
#include <vector>

namespace lpda {

class record_source {
 public:
  virtual ~record_source() = default;

  /// From now on, every `next_batch` first reads `flag` and, once it is true, fails the stream
  /// with `errc::cancelled` (so a consumer's transaction over the source ends, rolled back,
  /// between two batches). `flag` must outlive the source's reads.
  void stop_when(const std::atomic<bool>& flag) noexcept { stop_ = &flag; }

 protected:
  /// The cancellation `stop_when` asked for, when its flag is set; nullopt otherwise.
  std::optional<lpda::error> stop_requested() const {
    if (stop_ == nullptr || !stop_->load(std::memory_order_relaxed)) return std::nullopt;
    return lpda::error{errc::cancelled, "stopping: the file's transaction is rolled back"};
  }

 private:
  const std::atomic<bool>* stop_ = nullptr;
};

template <class Record>
class typed_record_source : public record_source {
 public:
  /// Clears `out` and fills it with the next records (at most the source's batch size, at least
  /// one unless the stream has ended). Returns true when `out` holds records, false at the end of
  /// the stream (then `out` is empty), or an error that fails the whole stream: a source that
  /// returned an error must not be read again. `errc::cancelled` once `stop_when`'s flag is set.
  result<bool> next_batch(std::vector<Record>& out) {
    if (auto stop = stop_requested()) {
      out.clear();
      return *stop;
    }
    return read_batch(out);
  }

 protected:
  /// What `next_batch` returns when no stop was asked for: the source's own reading.
  virtual result<bool> read_batch(std::vector<Record>& out) = 0;
};

/// The typed interface of `source`, or nullptr when it yields another record type (a writer
/// handed a source of another data type: a wiring error, reported by the caller).
template <class Record>
typed_record_source<Record>* as_typed(record_source& source) noexcept {
  return dynamic_cast<typed_record_source<Record>*>(&source);
}

}  // namespace lpda
