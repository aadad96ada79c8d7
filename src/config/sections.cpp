#include "loader.hpp"
#include "lpda/core/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace lpda::config::detail {

namespace {

constexpr milliseconds one_hour{3'600'000};
constexpr milliseconds one_day{24 * 3'600'000};

constexpr std::string_view why_timeout = "a longer wait only hides a dead connection";
constexpr std::string_view why_request = "a request still running after a day is stuck";
constexpr std::string_view why_retry =
    "retries wait inside one request and hold its download slot; longer waits belong to the "
    "next poll";

// Timeouts of one connection step (connect, TLS handshake, silence within a request).
constexpr duration_bounds timeout_bounds{milliseconds{1}, one_hour, why_timeout};
constexpr duration_bounds request_timeout_bounds{milliseconds{1}, one_day, why_request};
constexpr duration_bounds retry_delay_bounds{milliseconds{0}, one_hour, why_retry};
// Below a second the warning would fire on the Date header's own rounding; beyond a day a
// skew that shifts windows by a day would go unwarned.
constexpr duration_bounds clock_skew_warning_bounds{
    milliseconds{1'000}, one_day,
    "a host clock a day off the server's shifts every window by a day and must not go unwarned"};

}  // namespace

config loader::load(const YAML::Node& root) {
  config c;
  if (root.IsNull() || !root.IsDefined()) {
    error_at(YAML::Mark(), "",
             "the configuration is empty: it needs at least database and accounts");
    return c;
  }
  const map_view m(*this, root, "",
                   {"database", "store", "log", "listen", "client", "retry", "decode", "defaults",
                    "accounts", "spool_dir", "lock_file"});
  if (!m.ok()) return c;

  if (const auto n = m.get("database")) {
    if (auto s = string_value(*n, "database")) {
      if (s->empty()) {
        error_at(*n, "database", "must name the SQLite database file");
      } else {
        c.database = std::move(*s);
        check_database_directory(*n, c.database);
      }
    }
  } else {
    error_at(root, "database", "missing: the path of the SQLite database file is required");
  }
  // Paths beside the database unless given, so nothing else depends on it being a file.
  const auto path_key = [&](const char* key, std::string& value, const char* suffix) {
    const auto n = m.get(key);
    if (n) {
      if (auto s = string_value(*n, key)) {
        if (s->empty()) error_at(*n, key, "must name a path (leave it out for the default)");
        value = std::move(*s);
      }
    } else if (!c.database.empty()) {
      value = c.database + suffix;
    }
    return n;
  };
  const auto spool_node = path_key("spool_dir", c.spool_dir, ".spool");
  const auto lock_node = path_key("lock_file", c.lock_file, ".lock");
  if (spool_node && !c.spool_dir.empty()) check_state_path(*spool_node, "spool_dir", c, true);
  if (lock_node && !c.lock_file.empty()) check_state_path(*lock_node, "lock_file", c, false);
  load_store(m, c);
  load_log(m, c);
  load_listen(m, c);
  load_client(m, c);
  load_retry(m, c);
  load_decode(m, c);
  load_defaults(m, c);
  load_accounts(m, c);
  return c;
}

void loader::load_store(const map_view& root, config& c) {
  const auto n = root.get("store");
  if (!n) return;
  const map_view m(*this, *n, "store", {"synchronous", "file_mode"}, true);
  if (!m.ok()) return;
  optional_key(m, "synchronous", c.store.synchronous,
               [&](const YAML::Node& v, const std::string& p) -> std::optional<std::string> {
                 auto s = scalar(v, p, "a name");
                 if (!s) return std::nullopt;
                 if (*s == "normal" || *s == "full") return s;
                 error_at(v, p, "expected one of normal, full, got " + in_quotes(*s));
                 return std::nullopt;
               });
  if (const auto v = m.get("file_mode")) {
    const std::string p = m.child("file_mode");
    if (auto s = scalar(*v, p, "an octal mode such as \"0600\"")) {
      const bool octal =
          s->size() >= 3 && s->size() <= 4 &&
          std::all_of(s->begin(), s->end(), [](char ch) { return ch >= '0' && ch <= '7'; }) &&
          (s->size() == 3 || (*s)[0] == '0');
      unsigned mode = 0;
      if (octal) {
        for (const char ch : *s) mode = mode * 8 + static_cast<unsigned>(ch - '0');
      }
      if (!octal) {
        error_at(*v, p,
                 "expected an octal mode such as \"0600\" or \"0640\", got " + in_quotes(*s));
      } else if ((mode & 0600U) != 0600U) {
        error_at(*v, p, in_quotes(*s) + " must let the owner read and write (0600)");
      } else if ((mode & 0111U) != 0 || (mode & 0002U) != 0) {
        error_at(*v, p, in_quotes(*s) + " must not be executable or world-writable");
      } else {
        c.store.file_mode = mode;
      }
    }
  }
}

void loader::load_log(const map_view& root, config& c) {
  const auto n = root.get("log");
  if (!n) return;
  const map_view m(*this, *n, "log", {"level", "format"}, true);
  if (!m.ok()) return;
  optional_key(m, "level", c.log.level, [&](const YAML::Node& v, const std::string& p) {
    return enum_value(v, p, log_level_names);
  });
  optional_key(m, "format", c.log.format, [&](const YAML::Node& v, const std::string& p) {
    return enum_value(v, p, log_format_names);
  });
}

void loader::load_listen(const map_view& root, config& c) {
  const auto n = root.get("listen");
  if (!n) return;
  auto s = string_value(*n, "listen");
  if (!s) return;
  if (!s->empty() && !split_host_port(*s)) {
    error_at(*n, "listen",
             "expected host:port (port 0–65535, IPv6 as [addr]:port) or \"\" for no endpoint, "
             "got " +
                 in_quotes(*s));
    return;
  }
  c.listen = std::move(*s);
}

// The store creates the database file but not its directory; without this check the config
// would validate and every poll fail. Skipped under secrets::syntax_only, the mode for a shell
// outside the service, where systemd's StateDirectory may not exist yet (docs/configuration.md),
// and under resolve_without_database (`check`, which never opens the database).
void loader::check_database_directory(const YAML::Node& n, const std::string& database) {
  if (mode_ != secrets::resolve) return;
  const auto dir = std::filesystem::path(database).parent_path();
  if (dir.empty()) return;  // the working directory
  std::error_code ec;
  const auto st = std::filesystem::status(dir, ec);
  if (!std::filesystem::exists(st)) {
    error_at(n, "database",
             "directory " + in_quotes(dir.string()) +
                 " does not exist (lpda-sync creates the database file, not its directory; the "
                 "systemd unit's StateDirectory= creates /var/lib/lpda-sync at its first start, so "
                 "check a config for the service with --no-secrets before then)");
  } else if (!std::filesystem::is_directory(st)) {
    error_at(n, "database", in_quotes(dir.string()) + " is not a directory");
  }
}

void loader::check_state_path(const YAML::Node& n, const char* key, const config& c, bool is_dir) {
  namespace fs = std::filesystem;
  const std::string& value = is_dir ? c.spool_dir : c.lock_file;
  // lpda-sync writes the lock file (its holder's line) and files in the spool directory: a
  // path that is another file of lpda-sync's would be overwritten or its mode changed.
  std::vector<std::pair<std::string, std::string>> taken;
  if (!c.database.empty()) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      taken.emplace_back(
          c.database + suffix,
          std::string("the database") +
              (*suffix != 0 ? std::string(" file's ") + (suffix + 1) : std::string()));
  }
  if (!source_.empty()) taken.emplace_back(source_, "this configuration file");
  if (!is_dir && !c.spool_dir.empty()) taken.emplace_back(c.spool_dir, "spool_dir");
  for (const auto& [path, what] : taken) {
    if (same_path(path, value)) {
      error_at(n, key, in_quotes(value) + " is " + what + "; " + key + " needs a path of its own");
      return;
    }
  }
  if (mode_ != secrets::resolve) return;
  std::error_code ec;
  const auto st = fs::status(value, ec);
  if (!fs::exists(st)) return;  // created when first needed
  if (is_dir && !fs::is_directory(st))
    error_at(n, key, in_quotes(value) + " exists and is not a directory");
  else if (!is_dir && !fs::is_regular_file(st))
    error_at(n, key, in_quotes(value) + " exists and is not a regular file");
}

