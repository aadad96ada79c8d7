#include "database_lock.hpp"

#include "lpda/cli/exit_codes.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

// An open(2) or flock(2) failure of the lock file: a path that cannot work as configured is a
// config error (exit 78, names the key), anything else an I/O error.
error lock_error(const std::string& what, const std::string& path, int err) {
  const bool config_fault = err == ENOENT || err == ENOTDIR || err == EISDIR || err == EACCES ||
                            err == EPERM || err == EROFS || err == ELOOP;
  return error(config_fault ? errc::config_invalid : errc::store_io,
               what + " " + path + " (lock_file): " + std::strerror(err));
}

// Whether `text` (the whole file, at most the bytes read) is a line lpda-sync wrote: "PID
// COMMAND[ listen=ADDR]", or nothing.
bool looks_like_lock_line(const std::string& text) {
  if (text.empty()) return true;
  std::istringstream words(text);
  std::string pid, command;
  words >> pid >> command;
  return !pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
         !command.empty() && text.size() < 512 && std::count(text.begin(), text.end(), '\n') <= 1;
}

}  // namespace

result<database_lock> database_lock::acquire(const std::string& path, const std::string& database,
                                             std::string_view command) {
  bool writable = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  // An operator may read the lock of a daemon running as another user; flock needs no write.
  if (fd < 0 && errno == EACCES) {
    const int first = errno;
    writable = false;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      return lock_error("cannot open the lock file", path, errno == ENOENT ? first : errno);
  }
  if (fd < 0) return lock_error("cannot open the lock file", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return error(errc::config_invalid,
                 "the lock file " + path + " (lock_file) is not a regular file");
  }
  // Taking the lock rewrites the file: never a file that holds anything but a holder's line
  // (lock_file pointed at a database or a config by mistake).
  if (!looks_like_lock_line(line_of(fd)) || st.st_size >= 512) {
    ::close(fd);
    return error(errc::config_invalid,
                 "the lock file " + path + " (lock_file) holds " + std::to_string(st.st_size) +
                     " bytes that are not an lpda-sync lock; lock_file needs a path of its own");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const holder_line who = err == EWOULDBLOCK ? holder_of(fd) : holder_line{};
    ::close(fd);
    if (err != EWOULDBLOCK) return lock_error("cannot lock", path, err);
    return error(errc::store_busy,
                 who.description + " holds " + path + " (the lock_file of " + database +
                     "); stop it first: `systemctl stop lpda-sync` for the service, else `kill "
                     "-TERM " +
                     (who.pid.empty() ? std::string("<pid>") : who.pid) + "`");
  }
  database_lock lock(fd, std::string(command));
  if (writable) lock.write_line({});
  return lock;
}

int database_lock::exit_code_for(const error& e) noexcept {
  return e.code == make_error_code(errc::config_invalid) ? exit_config : exit_temp_fail;
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
