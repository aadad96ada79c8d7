#include "harness.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace lpda::test {
namespace {

std::string canonical(const std::string& account, const std::string& session, std::int64_t agent,
                      std::int64_t ts, std::int64_t type, std::int64_t state, std::int64_t prev,
                      std::int64_t pce, std::int64_t ce, const std::string& max, const std::string& group,
                      const std::string& emp, const std::string& user, const std::string& nick,
                      const std::string& login) {
  std::string s;
  for (const std::string& part :
       {account, session, std::to_string(agent), std::to_string(ts), std::to_string(type),
        std::to_string(state), std::to_string(prev), std::to_string(pce), std::to_string(ce), max,
        group, emp, user, nick, login}) {
    s += part;
    s += '\x1f';
  }
  return s;
}

std::string json_text(const rapidjson::Value& v) {
  if (v.IsNull()) return "<null>";
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  throw std::runtime_error("unexpected JSON value in the expected set");
}

std::string column_text(const SQLite::Column& c) {
  return c.isNull() ? std::string("<null>") : c.getString();
}

// Appends `ours` to the options already in the environment variable `name` (the later value of
// an option wins, so ours do).
void add_options(const char* name, const std::string& ours) {
  const char* before = std::getenv(name);
  const std::string value = before && *before ? std::string(before) + ":" + ours : ours;
  ::setenv(name, value.c_str(), 1);
}

}  // namespace

std::int64_t scaled_ms(std::int64_t ms) {
  static const double scale = [] {
    const char* s = std::getenv("LPDA_TEST_TIME_SCALE");
    const double v = s ? std::strtod(s, nullptr) : 1.0;
    return v > 0 ? v : 1.0;
  }();
  return static_cast<std::int64_t>(static_cast<double>(ms) * scale);
}

const std::filesystem::path& sanitizer_log_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d;
    if (const char* env = std::getenv("LPDA_SANITIZER_LOG_DIR"); env && *env) {
      d = env;
      std::filesystem::create_directories(d);
    } else {
      std::string templ =
          (std::filesystem::temp_directory_path() / "lpda-sanitizer-XXXXXX").string();
      if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
      d = templ;
    }
    // ASan exits 1 by default, an exit code some tests expect for other reasons: 86 is no exit
    // code of lpda-sync or the emulator. A report goes to <dir>/<tool>.<pid>, never mixed into
    // the output a test parses.
    add_options("ASAN_OPTIONS", "exitcode=86:log_path=" + (d / "asan").string());
    add_options("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=" +
                                     (d / "ubsan").string());
    add_options("TSAN_OPTIONS", "exitcode=86:log_path=" + (d / "tsan").string());
    return d;
  }();
  return dir;
}

void check_sanitizer_logs() {
  static std::mutex m;
  static std::set<std::string> reported;
  const std::lock_guard lock(m);
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(sanitizer_log_dir(), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    const bool report =
        name.starts_with("asan.") || name.starts_with("ubsan.") || name.starts_with("tsan.");
    if (!report || !reported.insert(name).second) continue;
    std::string text;
    try {
      text = read_file(it->path());
    } catch (const std::exception& e) {
      text = e.what();
    }
    if (text.size() > 30000)
      text = text.substr(0, 30000) + "\n[... cut; the whole report is in the file]";
    FAIL_CHECK("sanitizer report " << it->path().string() << ":\n" << text);
  }
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  const char* text = ::strsignal(sig);
  return std::string("SIG") + (abbrev ? abbrev : std::to_string(sig)) + " (" +
         (text ? text : "unknown signal") + ")";
}

std::string tail_of(const std::filesystem::path& p, std::size_t lines) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; pos > 0; --pos)
    if (text[pos - 1] == '\n' && ++n == lines) break;
  return text.substr(pos);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