void loader::load_client(const map_view& root, config& c) {
  const auto n = root.get("client");
  if (!n) return;
  const map_view m(
      *this, *n, "client",
      {"ca_file", "connect_timeout", "tls_handshake_timeout", "io_timeout", "request_timeout",
       "max_concurrent_downloads", "max_per_host", "allow_insecure_http", "clock_skew_warning"},
      true);
  if (!m.ok()) return;
  auto& cl = c.client;
  if (const auto v = m.get("ca_file")) {
    if (auto s = string_value(*v, m.child("ca_file"))) {
      if (!s->empty() && !std::ifstream(*s)) {
        error_at(*v, m.child("ca_file"), "cannot read CA file " + in_quotes(*s));
      } else {
        cl.ca_file = std::move(*s);
      }
    }
  }
  const auto timeout = [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, timeout_bounds);
  };
  optional_key(m, "connect_timeout", cl.connect_timeout, timeout);
  optional_key(m, "tls_handshake_timeout", cl.tls_handshake_timeout, timeout);
  optional_key(m, "io_timeout", cl.io_timeout, timeout);
  optional_key(m, "request_timeout", cl.request_timeout,
               [&](const YAML::Node& v, const std::string& p) {
                 return duration_value(v, p, request_timeout_bounds);
               });
  const auto count = [&](const YAML::Node& v, const std::string& p) {
    return int_value(v, p, 1, 1024);
  };
  optional_key(m, "max_concurrent_downloads", cl.max_concurrent_downloads, count);
  optional_key(m, "max_per_host", cl.max_per_host, count);
  optional_key(m, "allow_insecure_http", cl.allow_insecure_http,
               [&](const YAML::Node& v, const std::string& p) { return bool_value(v, p); });
  optional_key(m, "clock_skew_warning", cl.clock_skew_warning,
               [&](const YAML::Node& v, const std::string& p) {
                 return duration_value(v, p, clock_skew_warning_bounds);
               });
}

