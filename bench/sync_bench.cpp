// End-to-end sync: the real `lpda-emulator` and `lpda-sync` binaries (from this program's own
// directory) on 127.0.0.1.
//
// Scenario 1: the emulator serves generated Agent Activity data (default 200 agents x 168 hours,
// one account, 20 ms added to every Data Access response); `lpda-sync once` syncs it into a fresh
// database once per download concurrency (default 1 and 8, the config default). Per run: wall
// time, peak RSS of lpda-sync (wait4 ru_maxrss), its CPU time, events/s, files/s, MB/s downloaded,
// and the emulator's CPU time; the database is compared with the emulator's expected set (the
// natural keys of both, sorted) so the figures are of a correct sync.
//
// Scenario 2: one large file (~200 MB of inflated NDJSON, added with the emulator's `add-file`
// control, its session count calibrated by downloading a smaller file and inflating it) synced by
// `lpda-sync once`: peak RSS, wall time, events/s.
//
// Scenario 3, realistic: the emulator's large-account preset (dense hourly files whose sessions
// last 5-9 hours, so a file's events reach hours back; by default 300 agents x 504 hours, about
// 3 million events and a database file over 500 MiB with the default cache_kib), every file
// rendered into the emulator's memory before timing starts, no added latency. `lpda-sync once` into
// a fresh database, then a one-day `report availability` on it, then the Python baseline
// (bench/python_baseline.py) on the same files. Per run: events/s (wall and per CPU second),
// bytes written (ru_oublock of the child, cross-checked with /proc/PID/io write_bytes read before
// it is reaped), bytes written per event, database bytes per event, peak RSS; both databases are
// checked against the expected set, and the ratio of the two throughputs is printed. `--small`
// runs it at 20 agents x 8 hours (a test runs it: the harness works, the figures mean nothing);
// the exit status is 1 when a run of this scenario is wrong.
//
// Figures are recorded in docs/benchmarks.md. `sync_bench --help` lists the options.
#include <SQLiteCpp/SQLiteCpp.h>
#include <rapidjson/document.h>
#include <zlib.h>
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t hour_ms = 3'600'000;

std::int64_t epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double mib(std::int64_t kib) {
  return static_cast<double>(kib) / 1024.0;
}

// The directory of this executable: lpda-sync and lpda-emulator are built beside it.
fs::path bin_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// A fresh directory under $TMPDIR, removed at destruction unless kept.
class scratch_dir {
 public:
  explicit scratch_dir(bool keep) : keep_(keep) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/sync_bench.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~scratch_dir() {
    std::error_code ec;
    if (keep_)
      std::fprintf(stderr, "kept %s\n", path_.c_str());
    else
      fs::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

// ---- HTTP/1.1 on loopback (Connection: close; the emulator answers with Content-Length) ----

struct http_response {
  int status = 0;
  std::string body;
};

http_response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                           const std::string& extra_headers = "", const std::string& body = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n" + extra_headers;
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::write(fd, req.data() + sent, req.size() - sent);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("write to 127.0.0.1:" + std::to_string(port) + " failed");
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string resp;
  std::vector<char> buf(1 << 16);
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;)
    resp.append(buf.data(), static_cast<std::size_t>(n));
  ::close(fd);
  const auto sp = resp.find(' ');
  const auto hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos)
    throw std::runtime_error("bad HTTP response for " + target);
  if (resp.substr(0, hdr_end).find("chunked") != std::string::npos)
    throw std::runtime_error("chunked response for " + target + " not supported here");
  return {std::stoi(resp.substr(sp + 1, 3)), resp.substr(hdr_end + 4)};
}

// ---- child processes ----

struct child_usage {
  int status = -1;  // exit code, or 128 + signal
  double wall_s = 0;
  double user_s = 0;
  double sys_s = 0;
  std::int64_t max_rss_kib = 0;      // ru_maxrss of the child
  std::int64_t oublock = 0;          // ru_oublock: 512-byte blocks the child caused to be written
  std::int64_t io_write_bytes = -1;  // /proc/PID/io write_bytes at exit (-1: unreadable)
  std::int64_t io_cancelled_bytes = -1;  // cancelled_write_bytes (dirty pages truncated away)
};

// write_bytes and cancelled_write_bytes of /proc/PID/io, or -1 each when unreadable.
std::pair<std::int64_t, std::int64_t> proc_io(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::pair<std::int64_t, std::int64_t> r{-1, -1};
  std::string key;
  std::int64_t value = 0;
  while (in >> key >> value) {
    if (key == "write_bytes:") r.first = value;
    if (key == "cancelled_write_bytes:") r.second = value;
  }
  return r;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// Runs `args` with stdout and stderr appended to `log`, waits with wait4 for its rusage.
child_usage measure_child(const std::vector<std::string>& args, const fs::path& log) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  // Wait for the exit without reaping: the zombie's /proc/PID/io still holds its I/O accounting.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitid failed");
  }
  const auto io = proc_io(pid);
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed");
  }
  child_usage u;
  u.oublock = ru.ru_oublock;
  u.io_write_bytes = io.first;
  u.io_cancelled_bytes = io.second;
  u.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  u.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  u.user_s = seconds(ru.ru_utime);
  u.sys_s = seconds(ru.ru_stime);
  u.max_rss_kib = ru.ru_maxrss;
  return u;
}

