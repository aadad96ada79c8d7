#include "database_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lpda::cli {
namespace {

// "lpda-sync run, pid 1234" from the holder's "1234 run"; the file may be empty or stale when
// its writer died between taking the lock and writing it.
std::string holder_of(int fd) {
  char buf[128] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const auto space = text.find(' ');
  const std::string pid = text.substr(0, space);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
    return "another lpda-sync process (pid unknown)";
  const std::string command = space == std::string::npos ? "" : text.substr(space + 1);
  return "lpda-sync " + (command.empty() ? std::string() : command + ", ") + "pid " + pid;
}

}  // namespace

result<database_lock> database_lock::acquire(const std::string& database,
                                             std::string_view command) {
  const std::string path = database + ".lock";
  bool writable = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  // An operator may read the lock of a daemon running as another user; flock needs no write.
  if (fd < 0 && errno == EACCES) {
    writable = false;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0)
    return error(errc::store_io, "cannot open the lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = err == EWOULDBLOCK ? holder_of(fd) : std::string();
    ::close(fd);
    if (err != EWOULDBLOCK)
      return error(errc::store_io, "cannot lock " + path + ": " + std::strerror(err));
    return error(errc::store_busy, holder + " is using " + database + " (it holds the lock " +
                                       path + "); stop it first, e.g. `systemctl stop lpda-sync`");
  }
  if (writable) {
    const std::string text = std::to_string(::getpid()) + " " + std::string(command) + "\n";
    // Best effort: the lock is the flock; the text only names its holder.
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] const ssize_t w = ::pwrite(fd, text.data(), text.size(), 0);
    }
  }
  return database_lock(fd);
}

database_lock::~database_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lpda::cli
