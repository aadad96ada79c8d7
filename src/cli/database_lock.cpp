#include "database_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>

namespace lpda::cli {
namespace {

// The holder's line, "1234 run [listen=ADDR]"; empty when unreadable.
std::string line_of(int fd) {
  char buf[512] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// "lpda-sync run, pid 1234" from the holder's line; the file may be empty or stale when its
// writer died between taking the lock and writing it.
// Who holds the lock, from the line it wrote: a description and its pid (empty when unknown).
struct holder_line {
  std::string description;
  std::string pid;
};

holder_line holder_of(int fd) {
  std::istringstream words(line_of(fd));
  std::string pid, command;
  words >> pid >> command;
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
    return {"another lpda-sync process (pid unknown)", {}};
  if (command.find('=') != std::string::npos) command.clear();
  return {"lpda-sync " + (command.empty() ? std::string() : command + ", ") + "pid " + pid, pid};
}

}  // namespace

result<database_lock> database_lock::acquire(const std::string& path, const std::string& database,
                                             std::string_view command) {
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
    const holder_line who = err == EWOULDBLOCK ? holder_of(fd) : holder_line{};
    ::close(fd);
    if (err != EWOULDBLOCK)
      return error(errc::store_io, "cannot lock " + path + ": " + std::strerror(err));
    return error(errc::store_busy,
                 who.description + " is using " + database + " (it holds the lock " + path +
                     "); stop it first: `systemctl stop lpda-sync` for the service, else `kill "
                     "-TERM " +
                     (who.pid.empty() ? std::string("<pid>") : who.pid) + "`");
  }
  database_lock lock(fd, std::string(command));
  if (writable) lock.write_line({});
  return lock;
}

void database_lock::write_line(const std::string& extra) {
  const std::string text = std::to_string(::getpid()) + " " + command_ + extra + "\n";
  // Best effort: the lock is the flock; the text only names its holder.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, text.data(), text.size(), 0);
  }
}

void database_lock::announce_listen(const std::string& listen) {
  if (fd_ >= 0) write_line(" listen=" + listen);
}

lock_holder database_lock::holder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  lock_holder out;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    out.held = true;
    std::istringstream words(line_of(fd));
    for (std::string w; words >> w;)
      if (w.rfind("listen=", 0) == 0) out.listen = w.substr(7);
  }
  ::close(fd);
  return out;
}

database_lock::~database_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lpda::cli