// The mode in which this program, freshly exec'ed and still small, runs one measured child:
//   sync_bench --measure-child RESULT_FILE LOG_FILE COMMAND [ARGS...]
// ru_maxrss is the high-water mark of the whole process, and Linux carries it across execve
// from the memory image that fork copied: a child forked from the benchmark after it loaded an
// expected set of a million keys would "peak" at the benchmark's size. Forking lpda-sync from
// this small image keeps the figure lpda-sync's own (this image's RSS is printed as the floor).
constexpr std::string_view measure_flag = "--measure-child";

int measure_child_main(int argc, char** argv) {
  const fs::path result = argv[2];
  const fs::path log = argv[3];
  const std::vector<std::string> args(argv + 4, argv + argc);
  // VmHWM, not getrusage: this process's own ru_maxrss too carries its forking parent's size.
  std::int64_t self_kib = 0;
  {
    std::istringstream in(read_text("/proc/self/status"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmHWM:", 0) == 0) self_kib = std::stoll(line.substr(6));
  }
  const child_usage u = measure_child(args, log);
  std::ofstream out(result);
  out << u.status << ' ' << u.wall_s << ' ' << u.user_s << ' ' << u.sys_s << ' ' << u.max_rss_kib
      << ' ' << self_kib << ' ' << u.oublock << ' ' << u.io_write_bytes << ' '
      << u.io_cancelled_bytes << '\n';
  return out ? 0 : 1;
}

// Runs `args` (through the --measure-child mode) and returns its usage; `floor_kib` receives
// the RSS of the measuring process, below which a peak would not show.
child_usage run_child(const std::vector<std::string>& args, const fs::path& log,
                      std::int64_t* floor_kib) {
  const fs::path result = log.string() + ".usage";
  std::vector<std::string> full{fs::read_symlink("/proc/self/exe").string(),
                                std::string(measure_flag), result.string(), log.string()};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("measuring " + args.front() + " failed; see " + log.string());
  std::istringstream in(read_text(result));
  child_usage u;
  std::int64_t floor = 0;
  in >> u.status >> u.wall_s >> u.user_s >> u.sys_s >> u.max_rss_kib >> floor >> u.oublock >>
      u.io_write_bytes >> u.io_cancelled_bytes;
  if (!in) throw std::runtime_error("bad usage record " + result.string());
  if (floor_kib) *floor_kib = floor;
  return u;
}

// A running lpda-emulator (--port 0); SIGTERM at destruction.
class emulator {
 public:
  emulator(const std::vector<std::string>& args, const fs::path& log) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_s{(bin_dir() / "lpda-emulator").string(), "--port", "0"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) ::dup2(fd, STDERR_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::perror("execv lpda-emulator");
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    ::close(out[0]);
    if (line.rfind("http", 0) != 0) {
      stop();
      throw std::runtime_error("lpda-emulator did not print its URL (see " + log.string() +
                               "): " + line);
    }
    url_ = line;
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }
  ~emulator() { stop(); }
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;

  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }

  /// GET /_control/<command>?<query>; throws unless 200.
  std::string control(const std::string& command, const std::string& query = "") const {
    auto r =
        http_request(port_, "GET", "/_control/" + command + (query.empty() ? "" : "?" + query));
    if (r.status != 200)
      throw std::runtime_error("control " + command + " answered " + std::to_string(r.status) +
                               ": " + r.body);
    return std::move(r.body);
  }

  /// User + system CPU seconds of the emulator so far (/proc/<pid>/stat).
  double cpu_seconds() const {
    const std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && in >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stod(field);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  /// Peak RSS of the emulator so far (VmHWM), KiB.
  std::int64_t peak_rss_kib() const {
    std::istringstream in(read_text("/proc/" + std::to_string(pid_) + "/status"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
    return 0;
  }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::string url_;
  std::uint16_t port_ = 0;
};

// ---- the database and the expected set ----

using key_list = std::vector<std::string>;

// The natural key (account, agentSessionId, agentID, timestamp, type, state, prevState,
// prevConcurrentEng, concurrentEng) as one string.
std::string key_of(const std::string& account, const std::string& session, std::int64_t agent,
                   std::int64_t ts, std::int64_t type, std::int64_t state, std::int64_t prev,
                   std::int64_t pce, std::int64_t ce) {
  std::string s = account;
  s += '\x1f';
  s += session;
  for (const std::int64_t v : {agent, ts, type, state, prev, pce, ce}) {
    s += '\x1f';
    s += std::to_string(v);
  }
  return s;
}

// The emulator's expected set of the available files, restricted to `accounts`, as sorted keys.
key_list expected_keys(const emulator& emu, const fs::path& out,
                       const std::vector<std::string>& accounts) {
  emu.control("expected", "files=available&out=" + out.string());
  std::ifstream in(out);
  key_list keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError()) throw std::runtime_error("bad expected-set line: " + line);
    const std::string account = d["account"].GetString();
    if (std::find(accounts.begin(), accounts.end(), account) == accounts.end()) continue;
    keys.push_back(key_of(account, d["agentSessionId"].GetString(), d["agentID"].GetInt64(),
                          d["timestamp"].GetInt64(), d["type"].GetInt64(), d["state"].GetInt64(),
                          d["prevState"].GetInt64(), d["prevConcurrentEng"].GetInt64(),
                          d["concurrentEng"].GetInt64()));
  }
  std::error_code ec;
  fs::remove(out, ec);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

struct db_figures {
  std::int64_t events = 0;
  std::int64_t files_done = 0;
  std::int64_t files_other = 0;  // failed or quarantined or pending
  std::int64_t bytes = 0;        // downloaded (gzip) bytes of the done files
  key_list keys;                 // sorted, duplicates kept
};

// The natural keys of the events table of either database (lpda-sync's and the baseline's use
// the same table and column names), sorted.
key_list event_keys(const fs::path& db_path) {
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT account_id, agent_session_id, agent_id, timestamp_ms, type, state, "
                      "prev_state, prev_concurrent_eng, concurrent_eng FROM agent_activity_events");
  key_list keys;
  while (q.executeStep())
    keys.push_back(
        key_of(q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
               q.getColumn(3).getInt64(), q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
               q.getColumn(6).getInt64(), q.getColumn(7).getInt64(), q.getColumn(8).getInt64()));
  std::sort(keys.begin(), keys.end());
  return keys;
}

db_figures read_database(const fs::path& db_path) {
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
  db_figures f;
  f.events = db.execAndGet("SELECT count(*) FROM agent_activity_events").getInt64();
  SQLite::Statement files(db,
                          "SELECT status = 'done', count(*), coalesce(sum(bytes), 0) FROM files "
                          "GROUP BY status = 'done'");
  while (files.executeStep()) {
    if (files.getColumn(0).getInt() != 0) {
      f.files_done = files.getColumn(1).getInt64();
      f.bytes = files.getColumn(2).getInt64();
    } else {
      f.files_other = files.getColumn(1).getInt64();
    }
  }
  f.keys = event_keys(db_path);
  return f;
}

// "OK" when the database holds exactly the expected keys; otherwise how it differs.
std::string compare(const key_list& expected, const key_list& actual) {
  key_list missing;
  key_list extra;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  key_list distinct = actual;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (missing.empty() && extra.empty() && distinct.size() == actual.size() && !expected.empty())
    return "OK";
  return "MISMATCH (expected " + std::to_string(expected.size()) + ", stored " +
         std::to_string(actual.size()) + ", missing " + std::to_string(missing.size()) +
         ", extra " + std::to_string(extra.size()) + ", duplicates " +
         std::to_string(actual.size() - distinct.size()) + ")";
}

// ---- config and one sync run ----

struct sync_options {
  std::vector<std::string> accounts;
  std::int64_t initial_start_ms = 0;
  int concurrency = 0;  // 0: the config default (not written)
};

fs::path write_config(const fs::path& dir, const std::string& url, const sync_options& o) {
  std::string y;
  y += "database: " + (dir / "lpda.db").string() + "\n";
  y += "listen: \"\"\n";
  y += "log: {level: warn}\n";
  if (o.concurrency > 0)
    y += "client: {max_concurrent_downloads: " + std::to_string(o.concurrency) + "}\n";
  y += "defaults:\n";
  // A duration before now covering the data (minutes, so no date formatting is needed).
  const std::int64_t minutes = (epoch_ms() - o.initial_start_ms) / 60000 + 1;
  y += "  initial_start: " + std::to_string(minutes) + "m\n";
  y += "accounts:\n";
  for (const auto& a : o.accounts) {
    y += "  - id: \"" + a + "\"\n    base_url: " + url + "\n";
    y += "    auth: {oauth1: {app_key: emulator-app-key, app_secret: emulator-app-secret, "
         "access_token: emulator-access-token, access_token_secret: "
         "emulator-access-token-secret}}\n";
  }
  const auto path = dir / "config.yaml";
  write_text(path, y);
  return path;
}

struct sync_run {
  std::string label;
  child_usage usage;
  double emulator_cpu_s = 0;
  std::int64_t floor_kib = 0;  // RSS of the measuring process (a lower bound of the peak shown)
  db_figures db;
  std::string check;
};

sync_run run_sync(const std::string& label, const emulator& emu, const fs::path& root,
                  const sync_options& o, const key_list& expected) {
  std::string dir_name = "run-" + label;
  std::replace(dir_name.begin(), dir_name.end(), ' ', '-');
  const fs::path dir = root / dir_name;
  fs::create_directories(dir);
  const auto config = write_config(dir, emu.url(), o);
  std::fprintf(stderr, "  running lpda-sync once (%s) ...\n", label.c_str());
  const double emu_cpu0 = emu.cpu_seconds();
  sync_run r;
  r.label = label;
  r.usage = run_child({(bin_dir() / "lpda-sync").string(), "once", "--config", config.string()},
                      dir / "lpda-sync.log", &r.floor_kib);
  r.emulator_cpu_s = emu.cpu_seconds() - emu_cpu0;
  if (r.usage.status != 0)
    std::fprintf(stderr, "  lpda-sync once exited %d; see %s\n", r.usage.status,
                 (dir / "lpda-sync.log").c_str());
  r.db = read_database(dir / "lpda.db");
  r.check = compare(expected, r.db.keys);
  r.db.keys = key_list{};
  std::error_code ec;
  fs::remove_all(dir / "lpda.db.spool", ec);
  return r;
}

double per_s(double n, double s) {
  return s > 0 ? n / s : 0;
}

void print_runs(const std::vector<sync_run>& runs, double store_rate) {
  auto row = [&](const char* name, auto&& cell) {
    std::printf("%-34s", name);
    for (const auto& r : runs) std::printf(" %20s", cell(r).c_str());
    std::printf("\n");
  };
  auto num = [](const char* fmt, double v) {
    char b[64];
    std::snprintf(b, sizeof b, fmt, v);
    return std::string(b);
  };
  row("", [](const sync_run& r) { return r.label; });
  row("exit status", [](const sync_run& r) { return std::to_string(r.usage.status); });
  row("check against expected set", [](const sync_run& r) { return r.check.substr(0, 20); });
  row("events stored", [](const sync_run& r) { return std::to_string(r.db.events); });
  row("files done", [](const sync_run& r) { return std::to_string(r.db.files_done); });
  row("files not done", [](const sync_run& r) { return std::to_string(r.db.files_other); });
  row("downloaded MB (gzip, 10^6 B)",
      [&](const sync_run& r) { return num("%.2f", static_cast<double>(r.db.bytes) / 1e6); });
  row("wall time s", [&](const sync_run& r) { return num("%.2f", r.usage.wall_s); });
  row("events/s (wall)", [&](const sync_run& r) {
    return num("%.0f", per_s(static_cast<double>(r.db.events), r.usage.wall_s));
  });
  row("files/s (wall)", [&](const sync_run& r) {
    return num("%.1f", per_s(static_cast<double>(r.db.files_done), r.usage.wall_s));
  });
  row("MB/s downloaded (wall)", [&](const sync_run& r) {
    return num("%.2f", per_s(static_cast<double>(r.db.bytes) / 1e6, r.usage.wall_s));
  });
  row("peak RSS lpda-sync MiB",
      [&](const sync_run& r) { return num("%.1f", mib(r.usage.max_rss_kib)); });
  row("  (measuring process MiB)",
      [&](const sync_run& r) { return num("%.1f", mib(r.floor_kib)); });
  row("lpda-sync CPU s user + sys", [&](const sync_run& r) {
    return num("%.2f", r.usage.user_s) + " + " + num("%.2f", r.usage.sys_s);
  });
  row("lpda-sync CPU / wall", [&](const sync_run& r) {
    return num("%.0f %%", 100 * per_s(r.usage.user_s + r.usage.sys_s, r.usage.wall_s));
  });
  row("events per lpda-sync CPU s", [&](const sync_run& r) {
    return num("%.0f", per_s(static_cast<double>(r.db.events), r.usage.user_s + r.usage.sys_s));
  });
  row("emulator CPU s during the run",
      [&](const sync_run& r) { return num("%.2f", r.emulator_cpu_s); });
  if (store_rate > 0)
    row("events/s (wall) vs store fresh", [&](const sync_run& r) {
      return num("%.0f %%",
                 100 * per_s(static_cast<double>(r.db.events), r.usage.wall_s) / store_rate);
    });
  for (const auto& r : runs)
    if (r.check != "OK") std::printf("%s: %s\n", r.label.c_str(), r.check.c_str());
}

// ---- large file: size of a download, inflated ----

struct file_size {
  std::size_t gzip_bytes = 0;
  std::size_t inflated_bytes = 0;
  std::size_t lines = 0;
  double download_s = 0;  // wall time of the emulator's answer (it generates the file per request)
};

std::string bearer_token(const emulator& emu) {
  const auto r = http_request(emu.port(), "POST", "/oauth2/token",
                              "Content-Type: application/x-www-form-urlencoded\r\n",
                              "grant_type=client_credentials&client_id=emulator-client&"
                              "client_secret=emulator-client-secret");
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (r.status != 200 || d.HasParseError() || !d.HasMember("access_token"))
    throw std::runtime_error("token request answered " + std::to_string(r.status) + ": " + r.body);
  return d["access_token"].GetString();
}

// Downloads a file from the emulator (OAuth 2.0 bearer) and inflates every gzip member of it,
// counting the inflated bytes and lines, independently of lpda-sync's decoder.
file_size measure_file(const emulator& emu, const std::string& account, const std::string& name) {
  const std::string auth = "Authorization: Bearer " + bearer_token(emu) + "\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_request(
      emu.port(), "GET", "/data_access_le/account/" + account + "/le/agentActivity/" + name + ".gz",
      auth);
  const double download_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.status != 200)
    throw std::runtime_error("download of " + name + " answered " + std::to_string(r.status));
  file_size s;
  s.gzip_bytes = r.body.size();
  s.download_s = download_s;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  std::vector<unsigned char> out(1 << 16);
  std::size_t pos = 0;
  while (pos < r.body.size()) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(r.body.data() + pos));
    const std::size_t chunk = std::min<std::size_t>(r.body.size() - pos, 1 << 20);
    z.avail_in = static_cast<uInt>(chunk);
    int rc = Z_OK;
    // Until the chunk is used up and no output is pending (a full buffer may hold back more).
    while ((z.avail_in > 0 || z.avail_out == 0) && rc != Z_STREAM_END) {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        inflateEnd(&z);
        throw std::runtime_error("inflate of " + name + " failed");
      }
      const std::size_t n = out.size() - z.avail_out;
      s.inflated_bytes += n;
      s.lines += static_cast<std::size_t>(
          std::count(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), '\n'));
    }
    pos += chunk - z.avail_in;
    if (rc == Z_STREAM_END) inflateReset(&z);  // a next member, if any
  }
  inflateEnd(&z);
  return s;
}