emulator_process::emulator_process(const std::vector<std::string>& args) {
  (void)sanitizer_log_dir();
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const std::string bin = (bin_dir() / "lpda-emulator").string();
  std::vector<std::string> argv_s{bin, "--port", "0"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  // With the real clock, every file of the served hours exists when the test starts: by default
  // the last hour's files are published 5-25 minutes into the current hour, so a test running
  // then would see one appear between a sync and the expected set read after it. Here 0.6 s.
  const auto has = [&](const char* option) {
    return std::find(args.begin(), args.end(), option) != args.end();
  };
  if (!has("--now") && !has("--from") && !has("--publish-delay-min"))
    argv_s.insert(argv_s.end(), {"--publish-delay-min", "0.01-0.01"});
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    std::perror("execv lpda-emulator");
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(out[0]);
  if (line.rfind("http", 0) != 0) throw std::runtime_error("lpda-emulator did not print its URL: " + line);
  url_ = line;
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
}

emulator_process::~emulator_process() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = now_ms() + scaled_ms(2000);
  int status = 0;
  bool ended = false;
  while (!(ended = ::waitpid(pid_, &status, WNOHANG) == pid_) && now_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!ended) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
    // Its stderr is the test's: the report or the last words are in the test output above.
    MESSAGE("lpda-emulator (pid " << pid_ << ") died of " << signal_name(WTERMSIG(status)));
  }
  check_sanitizer_logs();
}

std::string emulator_process::control(const std::string& command, const std::string& query) const {
  const auto [status, body] = http_get(port_, "/_control/" + command + (query.empty() ? "" : "?" + query));
  if (status != 200)
    throw std::runtime_error("control " + command + " answered " + std::to_string(status) + ": " + body);
  return body;
}

std::pair<int, std::string> http_get(std::uint16_t port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to the emulator failed");
  }
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    throw std::runtime_error("write to the emulator failed");
  }
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto sp = resp.find(' ');
  const auto hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos)
    throw std::runtime_error("bad HTTP response from the emulator");
  std::string body = resp.substr(hdr_end + 4);
  // The control API answers with Content-Length bodies; a chunked body would need decoding.
  if (resp.substr(0, hdr_end).find("chunked") != std::string::npos)
    throw std::runtime_error("chunked control response not supported by the test client");
  return {std::stoi(resp.substr(sp + 1, 3)), body};
}

std::set<std::string> expected_rows(const std::string& ndjson) {
  return expected_rows_without(ndjson, {});
}

std::set<std::string> expected_rows_without(const std::string& ndjson,
                                            const std::set<std::string>& without_files) {
  std::set<std::string> rows;
  std::size_t pos = 0;
  while (pos < ndjson.size()) {
    auto end = ndjson.find('\n', pos);
    if (end == std::string::npos) end = ndjson.size();
    const std::string line = ndjson.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError()) throw std::runtime_error("bad expected-set line: " + line);
    if (!without_files.empty() && d.HasMember("file") &&
        without_files.count(d["file"].GetString()) != 0)
      continue;
    rows.insert(canonical(d["account"].GetString(), d["agentSessionId"].GetString(),
                          d["agentID"].GetInt64(), d["timestamp"].GetInt64(), d["type"].GetInt64(),
                          d["state"].GetInt64(), d["prevState"].GetInt64(),
                          d["prevConcurrentEng"].GetInt64(), d["concurrentEng"].GetInt64(),
                          json_text(d["maxConcurrentEng"]), json_text(d["agentGroupID"]),
                          json_text(d["agentEmployeeId"]), json_text(d["agentUsername"]),
                          json_text(d["agentNickname"]), json_text(d["agentLoginname"])));
  }
  return rows;
}

std::set<std::string> expected_for(const emulator_process& emu, const std::string& account,
                                   const std::string& which) {
  std::set<std::string> out;
  for (const auto& row : expected_rows(emu.control("expected", "files=" + which)))
    if (row.rfind(account + "\x1f", 0) == 0) out.insert(row);
  return out;
}

std::set<std::string> expected_for_without(const emulator_process& emu, const std::string& account,
                                           const std::set<std::string>& without_files,
                                           const std::string& which) {
  std::set<std::string> out;
  for (const auto& row :
       expected_rows_without(emu.control("expected", "files=" + which), without_files))
    if (row.rfind(account + "\x1f", 0) == 0) out.insert(row);
  return out;
}

void check_rows(const std::string& db_path, const std::set<std::string>& expected) {
  const auto actual = database_rows(db_path);
  CHECK(actual.size() == expected.size());  // a duplicate row would make it longer
  CHECK(std::set<std::string>(actual.begin(), actual.end()) == expected);
}

