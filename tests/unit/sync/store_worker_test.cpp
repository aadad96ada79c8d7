// The store worker hands work from the network thread to the store thread and back. These tests
// drive both threads into a fixed order with latches, so an order that is rare in the daemon (a
// stop request arriving just as a store result comes back) happens on every run.
#include "lpda/sync/store_worker.hpp"
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<lpda::store::database> open_db(const lpda::test::temp_dir& d) {
  lpda::sqlite::settings s;
  s.path = d / "lpda.db";
  return std::make_unique<lpda::sqlite::database>(
      lpda::sqlite::database::open(s, {lpda::agent_activity::sqlite::data_type()}));
}

// Runs `f` on the store thread and records its result.
template <class F>
asio::awaitable<void> await_store(lpda::sync::store_worker* store, F f, std::optional<int>* out) {
  *out = co_await store->run(std::move(f));
}

// The coroutine's end: whether it finished, and with which exception (if any).
struct ending {
  bool done = false;
  std::exception_ptr error;
};

}  // namespace

TEST_SUITE("sync") {
  TEST_CASE("a stop that reaches a store call as its result comes back touches nothing freed") {
    // The daemon's stop emits a terminal cancellation into each poll, on the network thread.
    // Boost 1.81's co_spawn forwards it to the store thread as a raw pointer into the awaiting
    // coroutine's cancellation state (chriskohlhoff/asio#1332). When the store call's result is
    // already queued on the network thread, that thread resumes the coroutine and frees the
    // state, while the store thread has yet to use the pointer: the SIGSEGV of `run` at SIGTERM
    // (under ASan: heap-use-after-free in cancellation_signal::emit on the store thread).
    // The order, forced here: call A's result is queued on `io`; call B (from another
    // io_context) holds the store thread; a handler on `io` emits the stop into A; A resumes and
    // ends; then the store thread gets to what the stop queued behind B.
    lpda::test::temp_dir dir;
    asio::io_context io, io2;
    lpda::sync::store_worker store(open_db(dir));

    std::promise<void> a_started, a_release, b_started, b_release;
    auto a_release_f = a_release.get_future().share();
    auto b_release_f = b_release.get_future().share();
    std::optional<int> a_result, b_result;
    ending a_end, b_end;
    asio::cancellation_signal stop_a;

    asio::co_spawn(io,
                   await_store(
                       &store,
                       [&, a_release_f](lpda::store::database&) {
                         a_started.set_value();
                         a_release_f.wait();
                         return 1;
                       },
                       &a_result),
                   asio::bind_cancellation_slot(stop_a.slot(), [&](std::exception_ptr e) {
                     a_end = {true, e};
                   }));
    io.poll();  // A's call runs on the store thread
    REQUIRE(a_started.get_future().wait_for(10s) == std::future_status::ready);

    // The stop, as the daemon's signal handler sends it: from a handler on A's network thread,
    // queued before A's result.
    bool b_running = false;
    asio::post(io, [&] {
      a_release.set_value();
      // The store thread queues A's result on `io` microseconds after the call returns.
      std::this_thread::sleep_for(200ms);
      asio::co_spawn(io2,
                     await_store(
                         &store,
                         [&, b_release_f](lpda::store::database&) {
                           b_started.set_value();
                           b_release_f.wait();
                           return 2;
                         },
                         &b_result),
                     [&](std::exception_ptr e) {
                       b_end = {true, e};
                     });
      io2.poll();
      b_running = b_started.get_future().wait_for(10s) == std::future_status::ready;
      stop_a.emit(asio::cancellation_type::terminal);
    });
    for (int i = 0; i < 500 && !a_end.done; ++i) {
      io.restart();
      io.run_one_for(10ms);
    }
    REQUIRE(b_running);
    REQUIRE(a_end.done);
    // A's store call ran to its end and its result reached the coroutine: a store call is not
    // cut short by a stop (the store checks its own stop flag between batches).
    CHECK(a_result == 1);
    CHECK_FALSE(a_end.error);

    b_release.set_value();
    for (int i = 0; i < 500 && !b_end.done; ++i) {
      io2.restart();
      io2.run_one_for(10ms);
    }
    REQUIRE(b_end.done);
    CHECK(b_result == 2);
    CHECK_FALSE(b_end.error);
    store.join();  // whatever the stop left queued on the store thread has run
  }
}