std::string json_string(const std::string& body, const char* key) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (d.HasParseError() || !d.HasMember(key))
    throw std::runtime_error("no " + std::string(key) + " in " + body);
  return d[key].GetString();
}

// The first three fields of /proc/loadavg: the machine may be shared, and wall times show it.
std::string load_average() {
  std::istringstream in(read_text("/proc/loadavg"));
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

// ---- scenario 3: a large account's dense files into a database of hundreds of MiB ----

struct realistic_options {
  std::string account = "12345678";
  int agents = 300;
  int hours = 504;
  double min_db_mib = 500;  // the database the scenario is meant to reach; 0: no floor
  std::uint64_t seed = 1;
  std::string python = "/usr/bin/python3";
  std::string baseline = LPDA_BENCH_SOURCE_DIR "/python_baseline.py";
  bool skip_python = false;
};

struct realistic_run {
  std::string label;
  bool ran = false;
  child_usage usage;
  std::int64_t floor_kib = 0;
  std::int64_t events = 0;
  std::int64_t db_bytes = 0;   // the database file at exit
  std::int64_t wal_bytes = 0;  // the WAL beside it at exit (0 when none is left)
  std::string check = "not run";
};

std::int64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

// Sizes and the check of a finished run's database.
void finish_run(realistic_run& r, const fs::path& db, const key_list& expected) {
  r.wal_bytes = size_or_zero(db.string() + "-wal");
  r.db_bytes = size_or_zero(db);
  const key_list keys = event_keys(db);
  r.events = static_cast<std::int64_t>(keys.size());
  r.check = compare(expected, keys);
}

std::int64_t count_lines(const fs::path& p) {
  const std::string text = read_text(p);
  return static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n'));
}

void print_realistic(const std::vector<realistic_run>& runs) {
  auto num = [](const char* fmt, double v) {
    char b[64];
    std::snprintf(b, sizeof b, fmt, v);
    return std::string(b);
  };
  auto row = [&](const char* name, auto&& cell) {
    std::printf("%-44s", name);
    for (const auto& r : runs) std::printf(" %22s", r.ran ? cell(r).c_str() : "-");
    std::printf("\n");
  };
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  auto cpu = [](const realistic_run& r) { return r.usage.user_s + r.usage.sys_s; };
  auto written = [](const realistic_run& r) { return r.usage.oublock * 512; };
  std::printf("%-44s", "");
  for (const auto& r : runs) std::printf(" %22s", r.label.c_str());
  std::printf("\n");
  row("exit status", [](const realistic_run& r) { return std::to_string(r.usage.status); });
  row("check against expected set", [](const realistic_run& r) { return r.check.substr(0, 22); });
  row("events stored", [](const realistic_run& r) { return std::to_string(r.events); });
  row("wall time s", [&](const realistic_run& r) { return num("%.2f", r.usage.wall_s); });
  row("events/s (wall)",
      [&](const realistic_run& r) { return num("%.0f", per_s(d(r.events), r.usage.wall_s)); });
  row("CPU s user + sys", [&](const realistic_run& r) {
    return num("%.2f", r.usage.user_s) + " + " + num("%.2f", r.usage.sys_s);
  });
  row("events per CPU second",
      [&](const realistic_run& r) { return num("%.0f", per_s(d(r.events), cpu(r))); });
  row("peak RSS MiB",
      [&](const realistic_run& r) { return num("%.1f", mib(r.usage.max_rss_kib)); });
  row("  (measuring process MiB)",
      [&](const realistic_run& r) { return num("%.1f", mib(r.floor_kib)); });
  row("written MiB (ru_oublock x 512)",
      [&](const realistic_run& r) { return num("%.1f", d(written(r)) / 1048576.0); });
  row("written MiB (/proc/PID/io write_bytes)", [&](const realistic_run& r) {
    return r.usage.io_write_bytes < 0 ? std::string("unreadable")
                                      : num("%.1f", d(r.usage.io_write_bytes) / 1048576.0);
  });
  row("  cancelled MiB (cancelled_write_bytes)", [&](const realistic_run& r) {
    return r.usage.io_cancelled_bytes < 0 ? std::string("unreadable")
                                          : num("%.1f", d(r.usage.io_cancelled_bytes) / 1048576.0);
  });
  row("bytes written per event",
      [&](const realistic_run& r) { return num("%.0f", per_s(d(written(r)), d(r.events))); });
  row("database file MiB at exit",
      [&](const realistic_run& r) { return num("%.1f", d(r.db_bytes) / 1048576.0); });
  row("WAL left at exit MiB",
      [&](const realistic_run& r) { return num("%.1f", d(r.wal_bytes) / 1048576.0); });
  row("database file bytes per event",
      [&](const realistic_run& r) { return num("%.1f", per_s(d(r.db_bytes), d(r.events))); });
  row("database file MiB per million events", [&](const realistic_run& r) {
    return num("%.1f", per_s(d(r.db_bytes) / 1048576.0, d(r.events) / 1e6));
  });
  row("written / database file size",
      [&](const realistic_run& r) { return num("%.2f x", per_s(d(written(r)), d(r.db_bytes))); });
  for (const auto& r : runs)
    if (r.ran && r.check != "OK") std::printf("%s: %s\n", r.label.c_str(), r.check.c_str());
}

// Runs scenario 3 and returns whether every run it made was correct (exit 0, expected set).
bool run_realistic(const fs::path& root, const realistic_options& o, std::int64_t now) {
  std::printf("\n== Scenario 3: realistic, preset large-account, %d agents x %d h, no latency ==\n",
              o.agents, o.hours);
  const fs::path emu_log = root / "emulator-3.log";
  emulator emu({"--accounts", o.account, "--preset", "large-account", "--agents",
                std::to_string(o.agents), "--hours", std::to_string(o.hours), "--now",
                std::to_string(now), "--seed", std::to_string(o.seed), "--pregenerate"},
               emu_log);
  {
    // The emulator rendered every file before printing its URL: generation is not timed.
    std::istringstream log(read_text(emu_log));
    std::string line;
    while (std::getline(log, line))
      if (line.find("pregenerated") != std::string::npos) std::printf("%s\n", line.c_str());
  }
  const auto expected = expected_keys(emu, root / "expected-3.ndjson", {o.account});
  std::printf("expected set: %zu distinct events\n", expected.size());
  const std::int64_t start_ms = now - (o.hours + 2) * hour_ms;

  realistic_run sync;
  sync.label = "lpda-sync once";
  const fs::path sync_dir = root / "run-realistic";
  fs::create_directories(sync_dir);
  sync_options so;
  so.accounts = {o.account};
  so.initial_start_ms = start_ms;
  const auto config = write_config(sync_dir, emu.url(), so);
  std::fprintf(stderr, "  running lpda-sync once (realistic) ...\n");
  sync.usage = run_child({(bin_dir() / "lpda-sync").string(), "once", "--config", config.string()},
                         sync_dir / "lpda-sync.log", &sync.floor_kib);
  sync.ran = true;
  if (sync.usage.status != 0)
    std::fprintf(stderr, "  lpda-sync once exited %d; see %s\n", sync.usage.status,
                 (sync_dir / "lpda-sync.log").c_str());

  // A one-day availability report on the database just written (the last whole UTC day of the
  // data, or the day the data ends in when it spans less).
  constexpr std::int64_t day_ms = 24 * hour_ms;
  std::int64_t day = (now / day_ms - 1) * day_ms;
  if (day < start_ms) day = (now / day_ms) * day_ms;
  std::fprintf(stderr, "  running lpda-sync report availability ...\n");
  const fs::path report_log = sync_dir / "report.txt";
  const child_usage report = run_child(
      {(bin_dir() / "lpda-sync").string(), "report", "availability", "--config", config.string(),
       "--from", std::to_string(day), "--to", std::to_string(day + day_ms)},
      report_log, nullptr);
  finish_run(sync, sync_dir / "lpda.db", expected);
  std::error_code ec;
  fs::remove_all(sync_dir / "lpda.db.spool", ec);

  realistic_run py;
  py.label = "Python baseline";
  const bool have_python =
      !o.skip_python &&
      std::system((o.python + " -c 'import requests, requests_oauthlib' 2>/dev/null").c_str()) == 0;
  if (!have_python) {
    std::printf("Python baseline: %s\n",
                o.skip_python ? "skipped (--skip-python)"
                              : "SKIPPED: python3-requests or python3-requests-oauthlib is "
                                "missing (scripts/install-deps --bench)");
  } else {
    const fs::path py_dir = root / "run-python";
    fs::create_directories(py_dir);
    std::fprintf(stderr, "  running the Python baseline ...\n");
    py.usage = run_child(
        {o.python, o.baseline, "--base-url", emu.url(), "--account", o.account, "--database",
         (py_dir / "baseline.db").string(), "--start-ms", std::to_string(start_ms), "--end-ms",
         std::to_string(now + 1), "--expect-rows", std::to_string(expected.size())},
        py_dir / "baseline.log", &py.floor_kib);
    py.ran = true;
    if (py.usage.status != 0)
      std::fprintf(stderr, "  the Python baseline exited %d; see %s\n", py.usage.status,
                   (py_dir / "baseline.log").c_str());
    finish_run(py, py_dir / "baseline.db", expected);
  }

  print_realistic({sync, py});
  std::printf(
      "one-day report availability (%s day starting %lld ms): exit %d, %.3f s wall, "
      "%.3f CPU s, %.1f MiB written, peak RSS %.1f MiB, %lld lines\n",
      day < now - day_ms ? "whole" : "partial", static_cast<long long>(day), report.status,
      report.wall_s, report.user_s + report.sys_s,
      static_cast<double>(report.oublock * 512) / 1048576.0, mib(report.max_rss_kib),
      static_cast<long long>(count_lines(report_log)));
  const double events = static_cast<double>(sync.events);
  const double sync_cpu = sync.usage.user_s + sync.usage.sys_s;
  if (py.ran) {
    const double wall_ratio = per_s(per_s(events, sync.usage.wall_s),
                                    per_s(static_cast<double>(py.events), py.usage.wall_s));
    const double cpu_ratio =
        per_s(per_s(events, sync_cpu),
              per_s(static_cast<double>(py.events), py.usage.user_s + py.usage.sys_s));
    std::printf(
        "lpda-sync / Python baseline: %.2f x the wall-clock throughput, %.2f x per CPU "
        "second\n",
        wall_ratio, cpu_ratio);
    std::printf("target: >= 5 x the Python baseline's wall-clock throughput: %s (%.2f x)\n",
                wall_ratio >= 5 ? "met" : "NOT met", wall_ratio);
  }
  const double db_mib = static_cast<double>(sync.db_bytes) / 1048576.0;
  const double written = static_cast<double>(sync.usage.oublock * 512);
  std::printf("target: bytes written <= 3 x the final database: %s (%.2f x)\n",
              written <= 3.0 * static_cast<double>(sync.db_bytes) ? "met" : "NOT met",
              per_s(written, static_cast<double>(sync.db_bytes)));
  std::printf("target: >= 300,000 events per CPU second: %s (%.0f)\n",
              per_s(events, sync_cpu) >= 300000 ? "met" : "NOT met", per_s(events, sync_cpu));
  std::printf("target: one-day report availability <= 2 s: %s (%.3f s)\n",
              report.wall_s <= 2 ? "met" : "NOT met", report.wall_s);
  std::printf("target: peak RSS <= 64 MiB: %s (%.1f MiB)\n",
              mib(sync.usage.max_rss_kib) <= 64 ? "met" : "NOT met", mib(sync.usage.max_rss_kib));
  if (o.min_db_mib > 0 && db_mib < o.min_db_mib)
    std::printf(
        "NOTE: the database is %.1f MiB, below the scenario's %.0f MiB: raise "
        "--realistic-agents or --realistic-hours\n",
        db_mib, o.min_db_mib);
  std::printf("emulator peak RSS %.1f MiB\n", mib(emu.peak_rss_kib()));
  return sync.usage.status == 0 && sync.check == "OK" && report.status == 0 &&
         (!py.ran || (py.usage.status == 0 && py.check == "OK"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && argv[1] == measure_flag) return measure_child_main(argc, argv);
  CLI::App app{
      "End-to-end sync benchmark: starts lpda-emulator and runs `lpda-sync once` (both from this\n"
      "program's directory) on 127.0.0.1, prints events/s, files/s, MB/s, peak RSS and wall time,\n"
      "and checks every database against the emulator's expected set."};
  std::string accounts_opt = "12345678";
  int agents = 200;
  int hours = 168;
  int latency_ms = 20;
  std::string concurrency_opt = "1,8";
  double large_mb = 200;
  long large_sessions = 0;
  double store_rate = 815000;
  bool skip_main = false;
  bool skip_large = false;
  bool skip_realistic = false;
  bool small = false;
  realistic_options ro;
  bool keep = false;
  std::uint64_t seed = 1;
  app.add_option("--accounts", accounts_opt, "Scenario 1: comma-separated account ids")
      ->capture_default_str();
  app.add_option("--agents", agents, "Scenario 1: agents per account")->capture_default_str();
  app.add_option("--hours", hours, "Scenario 1: hours of data, ending now (at most 28 days)")
      ->capture_default_str()
      ->check(CLI::Range(1, 28 * 24));
  app.add_option("--latency-ms", latency_ms,
                 "Added to every Data Access response by the emulator (ms)")
      ->capture_default_str();
  app.add_option(
         "--concurrency", concurrency_opt,
         "Scenario 1: comma-separated max_concurrent_downloads, one run each (8 is the default)")
      ->capture_default_str();
  app.add_option("--seed", seed, "Emulator data seed")->capture_default_str();
  app.add_option("--large-mb", large_mb, "Scenario 2: inflated size of the large file (10^6 bytes)")
      ->capture_default_str();
  app.add_option("--large-sessions", large_sessions,
                 "Scenario 2: sessions of the large file; 0 calibrates them from --large-mb")
      ->capture_default_str();
  app.add_option("--store-rate", store_rate,
                 "Fresh upsert rate of store_bench (events/s) that events/s are compared with; "
                 "docs/benchmarks.md ## Store")
      ->capture_default_str();
  app.add_option("--realistic-agents", ro.agents, "Scenario 3: agents of the large-account preset")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--realistic-hours", ro.hours,
                 "Scenario 3: hours of data, ending now (at most 28 days)")
      ->capture_default_str()
      ->check(CLI::Range(1, 28 * 24));
  app.add_option("--realistic-min-db-mib", ro.min_db_mib,
                 "Scenario 3: the database size (MiB) it is meant to reach; a smaller one is "
                 "flagged (0: none)")
      ->capture_default_str();
  app.add_option("--python", ro.python, "Scenario 3: the Python interpreter of the baseline")
      ->capture_default_str();
  app.add_option("--python-baseline", ro.baseline, "Scenario 3: the baseline script")
      ->capture_default_str();
  app.add_flag("--skip-python", ro.skip_python, "Scenario 3: do not run the Python baseline");
  app.add_flag("--skip-main", skip_main, "Skip scenario 1");
  app.add_flag("--skip-large", skip_large, "Skip scenario 2");
  app.add_flag("--skip-realistic", skip_realistic, "Skip scenario 3");
  app.add_flag("--small", small,
               "Scenario 3 only, at 20 agents x 8 h (seconds): proves the harness works; its "
               "figures mean nothing");
  app.add_flag("--keep", keep, "Keep the scratch directory (databases, configs, logs)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress on stderr and figures on stdout interleave

  if (small) {
    skip_main = skip_large = true;
    skip_realistic = false;
    ro.agents = 20;
    ro.hours = 8;
    ro.min_db_mib = 0;
  }
  ro.seed = seed;
  bool ok = true;
  try {
    const auto accounts = split(accounts_opt, ',');
    std::vector<int> concurrencies;
    for (const auto& c : split(concurrency_opt, ',')) concurrencies.push_back(std::stoi(c));
    if (accounts.empty() || concurrencies.empty())
      throw std::runtime_error("--accounts and --concurrency must not be empty");
    scratch_dir scratch(keep);
    const fs::path& root = scratch.path();
    std::printf("sync_bench: nproc %u, load average %s, lpda-sync and lpda-emulator from %s\n",
                std::thread::hardware_concurrency(), load_average().c_str(), bin_dir().c_str());

    // "now" is fixed for the emulator so that every run sees the same files.
    const std::int64_t now = epoch_ms();
    if (!skip_main) {
      std::printf("\n== Scenario 1: %zu account(s) x %d agents x %d h, %d ms latency ==\n",
                  accounts.size(), agents, hours, latency_ms);
      emulator emu({"--accounts", accounts_opt, "--agents", std::to_string(agents), "--hours",
                    std::to_string(hours), "--now", std::to_string(now), "--latency-ms",
                    std::to_string(latency_ms), "--seed", std::to_string(seed)},
                   root / "emulator-1.log");
      const auto expected = expected_keys(emu, root / "expected.ndjson", accounts);
      std::printf("expected set: %zu distinct events\n", expected.size());
      sync_options o;
      o.accounts = accounts;
      o.initial_start_ms = now - (hours + 2) * hour_ms;
      std::vector<sync_run> runs;
      for (const int c : concurrencies) {
        o.concurrency = c;
        runs.push_back(run_sync("concurrency " + std::to_string(c), emu, root, o, expected));
      }
      print_runs(runs, store_rate);
      std::printf("emulator peak RSS %.1f MiB\n", mib(emu.peak_rss_kib()));
    }

    if (!skip_large) {
      std::printf("\n== Scenario 2: one large file of ~%.0f MB inflated ==\n", large_mb);
      const std::string account = "12345678";
      const std::string probe_account = "999";  // not synced: calibration only
      emulator emu({"--accounts", account + "," + probe_account, "--agents", "1", "--hours", "2",
                    "--now", std::to_string(now), "--seed", std::to_string(seed)},
                   root / "emulator-2.log");
      const std::string scope = std::to_string(now - 2 * hour_ms + 60000);
      if (large_sessions <= 0) {
        const long probe = 2000;
        const auto name =
            json_string(emu.control("add-file", "account=" + probe_account + "&scope=" + scope +
                                                    "&sessions=" + std::to_string(probe)),
                        "name");
        const auto s = measure_file(emu, probe_account, name);
        const double per_session =
            static_cast<double>(s.inflated_bytes) / static_cast<double>(probe);
        large_sessions = static_cast<long>(std::ceil(large_mb * 1e6 / per_session));
        std::printf(
            "calibration: %ld sessions = %zu bytes inflated (%.0f bytes/session) -> %ld sessions\n",
            probe, s.inflated_bytes, per_session, large_sessions);
      }
      const auto name =
          json_string(emu.control("add-file", "account=" + account + "&scope=" + scope +
                                                  "&sessions=" + std::to_string(large_sessions)),
                      "name");
      const auto size = measure_file(emu, account, name);
      std::printf(
          "large file %s: %ld sessions, %zu lines, %.1f MB inflated, %.2f MB gzip; the emulator "
          "takes %.2f s to answer its download\n",
          name.c_str(), large_sessions, size.lines, static_cast<double>(size.inflated_bytes) / 1e6,
          static_cast<double>(size.gzip_bytes) / 1e6, size.download_s);
      const auto expected = expected_keys(emu, root / "expected-2.ndjson", {account});
      std::printf("expected set: %zu distinct events\n", expected.size());
      sync_options o;
      o.accounts = {account};
      o.initial_start_ms = now - 4 * hour_ms;
      std::vector<sync_run> runs{run_sync("large file", emu, root, o, expected)};
      print_runs(runs, store_rate);
      std::printf("emulator peak RSS %.1f MiB\n", mib(emu.peak_rss_kib()));
      std::printf("target: peak RSS of lpda-sync <= 64 MiB: %s (%.1f MiB)\n",
                  mib(runs[0].usage.max_rss_kib) <= 64 ? "met" : "NOT met",
                  mib(runs[0].usage.max_rss_kib));
      const double rate = per_s(static_cast<double>(runs[0].db.events), runs[0].usage.wall_s);
      std::printf("target: events/s >= 60 %% of %.0f = %.0f: %s (%.0f)\n", store_rate,
                  0.6 * store_rate, rate >= 0.6 * store_rate ? "met" : "NOT met", rate);
    }
    if (!skip_realistic) ok = run_realistic(root, ro, now) && ok;
    std::printf("\nload average at the end %s\n", load_average().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
    return 1;
  }
  return ok ? 0 : 1;
}
