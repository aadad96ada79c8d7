#pragma once
/// Decoding on a thread of its own, a few batches ahead of the consumer: while the store writes
/// one batch inside its transaction, the next ones are inflated, parsed and mapped on the other
/// core. Same stream, same order, same errors as the wrapped source.
#include "lpda/core/record_source.hpp"
#include "lpda/decode/mapped_decoder.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace lpda::decode {

/// Reads `inner` on its own thread into at most `depth` batches ahead of `next_batch`, and hands
/// them over in order without copying (the batch vectors are swapped and reused).
///
/// The stream is exactly `inner`'s: the same records in the same batches, then `false` at the
/// end, or `inner`'s error after the batches that preceded it — final, returned again by every
/// later call. `stop_when` on this source fails the next `next_batch` with `errc::cancelled`, as
/// for any source; the thread then stops at its next batch boundary. Destroying the source
/// (e.g. the store rolled back after an error) stops and joins the thread; at most the batch in
/// progress is decoded past that point.
///
/// Memory: up to `depth` + 1 batches besides the consumer's (each at most `limits::batch_size`
/// records), plus what `inner` holds. Not for use by several consumers at once (one consumer
/// thread, one decoding thread).
template <class Record>
class read_ahead_source final : public typed_record_source<Record>, public stats_reporter {
 public:
  /// Starts the decoding thread. `depth` ≥ 1 (0 is taken as 1).
  read_ahead_source(std::unique_ptr<typed_record_source<Record>> inner, std::size_t depth)
      : inner_(std::move(inner)), depth_(std::max<std::size_t>(1, depth)) {
    worker_ = std::thread([this] { decode_ahead(); });
  }

  read_ahead_source(const read_ahead_source&) = delete;
  read_ahead_source& operator=(const read_ahead_source&) = delete;

  ~read_ahead_source() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      abandoned_ = true;
    }
    space_.notify_all();
    worker_.join();
  }

  /// `inner`'s figures once the stream has ended (`next_batch` returned false or an error); all
  /// zero before (the decoding thread owns them until then).
  const decode_stats& stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return final_stats_;
  }

 protected:
  result<bool> read_batch(std::vector<Record>& out) override {
    out.clear();
    std::unique_lock<std::mutex> lock(mutex_);
    ready_cv_.wait(lock, [this] { return !ready_.empty() || end_.has_value(); });
    if (ready_.empty()) return *end_;
    out.swap(ready_.front());  // `out`'s old (cleared) storage goes back to the pool
    spare_.push_back(std::move(ready_.front()));
    ready_.pop_front();
    lock.unlock();
    space_.notify_one();
    return true;
  }

 private:
  std::unique_ptr<typed_record_source<Record>> inner_;
  const std::size_t depth_;
  mutable std::mutex mutex_;
  std::condition_variable ready_cv_;  // a batch or the end is ready
  std::condition_variable space_;     // room in `ready_`, or abandoned
  std::deque<std::vector<Record>> ready_;
  std::vector<std::vector<Record>> spare_;  // emptied vectors, reused for their capacity
  std::optional<result<bool>> end_;         // false or the error, once `inner` ended
  bool abandoned_ = false;
  decode_stats final_stats_;
  std::thread worker_;  // last: started once every other member exists

  void decode_ahead() {
    std::vector<Record> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [this] { return abandoned_ || ready_.size() < depth_; });
        if (abandoned_) return;
        if (!spare_.empty()) {
          batch = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      auto more = inner_->next_batch(batch);  // the long part, outside the lock
      std::lock_guard<std::mutex> lock(mutex_);
      if (more && *more) {
        ready_.push_back(std::move(batch));
        batch = {};
        ready_cv_.notify_one();
        continue;
      }
      if (const auto* s = stats_of(*inner_)) final_stats_ = *s;
      end_ = std::move(more);
      ready_cv_.notify_one();
      return;
    }
  }
};

}  // namespace lpda::decode
