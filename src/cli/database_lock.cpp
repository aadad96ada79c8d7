#include "database_lock.hpp"

#include "lpda/cli/exit_codes.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
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

// A holder's line as lpda-sync writes it, "PID COMMAND[ listen=ADDR]" (an older one may lack the
// command); nullopt for text lpda-sync did not write. The file may also be empty, or stale when
// its writer died between taking the lock and writing it.
struct holder_line {
  std::string pid;
  std::string command;  ///< "run", "reset-watermark"; "" when the line has none
};

std::optional<holder_line> parse_holder(const std::string& text) {
  std::istringstream words(text);
  holder_line h;
  words >> h.pid >> h.command;
  if (h.pid.empty() || h.pid.find_first_not_of("0123456789") != std::string::npos ||
      text.find('\n') != std::string::npos)
    return std::nullopt;
  if (h.command.find('=') != std::string::npos) h.command.clear();
  return h;
}

// "lpda-sync run, pid 1234" for a refusal.
std::string describe(const std::optional<holder_line>& h) {
  if (!h) return "another lpda-sync process (pid unknown)";
  return "lpda-sync " + (h->command.empty() ? std::string() : h->command + ", ") + "pid " + h->pid;
}

// An open(2) or flock(2) failure of the lock file: a path that cannot work as configured is a
// config error (exit 78, names the key), anything else an I/O error.
error lock_error(const std::string& what, const std::string& path, int err) {
  const bool config_fault = err == ENOENT || err == ENOTDIR || err == EISDIR || err == EACCES ||
                            err == EPERM || err == EROFS || err == ELOOP;
  return error(config_fault ? errc::config_invalid : errc::store_io,
               what + " " + path + " (lock_file): " + std::strerror(err));
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
  if (const auto text = line_of(fd); st.st_size >= 512 || (!text.empty() && !parse_holder(text))) {
    ::close(fd);
    return error(errc::config_invalid,
                 "the lock file " + path + " (lock_file) holds " + std::to_string(st.st_size) +
                     " bytes that are not an lpda-sync lock; lock_file needs a path of its own");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const auto who = err == EWOULDBLOCK ? parse_holder(line_of(fd)) : std::nullopt;
    ::close(fd);
    if (err != EWOULDBLOCK) return lock_error("cannot lock", path, err);
    return error(errc::store_busy,
                 describe(who) + " holds " + path + " (the lock_file of " + database +
                     "); stop it first: `systemctl stop lpda-sync` for the service, else `kill "
                     "-TERM " +
                     (who ? who->pid : std::string("<pid>")) + "`");
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
