#pragma once
/// The store executor: the one thread that owns the store's connection (the store has one
/// writer, lpda/store/database.hpp).
/// Coroutines on the network thread hand it work and await the result; decoding runs there too,
/// because the store pulls events from the decoder inside its transaction.
#include "lpda/store/database.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace lpda::sync {

class store_worker {
 public:
  /// Takes ownership of an open store (not null); starts one worker thread.
  explicit store_worker(std::unique_ptr<store::database> db) : db_(std::move(db)), pool_(1) {}
  ~store_worker() { pool_.join(); }
  store_worker(const store_worker&) = delete;
  store_worker& operator=(const store_worker&) = delete;

  /// Runs `f(database&)` on the store thread and returns its result to the awaiting coroutine
  /// (on the coroutine's own executor). Exceptions thrown by `f` propagate to the awaiter.
  ///
  /// Not cancellable: a cancellation of the awaiting coroutine (the daemon stopping) does not
  /// reach `f`, which runs to its end; the coroutine gets the result and sees the cancellation
  /// at its next `co_await`. Work that must stop early checks a flag of its own (the store's
  /// event source does, between batches).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, store::database&>> run(F f) {
    // An unconnected slot: Boost 1.81's co_spawn would forward a cancellation to the store
    // thread through a raw pointer into the awaiter's cancellation state, which the network
    // thread frees when the result arrives first (a use after free on the store thread, seen
    // as a SIGSEGV of `run` at SIGTERM; chriskohlhoff/asio#1332).
    return boost::asio::co_spawn(pool_.get_executor(), call<F>(this, std::move(f)),
                                 boost::asio::bind_cancellation_slot(
                                     boost::asio::cancellation_slot(), boost::asio::use_awaitable));
  }

  /// Direct access for code already on the store thread or when nothing else runs (start-up).
  store::database& database_unsafe() noexcept { return *db_; }

  /// Waits for queued work to finish and stops the thread.
  void join() { pool_.join(); }

 private:
  template <class F>
  static boost::asio::awaitable<std::invoke_result_t<F&, store::database&>> call(store_worker* self,
                                                                                 F f) {
    co_return f(*self->db_);
  }

  std::unique_ptr<store::database> db_;
  boost::asio::thread_pool pool_;
};

}  // namespace lpda::sync
