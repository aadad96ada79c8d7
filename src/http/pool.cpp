#include "http/pool.hpp"

#include <algorithm>

namespace lpda::http::detail {

asio::awaitable<void> async_semaphore::acquire() {
  while (count_ == 0) {
    auto timer = std::make_shared<asio::steady_timer>(ex_, steady::time_point::max());
    waiters_.push_back(timer);
    co_await timer->async_wait(use_tuple);
  }
  --count_;
}

void async_semaphore::release() {
  ++count_;
  while (!waiters_.empty()) {
    auto t = waiters_.front();
    waiters_.pop_front();
    if (t->cancel() > 0) break;  // a waiter that left without waking is skipped
  }
}

connection_pool::connection_pool(asio::any_io_executor ex, std::size_t max_concurrent,
                                 std::size_t max_per_host, milliseconds idle_timeout)
    : ex_(std::move(ex)),
      max_per_host_(std::max<std::size_t>(1, max_per_host)),
      idle_timeout_(idle_timeout),
      global_(ex_, std::max<std::size_t>(1, max_concurrent)) {}

async_semaphore& connection_pool::host_semaphore(const std::string& key) {
  auto& s = per_host_[key];
  if (!s) s = std::make_unique<async_semaphore>(ex_, max_per_host_);
  return *s;
}

std::unique_ptr<connection> connection_pool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& v = it->second;
  while (!v.empty()) {
    auto c = std::move(v.back());
    v.pop_back();
    if (steady::now() - c->idle_since < idle_timeout_) return c;
  }
  return nullptr;
}

void connection_pool::put(const std::string& key, std::unique_ptr<connection> c) {
  auto& v = idle_[key];
  if (v.size() >= max_per_host_) return;
  c->idle_since = steady::now();
  v.push_back(std::move(c));
}

}  // namespace lpda::http::detail
