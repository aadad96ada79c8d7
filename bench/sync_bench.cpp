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
  std::int64_t max_rss_kib = 0;  // ru_maxrss of the child
};

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
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed");
  }
  child_usage u;
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
      << ' ' << self_kib << '\n';
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
  in >> u.status >> u.wall_s >> u.user_s >> u.sys_s >> u.max_rss_kib >> floor;
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
  SQLite::Statement q(db,
                      "SELECT account_id, agent_session_id, agent_id, timestamp_ms, type, state, "
                      "prev_state, prev_concurrent_eng, concurrent_eng FROM agent_activity_events");
  f.keys.reserve(static_cast<std::size_t>(f.events));
  while (q.executeStep())
    f.keys.push_back(
        key_of(q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
               q.getColumn(3).getInt64(), q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
               q.getColumn(6).getInt64(), q.getColumn(7).getInt64(), q.getColumn(8).getInt64()));
  std::sort(f.keys.begin(), f.keys.end());
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
  app.add_flag("--skip-main", skip_main, "Skip scenario 1");
  app.add_flag("--skip-large", skip_large, "Skip scenario 2");
  app.add_flag("--keep", keep, "Keep the scratch directory (databases, configs, logs)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress on stderr and figures on stdout interleave

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
    std::printf("\nload average at the end %s\n", load_average().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