std::vector<std::string> database_rows(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT account_id, agent_session_id, agent_id, timestamp_ms, type, state, "
                      "prev_state, prev_concurrent_eng, concurrent_eng, max_concurrent_eng, "
                      "agent_group_id, agent_employee_id, agent_username, agent_nickname, "
                      "agent_loginname FROM agent_activity_events");
  std::vector<std::string> rows;
  while (q.executeStep()) {
    rows.push_back(canonical(q.getColumn(0).getString(), q.getColumn(1).getString(),
                             q.getColumn(2).getInt64(), q.getColumn(3).getInt64(),
                             q.getColumn(4).getInt64(), q.getColumn(5).getInt64(),
                             q.getColumn(6).getInt64(), q.getColumn(7).getInt64(),
                             q.getColumn(8).getInt64(), column_text(q.getColumn(9)),
                             column_text(q.getColumn(10)), column_text(q.getColumn(11)),
                             column_text(q.getColumn(12)), column_text(q.getColumn(13)),
                             column_text(q.getColumn(14))));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string write_config(const temp_dir& dir, const std::string& url,
                         const std::vector<std::string>& accounts, const std::string& extra_defaults,
                         const std::string& extra_top) {
  std::string y;
  y += "database: " + (dir / "lpda.db").string() + "\n";
  if (extra_top.find("listen:") == std::string::npos) y += "listen: \"\"\n";
  if (extra_top.find("log:") == std::string::npos) y += "log: {level: debug}\n";
  y += "retry: {max_attempts: 4, delays: [20ms, 40ms, 60ms], max_retry_after: 2s}\n";
  y += extra_top;
  y += "defaults:\n";
  if (extra_defaults.find("initial_start") == std::string::npos) y += "  initial_start: 3d\n";
  y += extra_defaults;
  y += "accounts:\n";
  for (const auto& a : accounts) {
    y += "  - id: \"" + a + "\"\n    base_url: " + url + "\n";
    y += std::string("    auth: {oauth1: {app_key: ") + emu_app_key + ", app_secret: " + emu_app_secret +
         ", access_token: " + emu_token + ", access_token_secret: " + emu_token_secret + "}}\n";
  }
  const auto path = dir / "config.yaml";
  write_file(path, y);
  return path.string();
}

child_process::child_process(const std::vector<std::string>& argv_s, const std::string& log_path,
                             const std::vector<std::string>& extra_env)
    : log_path_(log_path) {
  (void)sanitizer_log_dir();
  for (std::size_t i = 0; i < argv_s.size() && i < 2; ++i)
    name_ +=
        (i ? " " : "") + (i ? argv_s[i] : std::filesystem::path(argv_s[i]).filename().string());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    for (const auto& kv : extra_env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (pid_ > 0 && status_ < 0) {
    ::kill(pid_, SIGKILL);
    sent_kill_ = true;
    int st = 0;
    ::waitpid(pid_, &st, 0);
    ended(st);
  }
}

void child_process::signal(int sig) {
  if (sig == SIGKILL) sent_kill_ = true;
  ::kill(pid_, sig);
}

int child_process::wait(std::int64_t timeout_ms) {
  if (status_ >= 0) return status_;
  const auto deadline = now_ms() + scaled_ms(timeout_ms);
  do {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      ended(st);
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (now_ms() < deadline);
  return -1;
}

void child_process::ended(int st) {
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (WIFSIGNALED(st) && !(WTERMSIG(st) == SIGKILL && sent_kill_))
    MESSAGE(name_ << " (pid " << pid_ << ") died of " << signal_name(WTERMSIG(st))
                  << "; the end of " << log_path_ << ":\n"
                  << tail_of(log_path_));
  check_sanitizer_logs();
}

run_result run_lpda(const std::string& args) {
  (void)sanitizer_log_dir();
  auto r = run_command("'" + (bin_dir() / "lpda-sync").string() + "' " + args);
  // /bin/sh reports a child killed by signal N as 128 + N.
  if (r.status > 128 && r.status < 128 + 65)
    MESSAGE("lpda-sync " << args << " died of " << signal_name(r.status - 128)
                         << "; the end of its stderr:\n"
                         << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0));
  check_sanitizer_logs();
  return r;
}

rapidjson::Document status_json(const std::string& config) {
  const auto r = run_lpda("status --json --config '" + config + "'");
  REQUIRE_MESSAGE(r.status == 0, r.err);
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace lpda::test
