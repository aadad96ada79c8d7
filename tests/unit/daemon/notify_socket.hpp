#pragma once
// A unix datagram socket standing in for the service manager's $NOTIFY_SOCKET in tests.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lpda::daemon::test {

// A bound AF_UNIX/SOCK_DGRAM socket; $NOTIFY_SOCKET points at it while it lives.
class notify_socket {
 public:
  explicit notify_socket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto s = path.string();
    if (s.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      throw std::runtime_error("bind failed: " + std::string(std::strerror(errno)));
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setenv("NOTIFY_SOCKET", s.c_str(), 1);
  }
  ~notify_socket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  /// The next datagram, or nullopt after 2 s without one.
  std::optional<std::string> receive() {
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  /// The next datagram if one is already queued.
  std::optional<std::string> poll() {
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Drains a notify_socket on its own thread, as the service manager does: a unix datagram queue
// holds only a few messages (net.unix.max_dgram_qlen, 10 by default) and a sender blocks when it
// is full.
class notify_collector {
 public:
  explicit notify_collector(const std::filesystem::path& path)
      : socket_(path), thread_([this]() { run(); }) {}
  ~notify_collector() { stop(); }
  notify_collector(const notify_collector&) = delete;
  notify_collector& operator=(const notify_collector&) = delete;

  /// Stops collecting (after draining what is queued) and returns every datagram in order.
  std::vector<std::string> stop() {
    if (!done_.exchange(true)) thread_.join();
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  void run() {
    for (;;) {
      if (auto m = socket_.poll()) {
        std::lock_guard lock(mutex_);
        messages_.push_back(std::move(*m));
        continue;
      }
      if (done_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  notify_socket socket_;
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::thread thread_;
};

}  // namespace lpda::daemon::test