void loader::load_retry(const map_view& root, config& c) {
  const auto n = root.get("retry");
  if (!n) return;
  const map_view m(*this, *n, "retry", {"max_attempts", "delays", "max_retry_after"}, true);
  if (!m.ok()) return;
  optional_key(m, "max_attempts", c.retry.max_attempts,
               [&](const YAML::Node& v, const std::string& p) { return int_value(v, p, 1, 100); });
  if (const auto v = m.get("delays")) {
    const std::string p = m.child("delays");
    if (auto items = list(*v, p, false)) {
      std::vector<milliseconds> delays;
      bool ok = true;
      for (std::size_t i = 0; i < items->size(); ++i) {
        if (auto d = duration_value((*items)[i], index_path(p, i), retry_delay_bounds)) {
          delays.push_back(*d);
        } else {
          ok = false;
        }
      }
      if (ok) c.retry.delays = std::move(delays);
    }
  }
  optional_key(m, "max_retry_after", c.retry.max_retry_after,
               [&](const YAML::Node& v, const std::string& p) {
                 return duration_value(v, p, retry_delay_bounds);
               });
}

void loader::load_decode(const map_view& root, config& c) {
  const auto n = root.get("decode");
  if (!n) return;
  const map_view m(*this, *n, "decode",
                   {"max_inflated_bytes", "max_document_bytes", "read_ahead_batches"}, true);
  if (!m.ok()) return;
  const auto size = [&](const YAML::Node& v, const std::string& p) { return size_value(v, p, 1); };
  optional_key(m, "max_inflated_bytes", c.decode.max_inflated_bytes, size);
  optional_key(m, "max_document_bytes", c.decode.max_document_bytes, size);
  optional_key(m, "read_ahead_batches", c.decode.read_ahead_batches,
               [&](const YAML::Node& v, const std::string& p) { return int_value(v, p, 0, 64); });
}

}  // namespace lpda::config::detail
