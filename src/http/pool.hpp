#pragma once
// The connection pool: the global and per-host concurrency bounds and the idle keep-alive
// connections, by "scheme://host:port". Single-threaded, like the client that owns it.
#include "http/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lpda::http::detail {

// An async counting semaphore on one strand-free executor (the client is single-threaded).
class async_semaphore {
 public:
  async_semaphore(asio::any_io_executor ex, std::size_t n) : ex_(std::move(ex)), count_(n) {}

  asio::awaitable<void> acquire();
  void release();

 private:
  asio::any_io_executor ex_;
  std::size_t count_;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;
};

class permit {
 public:
  explicit permit(async_semaphore* s) : s_(s) {}
  permit(const permit&) = delete;
  permit& operator=(const permit&) = delete;
  ~permit() {
    if (s_ != nullptr) s_->release();
  }

 private:
  async_semaphore* s_;
};

class connection_pool {
 public:
  /// At most `max_concurrent` requests at once and `max_per_host` per key, and at most
  /// `max_per_host` idle connections a key, each reused within `idle_timeout` (a bound of 0
  /// counts as 1).
  connection_pool(asio::any_io_executor ex, std::size_t max_concurrent, std::size_t max_per_host,
                  milliseconds idle_timeout);

  async_semaphore& global() { return global_; }
  async_semaphore& host_semaphore(const std::string& key);

  /// An idle connection to `key` that has not been idle too long, or nullptr.
  std::unique_ptr<connection> take(const std::string& key);
  /// Keeps `c` for a later request to `key` (dropped when the key already has enough).
  void put(const std::string& key, std::unique_ptr<connection> c);
  /// Closes every idle connection.
  void clear() { idle_.clear(); }

 private:
  asio::any_io_executor ex_;
  std::size_t max_per_host_;
  milliseconds idle_timeout_;
  async_semaphore global_;
  std::map<std::string, std::unique_ptr<async_semaphore>> per_host_;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
};

}  // namespace lpda::http::detail
