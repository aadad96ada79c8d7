#pragma once
// Private to the cli module: the lock that keeps one `lpda-sync run` per database, also taken by
// commands whose write the daemon would undo (reset-watermark).
#include "lpda/core/error.hpp"

#include <string>
#include <string_view>

namespace lpda::cli {

/// An exclusive flock(2) on `<database>.lock`, held until destruction. The holder writes
/// "PID COMMAND" into the file, so a refused process can name it.
class database_lock {
 public:
  /// Takes the lock without waiting, as `command` ("run", "reset-watermark"). Errors:
  /// `errc::store_busy` when another process holds it — the message names the lock file and the
  /// holder ("lpda-sync run, pid 1234") —, `errc::store_io` when the lock file cannot be opened.
  static result<database_lock> acquire(const std::string& database, std::string_view command);

  database_lock(database_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  database_lock& operator=(database_lock&&) = delete;
  database_lock(const database_lock&) = delete;
  database_lock& operator=(const database_lock&) = delete;
  ~database_lock();

 private:
  explicit database_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lpda::cli
