#pragma once
// Runs one coroutine to completion on an io_context, for tests of coroutine APIs.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <optional>
#include <utility>

namespace lpda::test::http {

template <class T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> op, std::optional<T>* out) {
  *out = co_await std::move(op);
}

/// Runs `op` on `io` until it finishes and returns its result (the test fails if it never does).
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
  std::optional<T> out;
  boost::asio::co_spawn(io, store_result(std::move(op), &out), boost::asio::detached);
  io.restart();
  io.run();
  REQUIRE(out.has_value());
  return std::move(*out);
}

}  // namespace lpda::test::http
