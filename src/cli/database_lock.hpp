#pragma once
// Private to the cli module: the lock that keeps one `lpda-sync run` per database, also taken by
// commands whose write the daemon would undo (reset-watermark).
#include "lpda/core/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace lpda::cli {

/// What the lock file (`lock_file`, default `<database>.lock`) says of the process holding it.
struct lock_holder {
  bool held = false;  ///< a process holds the lock now (false: none, or the file is unreadable)
  /// The address its metrics and health endpoint serves ("" when it serves none); nullopt when
  /// the holder did not say (not `run`, or an older lpda-sync).
  std::optional<std::string> listen;
};

/// An exclusive flock(2) on the lock file, held until destruction. The holder writes
/// "PID COMMAND [listen=ADDR]" into the file, so a refused process can name it and
/// `lpda-sync health` can find the endpoint the daemon really serves.
class database_lock {
 public:
  /// Reads the lock file `path` without taking it.
  static lock_holder holder(const std::string& path);

  /// Rewrites the holder's line as "PID COMMAND listen=ADDR" (`listen` "" when the endpoint is
  /// off). Best effort: the lock is the flock, the text only describes its holder.
  void announce_listen(const std::string& listen);

  /// Takes the lock file `path` of `database` without waiting, as `command` ("run",
  /// "reset-watermark"). Errors:
  /// `errc::store_busy` when another process holds it — the message names the lock file and the
  /// holder ("lpda-sync run, pid 1234") —, `errc::store_io` when the lock file cannot be opened.
  static result<database_lock> acquire(const std::string& path, const std::string& database,
                                       std::string_view command);

  /// The exit code for an `acquire` error: 78 when `lock_file` cannot work as configured
  /// (`errc::config_invalid`: missing directory, no permission, not a regular file, a file that
  /// is not a lock), else 75 (held by another process, or an I/O error a retry may clear).
  static int exit_code_for(const error& e) noexcept;

  database_lock(database_lock&& other) noexcept
      : fd_(other.fd_), command_(std::move(other.command_)) {
    other.fd_ = -1;
  }
  database_lock& operator=(database_lock&&) = delete;
  database_lock(const database_lock&) = delete;
  database_lock& operator=(const database_lock&) = delete;
  ~database_lock();

 private:
  database_lock(int fd, std::string command) : fd_(fd), command_(std::move(command)) {}
  void write_line(const std::string& extra);
  int fd_ = -1;
  std::string command_;
};

}  // namespace lpda::cli
