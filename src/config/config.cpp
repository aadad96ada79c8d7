#include "lpda/config/config.hpp"

#include "lpda/config/units.hpp"
#include "lpda/core/host.hpp"
#include "lpda/core/text.hpp"
#include "lpda/datatypes/registry.hpp"

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace lpda::config {

// ---------------------------------------------------------------------------------------------
// Small public helpers

environment environment::from_map(std::map<std::string, std::string> vars) {
  return environment{
      [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      }};
}

const environment& process_environment() {
  static const environment env{[](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }};
  return env;
}

std::string_view to_string(log_level l) {
  switch (l) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::off:
      return "off";
  }
  return "info";
}

std::string_view to_string(log_format f) {
  return f == log_format::json ? "json" : "text";
}

std::string_view to_string(client_auth a) {
  return a == client_auth::basic ? "basic" : "body";
}

std::string_view to_string(token_host_kind k) {
  switch (k) {
    case token_host_kind::region:
      return "region";
    case token_host_kind::host:
      return "host";
    case token_host_kind::csds:
      break;
  }
  return "csds";
}

std::int64_t resolve_start(const start_point& s, std::int64_t now_ms) {
  if (const auto* before = std::get_if<std::chrono::milliseconds>(&s)) {
    return now_ms - before->count();
  }
  return std::get<absolute_time>(s).epoch_ms;
}

namespace {

std::string_view region_host(std::string_view region) {
  if (region == "us") return "va.da.liveperson.net";
  if (region == "uk") return "lo.da.liveperson.net";
  if (region == "apac") return "sy.da.liveperson.net";
  return {};
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.back() == '.') h.remove_suffix(1);
  std::size_t start = 0;
  while (start <= h.size()) {
    const std::size_t dot = std::min(h.find('.', start), h.size());
    const std::string_view label = h.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool valid_ipv6_literal(std::string_view h) {
  if (h.size() < 2) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                              (c >= 'A' && c <= 'F') || c == ':' || c == '.';
                     }) &&
         h.find(':') != std::string_view::npos;
}

std::optional<std::uint16_t> parse_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return std::nullopt;
  unsigned v = 0;
  const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc{} || ptr != p.data() + p.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// Splits "scheme://authority[/rest]"; host without brackets.
struct url_parts {
  std::string scheme;  // lower case
  std::string host;
  std::optional<std::uint16_t> port;
  std::string rest;  // path, query and fragment, "" if none
};

// Returns a reason on failure (never echoing the text, which may hold credentials).
std::variant<url_parts, std::string> parse_http_url(std::string_view url) {
  url_parts out;
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::string("expected http://host[:port] or https://…");
  for (const char c : url.substr(0, sep)) {
    out.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  if (out.scheme != "http" && out.scheme != "https") {
    return std::string("the scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end);
  out.rest = std::string(rest.substr(end));
  if (authority.find('@') != std::string_view::npos) {
    return std::string("must not contain user information (credentials belong in auth)");
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::string("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return std::string("bad IPv6 host");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string("expected \":port\" after the host");
      port = after.substr(1);
      if (port.empty()) return std::string("empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::string("empty port");
    }
    if (!valid_hostname(host)) return std::string("bad host name");
  }
  if (!port.empty()) {
    out.port = parse_port(port);
    if (!out.port || *out.port == 0) return std::string("the port must be 1–65535");
  }
  out.host = std::string(host);
  return out;
}

}  // namespace

std::string effective_base_url(const account& a) {
  if (a.base_url) return *a.base_url;
  if (a.domain) return "https://" + *a.domain;
  return "https://" + std::string(region_host(a.region.value_or("")));
}

std::optional<host_port> split_host_port(std::string_view text) {
  host_port out;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!valid_hostname(host)) return std::nullopt;
  }
  const auto p = parse_port(port);
  if (!p) return std::nullopt;
  out.host = std::string(host);
  out.port = *p;
  return out;
}

// ---------------------------------------------------------------------------------------------
// config_error

namespace {

std::string format_diagnostics(const std::string& source, const std::vector<diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) {
    if (!out.empty()) out += '\n';
    out += escape_text(source);
    out += ':';
    if (d.line > 0) {
      out += std::to_string(d.line) + ':' + std::to_string(d.column) + ':';
    }
    out += ' ';
    if (!d.path.empty()) out += d.path + ": ";
    out += d.message;
  }
  return out;
}

}  // namespace

config_error::config_error(std::string source, std::vector<diagnostic> diagnostics,
                           bool file_unreadable)
    : std::runtime_error(format_diagnostics(source, diagnostics)),
      source_(std::move(source)),
      diagnostics_(std::move(diagnostics)),
      file_unreadable_(file_unreadable) {}

// ---------------------------------------------------------------------------------------------
// The loader

namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t max_secret_file_bytes = 64 * 1024;

// The accepted range of a duration key. Every key has a ceiling, so no value can overflow the
// time arithmetic downstream (steady-clock nanoseconds in the scheduler and the HTTP timers,
// epoch milliseconds in the window); `why` tells the user what the ceiling protects.
struct duration_bounds {
  milliseconds min;
  milliseconds max;
  std::string_view why;
};

// LivePerson deletes Data Access files 30 days after they are created
// (https://developers.liveperson.com/data-access-api-overview.html).
constexpr milliseconds retention{30LL * 24 * 3'600'000};
constexpr milliseconds one_hour{3'600'000};
constexpr milliseconds one_day{24 * 3'600'000};
constexpr milliseconds one_week{7LL * 24 * 3'600'000};

constexpr std::string_view why_timeout = "a longer wait only hides a dead connection";
constexpr std::string_view why_request = "a request still running after a day is stuck";
constexpr std::string_view why_retry =
    "retries wait inside one request and hold its download slot; longer waits belong to the "
    "next poll";
constexpr std::string_view why_wait =
    "LivePerson deletes files 30 days after creating them; a week between polls leaves three "
    "weeks for a failing account to catch up";
constexpr std::string_view why_retention =
    "LivePerson keeps files for 30 days, so nothing further back can be fetched";

// Timeouts of one connection step (connect, TLS handshake, silence within a request).
constexpr duration_bounds timeout_bounds{milliseconds{1}, one_hour, why_timeout};
constexpr duration_bounds request_timeout_bounds{milliseconds{1}, one_day, why_request};
constexpr duration_bounds retry_delay_bounds{milliseconds{0}, one_hour, why_retry};
// Floors that keep a typo from flooding the API: files are hourly, so a window under a minute
// or a poll more often than every second only multiplies requests.
constexpr duration_bounds poll_interval_bounds{milliseconds{1'000}, one_week, why_wait};
constexpr duration_bounds backoff_max_bounds{milliseconds{1}, one_week, why_wait};
// The window is clamped to 29 days anyway; up to the 30-day retention is accepted so that the
// natural "30d" is not an error.
constexpr duration_bounds overlap_bounds{milliseconds{0}, retention, why_retention};
constexpr duration_bounds initial_start_bounds{milliseconds{0}, retention, why_retention};
// Below a second the warning would fire on the Date header's own rounding; beyond a day a
// skew that shifts windows by a day would go unwarned.
constexpr duration_bounds clock_skew_warning_bounds{
    milliseconds{1'000}, one_day,
    "a host clock a day off the server's shifts every window by a day and must not go unwarned"};
constexpr duration_bounds max_window_bounds{milliseconds{60'000}, retention,
                                            "a poll's window never spans more than the 30 days "
                                            "LivePerson keeps files"};

std::string join_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

// "user NAME (uid N)" for a uid, or "uid N" when it has no passwd entry (a systemd dynamic user
// seen from outside its service).
std::string user_name(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  const std::string id = "uid " + std::to_string(uid);
  return pw != nullptr ? "user " + std::string(pw->pw_name) + " (" + id + ")" : id;
}

// Why `path` cannot be opened for reading, in words that say what to do: missing (with the
// systemd credential case), or not readable by this process's user (with the file's owner and
// mode), or the OS's reason.
std::string why_unreadable(const std::string& path, int err) {
  if (err == ENOENT) {
    std::string why = "no such file";
    if (path.rfind("/run/credentials/", 0) == 0)
      why +=
          " (systemd credentials exist only inside the service; from a shell, check with "
          "validate-config --no-secrets)";
    return why;
  }
  if (err == EACCES) {
    std::string why = "permission denied: lpda-sync runs as " + user_name(::geteuid());
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      why += ", the file is mode " + std::string(mode) + " owned by " + user_name(st.st_uid);
    }
    return why;
  }
  return std::strerror(err);
}

std::string_view kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

class loader;

// The keys of one YAML mapping, checked against the allowed set (unknown and duplicate keys are
// reported once, here, when the view is made).
class map_view {
 public:
  // `null_is_empty`: a key with no value (e.g. every child commented out) reads as {}.
  map_view(loader& l, const YAML::Node& node, std::string path,
           std::vector<std::string_view> allowed, bool null_is_empty = false);

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  bool has(std::string_view key) const { return entries_.count(std::string(key)) != 0; }
  /// The value node, or nullopt when the key is absent.
  std::optional<YAML::Node> get(std::string_view key) const {
    const auto it = entries_.find(std::string(key));
    if (it == entries_.end()) return std::nullopt;
    return it->second.second;
  }
  std::optional<YAML::Node> key_node(std::string_view key) const {
    const auto it = entries_.find(std::string(key));
    if (it == entries_.end()) return std::nullopt;
    return it->second.first;
  }
  std::string child(std::string_view key) const { return join_path(path_, key); }

 private:
  YAML::Node node_;
  std::string path_;
  bool ok_ = false;
  std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries_;
};

class loader {
 public:
  loader(std::string source, const environment& env, secrets mode)
      : source_(std::move(source)), env_(env), mode_(mode) {}

  std::vector<diagnostic>& diagnostics() { return diags_; }

  void error_at(const YAML::Mark& m, std::string path, std::string message) {
    diagnostic d;
    // Paths hold key names and messages quote values, both as written: a newline, an ESC
    // sequence or a stray byte would break the one-line FILE:LINE:COLUMN format or forge a line,
    // so they are escaped here, the one place every diagnostic passes.
    d.path = escape_text(path);
    if (!m.is_null()) {
      d.line = m.line + 1;
      d.column = m.column + 1;
    }
    d.message = escape_text(message);
    diags_.push_back(std::move(d));
  }
  void error_at(const YAML::Node& n, std::string path, std::string message) {
    YAML::Mark mark = n.Mark();
    if (n.IsNull()) {
      for (const auto& [node, key_mark] : null_values_) {
        if (node.is(n)) mark = key_mark;
      }
    }
    error_at(mark, std::move(path), std::move(message));
  }

  // yaml-cpp places an empty value ("key:" then a newline) at the start of the next line;
  // errors about it point at its key instead.
  void note_null_value(const YAML::Node& value, const YAML::Mark& key_mark) {
    null_values_.emplace_back(value, key_mark);
  }

  config load(const YAML::Node& root);

  // --- typed readers: each reports its own error and returns nullopt on failure -------------

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& path,
                                    std::string_view what) {
    if (!n.IsScalar()) {
      error_at(n, path, "expected " + std::string(what) + ", got " + std::string(kind_name(n)));
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<std::string> string_value(const YAML::Node& n, const std::string& path) {
    return scalar(n, path, "a string");
  }

  std::optional<bool> bool_value(const YAML::Node& n, const std::string& path) {
    auto s = scalar(n, path, "true or false");
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "TRUE") return true;
    if (*s == "false" || *s == "False" || *s == "FALSE") return false;
    error_at(n, path, "expected true or false, got " + in_quotes(*s));
    return std::nullopt;
  }

  std::optional<int> int_value(const YAML::Node& n, const std::string& path, int min, int max) {
    auto s = scalar(n, path, "a whole number");
    if (!s) return std::nullopt;
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec == std::errc::invalid_argument || ptr != s->data() + s->size()) {
      error_at(n, path, "expected a whole number, got " + in_quotes(*s));
      return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
      error_at(
          n, path,
          in_quotes(*s) + " is out of range " + std::to_string(min) + "–" + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<milliseconds> duration_value(const YAML::Node& n, const std::string& path,
                                             const duration_bounds& bounds) {
    auto s = scalar(n, path, "a duration such as 30s");
    if (!s) return std::nullopt;
    auto d = parse_duration(*s);
    if (!d) {
      error_at(n, path, d.error().message);
      return std::nullopt;
    }
    if (!within(n, path, *s, *d, bounds)) return std::nullopt;
    return *d;
  }

  // Reports a duration outside `bounds` (the text `s` as written) and returns false.
  bool within(const YAML::Node& n, const std::string& path, const std::string& s, milliseconds d,
              const duration_bounds& bounds) {
    if (d < bounds.min) {
      error_at(n, path,
               "must be at least " + format_duration(bounds.min) + ", got " + in_quotes(s));
      return false;
    }
    if (d > bounds.max) {
      error_at(n, path,
               "must be at most " + format_duration(bounds.max) + ", got " + in_quotes(s) + " (" +
                   std::string(bounds.why) + ")");
      return false;
    }
    return true;
  }

  std::optional<std::uint64_t> size_value(const YAML::Node& n, const std::string& path,
                                          std::uint64_t min) {
    auto s = scalar(n, path, "a size such as 64MiB");
    if (!s) return std::nullopt;
    auto v = parse_size(*s);
    if (!v) {
      error_at(n, path, v.error().message);
      return std::nullopt;
    }
    if (*v < min) {
      error_at(n, path, "must be at least " + format_size(min) + ", got " + in_quotes(*s));
      return std::nullopt;
    }
    return *v;
  }

  template <class Enum>
  std::optional<Enum> enum_value(const YAML::Node& n, const std::string& path,
                                 std::initializer_list<Enum> values) {
    auto s = scalar(n, path, "a name");
    if (!s) return std::nullopt;
    std::vector<std::string_view> names;
    for (const Enum v : values) {
      if (*s == to_string(v)) return v;
      names.push_back(to_string(v));
    }
    error_at(n, path, "expected one of " + join(names) + ", got " + in_quotes(*s));
    return std::nullopt;
  }

  std::optional<start_point> start_value(const YAML::Node& n, const std::string& path) {
    auto s = scalar(n, path, "a duration (e.g. 7d) or an ISO 8601 date");
    if (!s) return std::nullopt;
    if (!s->empty() && s->size() >= 5 && s->at(4) == '-') {
      auto t = parse_iso8601(*s);
      if (!t) {
        error_at(n, path, t.error().message);
        return std::nullopt;
      }
      return absolute_time{*t};
    }
    auto d = parse_duration(*s);
    if (!d) {
      error_at(n, path, d.error().message + ", or an ISO 8601 date such as 2026-01-01");
      return std::nullopt;
    }
    // A date needs no ceiling: four-digit years keep it far inside 64-bit milliseconds, and
    // the window clamps it to the retention (a future date fetches nothing until it comes).
    if (!within(n, path, *s, *d, initial_start_bounds)) return std::nullopt;
    return *d;
  }

  std::optional<std::vector<YAML::Node>> list(const YAML::Node& n, const std::string& path,
                                              bool allow_empty) {
    if (!n.IsSequence()) {
      error_at(n, path, "expected a list, got " + std::string(kind_name(n)));
      return std::nullopt;
    }
    if (!allow_empty && n.size() == 0) {
      error_at(n, path, "must not be empty");
      return std::nullopt;
    }
    std::vector<YAML::Node> out;
    for (const auto& item : n) out.push_back(item);
    return out;
  }

  // Reads an optional key with `read(node, path)`; leaves `target` alone when absent or bad.
  template <class T, class Read>
  void optional_key(const map_view& m, std::string_view key, T& target, Read read) {
    if (const auto n = m.get(key)) {
      if (auto v = read(*n, m.child(key))) target = std::move(*v);
    }
  }

  // A credential: `key` inline or "${VAR}", or `key_file`. nullopt (after reporting) when
  // missing or bad. Values are never written into messages.
  std::optional<std::string> secret(const map_view& m, std::string_view key, bool required,
                                    std::map<std::string, std::string>& origins) {
    const std::string file_key = std::string(key) + "_file";
    const auto inline_node = m.get(key);
    const auto file_node = m.get(file_key);
    if (inline_node && file_node) {
      error_at(*m.key_node(file_key), m.child(file_key),
               "give either " + std::string(key) + " or " + file_key + ", not both");
      return std::nullopt;
    }
    if (!inline_node && !file_node) {
      if (required) {
        error_at(m.node(), m.child(key),
                 "missing: give " + std::string(key) + " (inline or ${ENV_VAR}) or " + file_key);
      }
      return std::nullopt;
    }
    if (file_node) {
      const std::string path = m.child(file_key);
      auto p = string_value(*file_node, path);
      if (!p) return std::nullopt;
      if (p->empty()) {
        error_at(*file_node, path, "must name a file");
        return std::nullopt;
      }
      origins[std::string(key)] = "file:" + *p;
      if (mode_ == secrets::syntax_only) return *p;
      std::error_code ec;
      if (std::filesystem::is_directory(*p, ec)) {
        error_at(*file_node, path,
                 "cannot read " + file_key + " " + in_quotes(*p) + ": a directory");
        return std::nullopt;
      }
      std::ifstream in(*p, std::ios::binary);
      if (!in) {
        // ifstream keeps no reason; open(2) tells missing from unreadable.
        const int fd = ::open(p->c_str(), O_RDONLY | O_CLOEXEC);
        const int err = fd < 0 ? errno : EIO;
        if (fd >= 0) ::close(fd);
        error_at(*file_node, path,
                 "cannot read " + file_key + " " + in_quotes(*p) + ": " + why_unreadable(*p, err));
        return std::nullopt;
      }
      // Read at most a few bytes past the limit (room for a newline), so /dev/zero or a huge file
      // cannot hang start-up.
      std::string content(max_secret_file_bytes + 3, '\0');
      in.read(content.data(), static_cast<std::streamsize>(content.size()));
      if (in.bad()) {
        error_at(*file_node, path, "cannot read " + file_key + " " + in_quotes(*p));
        return std::nullopt;
      }
      content.resize(static_cast<std::size_t>(in.gcount()));
      if (!content.empty() && content.back() == '\n') {
        content.pop_back();
        if (!content.empty() && content.back() == '\r') content.pop_back();
      }
      if (content.size() > max_secret_file_bytes) {
        error_at(*file_node, path,
                 file_key + " " + in_quotes(*p) + " is larger than " +
                     format_size(max_secret_file_bytes));
        return std::nullopt;
      }
      if (content.empty()) {
        error_at(*file_node, path,
                 "cannot read " + file_key + " " + in_quotes(*p) +
                     ": the file is empty (write the secret into it, without quotes)");
        return std::nullopt;
      }
      return content;
    }
    const std::string path = m.child(key);
    if (!inline_node->IsScalar()) {
      error_at(*inline_node, path,
               "expected a string, got " + std::string(kind_name(*inline_node)));
      return std::nullopt;
    }
    const std::string& v = inline_node->Scalar();
    if (v.size() >= 2 && v[0] == '$' && v[1] == '{') {
      const bool closed = v.back() == '}';
      const std::string name = closed ? v.substr(2, v.size() - 3) : std::string();
      const bool valid_name =
          !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
          std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_'; });
      if (!closed || !valid_name) {
        error_at(*inline_node, path,
                 "starts with \"${\" but is not a ${NAME} reference (NAME: letters, digits, _); "
                 "put a literal value in " +
                     file_key);
        return std::nullopt;
      }
      origins[std::string(key)] = "env:" + name;
      if (mode_ == secrets::syntax_only) return v;
      auto value = env_.get(name);
      if (!value) {
        error_at(*inline_node, path, "environment variable " + name + " is not set");
        return std::nullopt;
      }
      if (value->empty()) {
        error_at(*inline_node, path, "environment variable " + name + " is empty");
        return std::nullopt;
      }
      return value;
    }
    if (v.empty()) {
      error_at(*inline_node, path, "must not be empty");
      return std::nullopt;
    }
    if (v == redacted_placeholder) {
      // Text from `validate-config --print` used as a config: it would only fail at the API as
      // a 401.
      error_at(*inline_node, path,
               "is the placeholder \"***\" that validate-config --print shows for a literal "
               "secret: replace *** with the secret (or use " +
                   file_key + " or ${ENV_VAR})");
      return std::nullopt;
    }
    origins[std::string(key)] = "inline";
    return v;
  }

 private:
  void load_store(const map_view& root, config& c);
  void load_log(const map_view& root, config& c);
  void load_listen(const map_view& root, config& c);
  void check_database_directory(const YAML::Node& n, const std::string& database);
  void load_client(const map_view& root, config& c);
  void load_retry(const map_view& root, config& c);
  void load_decode(const map_view& root, config& c);
  void load_account_settings(const map_view& m, account_defaults& d);
  void load_defaults(const map_view& root, config& c);
  std::optional<std::vector<std::string>> data_types(const YAML::Node& n, const std::string& path);
  void load_accounts(const map_view& root, config& c);
  std::optional<account> load_account(const YAML::Node& n, const std::string& path,
                                      const config& c);
  void load_auth(const map_view& a, account& acc, const config& c, bool& ok);
  void check_http_url(const YAML::Node& n, const std::string& path, const std::string& url,
                      const config& c, bool path_allowed, bool& ok);

  std::string source_;
  const environment& env_;
  secrets mode_;
  std::vector<diagnostic> diags_;
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_values_;
};

map_view::map_view(loader& l, const YAML::Node& node, std::string path,
                   std::vector<std::string_view> allowed, bool null_is_empty)
    : node_(node), path_(std::move(path)) {
  if (null_is_empty && node.IsNull()) {
    ok_ = true;
    return;
  }
  if (!node.IsMap()) {
    l.error_at(node, path_, "expected a mapping, got " + std::string(kind_name(node)));
    return;
  }
  ok_ = true;
  for (const auto& kv : node) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      l.error_at(k, path_, "keys must be plain names, got " + std::string(kind_name(k)));
      continue;
    }
    const std::string& name = k.Scalar();
    const std::string child_path = join_path(path_, name);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      l.error_at(k, child_path, "unknown key (expected one of: " + join(allowed) + ")");
      continue;
    }
    if (kv.second.IsNull()) l.note_null_value(kv.second, k.Mark());
    const auto [it, inserted] = entries_.try_emplace(name, k, kv.second);
    if (!inserted) {
      l.error_at(k, child_path,
                 "duplicate key (first given at line " +
                     std::to_string(it->second.first.Mark().line + 1) + ")");
    }
  }
}

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
    if (const auto n = m.get(key)) {
      if (auto s = string_value(*n, key)) {
        if (s->empty()) error_at(*n, key, "must name a path (leave it out for the default)");
        value = std::move(*s);
      }
    } else if (!c.database.empty()) {
      value = c.database + suffix;
    }
  };
  path_key("spool_dir", c.spool_dir, ".spool");
  path_key("lock_file", c.lock_file, ".lock");
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
    return enum_value(v, p,
                      {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                       log_level::error, log_level::off});
  });
  optional_key(m, "format", c.log.format, [&](const YAML::Node& v, const std::string& p) {
    return enum_value(v, p, {log_format::text, log_format::json});
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
  const map_view m(*this, *n, "decode", {"max_inflated_bytes", "max_document_bytes"}, true);
  if (!m.ok()) return;
  const auto size = [&](const YAML::Node& v, const std::string& p) { return size_value(v, p, 1); };
  optional_key(m, "max_inflated_bytes", c.decode.max_inflated_bytes, size);
  optional_key(m, "max_document_bytes", c.decode.max_document_bytes, size);
}

std::optional<std::vector<std::string>> loader::data_types(const YAML::Node& n,
                                                           const std::string& path) {
  auto items = list(n, path, false);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string p = index_path(path, i);
    auto s = string_value((*items)[i], p);
    if (!s) {
      ok = false;
      continue;
    }
    const auto known = datatypes::known_names();
    if (std::find(known.begin(), known.end(), *s) == known.end()) {
      std::vector<std::string_view> names(known.begin(), known.end());
      error_at((*items)[i], p,
               "unsupported data type " + in_quotes(*s) + " (supported: " + join(names) + ")");
      ok = false;
    } else if (std::find(out.begin(), out.end(), *s) != out.end()) {
      error_at((*items)[i], p, "data type " + in_quotes(*s) + " is listed twice");
      ok = false;
    } else {
      out.push_back(std::move(*s));
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

// The keys shared by `defaults:` and each account.
void loader::load_account_settings(const map_view& m, account_defaults& d) {
  optional_key(m, "enabled", d.enabled,
               [&](const YAML::Node& v, const std::string& p) { return bool_value(v, p); });
  optional_key(m, "poll_interval", d.poll_interval, [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, poll_interval_bounds);
  });
  optional_key(m, "overlap", d.overlap, [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, overlap_bounds);
  });
  optional_key(m, "max_window", d.max_window, [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, max_window_bounds);
  });
  optional_key(m, "initial_start", d.initial_start,
               [&](const YAML::Node& v, const std::string& p) { return start_value(v, p); });
  optional_key(m, "quarantine_after", d.quarantine_after,
               [&](const YAML::Node& v, const std::string& p) { return int_value(v, p, 1, 1000); });
  optional_key(m, "backoff_max", d.backoff_max, [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, backoff_max_bounds);
  });
  optional_key(m, "data_types", d.data_types,
               [&](const YAML::Node& v, const std::string& p) { return data_types(v, p); });
}

constexpr std::string_view account_setting_keys[] = {
    "enabled",       "poll_interval",    "overlap",     "max_window",
    "initial_start", "quarantine_after", "backoff_max", "data_types"};

void loader::load_defaults(const map_view& root, config& c) {
  const auto n = root.get("defaults");
  if (!n) return;
  const map_view m(*this, *n, "defaults",
                   {std::begin(account_setting_keys), std::end(account_setting_keys)}, true);
  if (!m.ok()) return;
  load_account_settings(m, c.defaults);
}

void loader::load_accounts(const map_view& root, config& c) {
  const auto n = root.get("accounts");
  if (!n) {
    error_at(root.node(), "accounts", "missing: list at least one account");
    return;
  }
  auto items = list(*n, "accounts", false);
  if (!items) return;
  // Ids are compared as written, independent of whether the rest of each account is valid.
  std::map<std::string, int> first_line;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string p = index_path("accounts", i);
    const YAML::Node& item = (*items)[i];
    bool duplicate = false;
    if (item.IsMap()) {
      const YAML::Node id_node = item["id"];
      if (id_node.IsDefined() && id_node.IsScalar()) {
        const auto [it, inserted] =
            first_line.try_emplace(id_node.Scalar(), id_node.Mark().line + 1);
        if (!inserted) {
          error_at(id_node, p + ".id",
                   "duplicate account id " + in_quotes(id_node.Scalar()) +
                       " (first given at line " + std::to_string(it->second) + ")");
          duplicate = true;
        }
      }
    }
    auto a = load_account(item, p, c);
    if (a && !duplicate) c.accounts.push_back(std::move(*a));
  }
}

void loader::check_http_url(const YAML::Node& n, const std::string& path, const std::string& url,
                            const config& c, bool path_allowed, bool& ok) {
  const auto parsed = parse_http_url(url);
  if (const auto* why = std::get_if<std::string>(&parsed)) {
    error_at(n, path, "bad URL: " + *why);
    ok = false;
    return;
  }
  const auto& u = std::get<url_parts>(parsed);
  if (!path_allowed && !u.rest.empty() && u.rest != "/") {
    error_at(n, path, "must be scheme://host[:port] without a path, query or fragment");
    ok = false;
    return;
  }
  if (u.scheme == "http" && !is_loopback_host(u.host) && c.client.allow_insecure_http != true) {
    error_at(n, path,
             "plain http to a host other than loopback needs client.allow_insecure_http: true");
    ok = false;
  }
}

void loader::load_auth(const map_view& a, account& acc, const config& c, bool& ok) {
  const auto n = a.get("auth");
  if (!n) {
    error_at(a.node(), a.child("auth"), "missing: give auth with oauth1 or oauth2");
    ok = false;
    return;
  }
  const map_view auth(*this, *n, a.child("auth"), {"oauth1", "oauth2"});
  if (!auth.ok()) {
    ok = false;
    return;
  }
  const auto o1 = auth.get("oauth1");
  const auto o2 = auth.get("oauth2");
  if (o1 && o2) {
    error_at(*auth.key_node("oauth2"), auth.child("oauth2"), "give exactly one of oauth1, oauth2");
    ok = false;
    return;
  }
  if (!o1 && !o2) {
    error_at(*n, auth.path(), "give exactly one of oauth1, oauth2");
    ok = false;
    return;
  }
  if (o1) {
    const map_view m(*this, *o1, auth.child("oauth1"),
                     {"app_key", "app_key_file", "app_secret", "app_secret_file", "access_token",
                      "access_token_file", "access_token_secret", "access_token_secret_file"});
    if (!m.ok()) {
      ok = false;
      return;
    }
    auto k = secret(m, "app_key", true, acc.credential_origins);
    auto s = secret(m, "app_secret", true, acc.credential_origins);
    auto t = secret(m, "access_token", true, acc.credential_origins);
    auto ts = secret(m, "access_token_secret", true, acc.credential_origins);
    if (!k || !s || !t || !ts) {
      ok = false;
      return;
    }
    acc.auth = oauth1_credentials{std::move(*k), std::move(*s), std::move(*t), std::move(*ts)};
    return;
  }
  const map_view m(*this, *o2, auth.child("oauth2"),
                   {"client_id", "client_id_file", "client_secret", "client_secret_file",
                    "token_url", "token_host", "csds_url", "client_auth", "scope"});
  if (!m.ok()) {
    ok = false;
    return;
  }
  oauth2_credentials cred;
  auto id = secret(m, "client_id", true, acc.credential_origins);
  auto s = secret(m, "client_secret", true, acc.credential_origins);
  if (const auto u = m.get("token_url")) {
    if (auto url = string_value(*u, m.child("token_url"))) {
      check_http_url(*u, m.child("token_url"), *url, c, true, ok);
      cred.token_url = std::move(*url);
    } else {
      ok = false;
    }
    for (const std::string_view key : {"token_host", "csds_url"}) {
      if (const auto k = m.key_node(key)) {
        error_at(*k, m.child(key),
                 "token_url names the token endpoint itself; leave out token_host and csds_url");
        ok = false;
      }
    }
  }
  if (const auto v = m.get("token_host")) {
    // csds | region | a host; a host the secret may go to over https (sentinel.hpp's rule).
    if (auto h = string_value(*v, m.child("token_host"))) {
      if (*h == "csds") {
        cred.token_host = token_host_kind::csds;
      } else if (*h == "region") {
        cred.token_host = token_host_kind::region;
        if (!acc.region) {
          error_at(*v, m.child("token_host"),
                   "\"region\" needs the account's region (us, uk, apac); give token_host: csds "
                   "or a host instead");
          ok = false;
        }
      } else {
        const auto colon = h->rfind(':');
        const std::string name = colon == std::string::npos ? *h : h->substr(0, colon);
        const bool port_ok = colon == std::string::npos ||
                             parse_port(std::string_view(*h).substr(colon + 1)).value_or(0) != 0;
        constexpr std::string_view suffix = ".sentinel.liveperson.net";
        const bool sentinel = name.size() > suffix.size() && name.ends_with(suffix);
        if (!valid_hostname(name) || !port_ok) {
          error_at(*v, m.child("token_host"),
                   "expected csds, region or a host name such as va.sentinel.liveperson.net, "
                   "got " +
                       in_quotes(*h));
          ok = false;
        } else if (!sentinel && !is_loopback_host(name)) {
          error_at(*v, m.child("token_host"),
                   in_quotes(*h) +
                       " is not under .sentinel.liveperson.net; the client secret goes to no "
                       "other host unless you name the endpoint with token_url");
          ok = false;
        } else {
          cred.token_host = token_host_kind::host;
          cred.token_host_name = std::move(*h);
        }
      }
    } else {
      ok = false;
    }
  }
  if (const auto v = m.get("csds_url")) {
    if (auto url = string_value(*v, m.child("csds_url"))) {
      bool url_ok = true;
      check_http_url(*v, m.child("csds_url"), *url, c, false, url_ok);
      if (url_ok && cred.token_host != token_host_kind::csds) {
        error_at(*v, m.child("csds_url"), "is used only with token_host: csds");
        url_ok = false;
      }
      if (url_ok) {
        while (!url->empty() && url->back() == '/') url->pop_back();
        cred.csds_url = std::move(*url);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  // LivePerson's sentinel takes the credentials in the form body; a token_url written before
  // the derived endpoint existed kept them in HTTP Basic, and still does.
  cred.auth = cred.token_url.empty() ? client_auth::body : client_auth::basic;
  optional_key(m, "client_auth", cred.auth, [&](const YAML::Node& v, const std::string& p) {
    return enum_value(v, p, {client_auth::body, client_auth::basic});
  });
  optional_key(m, "scope", cred.scope,
               [&](const YAML::Node& v, const std::string& p) { return string_value(v, p); });
  if (!id || !s) {
    ok = false;
    return;
  }
  cred.client_id = std::move(*id);
  cred.client_secret = std::move(*s);
  acc.auth = std::move(cred);
}

std::optional<account> loader::load_account(const YAML::Node& n, const std::string& path,
                                            const config& c) {
  std::vector<std::string_view> keys{"id", "region", "domain", "base_url", "allowed_hosts", "auth"};
  keys.insert(keys.end(), std::begin(account_setting_keys), std::end(account_setting_keys));
  const map_view m(*this, n, path, keys);
  if (!m.ok()) return std::nullopt;
  const std::size_t errors_before = diags_.size();
  bool ok = true;
  account acc;

  if (const auto v = m.get("id")) {
    if (auto s = scalar(*v, m.child("id"), "an account id")) {
      const bool valid =
          !s->empty() && s->size() <= 64 && std::all_of(s->begin(), s->end(), [](char ch) {
            return is_alnum(ch) || ch == '-' || ch == '_';
          });
      if (!valid) {
        error_at(*v, m.child("id"),
                 "account id " + in_quotes(*s) + " must be 1–64 letters, digits, - or _");
        ok = false;
      } else {
        acc.id = std::move(*s);
      }
    } else {
      ok = false;
    }
  } else {
    error_at(n, m.child("id"), "missing: the LivePerson account id is required");
    ok = false;
  }

  const auto hostname = [&](std::string_view key) -> std::optional<std::string> {
    const auto v = m.get(key);
    if (!v) return std::nullopt;
    auto s = string_value(*v, m.child(key));
    if (s && !valid_hostname(*s)) {
      error_at(*v, m.child(key),
               "expected a host name such as va.da.liveperson.net (no scheme or port; use "
               "base_url for those), got " +
                   in_quotes(*s));
      s.reset();
    }
    if (!s) ok = false;
    return s;
  };

  if (const auto v = m.get("region")) {
    if (auto s = string_value(*v, m.child("region"))) {
      if (region_host(*s).empty()) {
        error_at(*v, m.child("region"), "expected one of us, uk, apac, got " + in_quotes(*s));
        ok = false;
      } else {
        acc.region = std::move(*s);
      }
    } else {
      ok = false;
    }
  }
  acc.domain = hostname("domain");
  if (const auto v = m.get("base_url")) {
    if (auto s = string_value(*v, m.child("base_url"))) {
      bool url_ok = true;
      check_http_url(*v, m.child("base_url"), *s, c, false, url_ok);
      if (url_ok) {
        if (!s->empty() && s->back() == '/') s->pop_back();
        acc.base_url = std::move(*s);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (!m.has("region") && !m.has("domain") && !m.has("base_url")) {
    error_at(n, m.child("region"), "missing: give region (us, uk, apac), domain or base_url");
    ok = false;
  }

  if (const auto v = m.get("allowed_hosts")) {
    const std::string p = m.child("allowed_hosts");
    if (auto items = list(*v, p, false)) {
      for (std::size_t i = 0; i < items->size(); ++i) {
        const std::string ip = index_path(p, i);
        auto s = string_value((*items)[i], ip);
        if (!s) {
          ok = false;
          continue;
        }
        const std::string_view bare =
            s->substr(0, 2) == "*." ? std::string_view(*s).substr(2) : std::string_view(*s);
        if (!valid_hostname(bare) && !valid_ipv6_literal(bare)) {
          error_at((*items)[i], ip,
                   "expected a host name, optionally starting with \"*.\", got " + in_quotes(*s));
          ok = false;
          continue;
        }
        acc.allowed_hosts.push_back(std::move(*s));
      }
    } else {
      ok = false;
    }
  }

  load_auth(m, acc, c, ok);

  account_defaults settings = c.defaults;
  load_account_settings(m, settings);
  acc.enabled = settings.enabled;
  acc.poll_interval = settings.poll_interval;
  acc.overlap = settings.overlap;
  acc.max_window = settings.max_window;
  acc.initial_start = settings.initial_start;
  acc.quarantine_after = settings.quarantine_after;
  acc.backoff_max = settings.backoff_max;
  acc.data_types = std::move(settings.data_types);

  if (!ok || diags_.size() != errors_before) return std::nullopt;
  return acc;
}

std::string read_whole_file(const std::filesystem::path& p, bool& ok) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    ok = false;
    return {};
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ok = !in.bad();
  return content;
}

}  // namespace

config load_string(std::string_view yaml, std::string_view source_name, const environment& env,
                   secrets mode) {
  const std::string source(source_name);
  loader l(source, env, mode);
  // yaml-cpp reports a tab in indentation as some other syntax error, or reads it as part of a
  // value; YAML 1.2 §6.1 forbids tabs there, so say that, at the tab.
  {
    int line = 0;  // 0-based, as in YAML::Mark
    bool any = false;
    for (std::size_t i = 0; i < yaml.size();) {
      std::size_t j = i;
      while (j < yaml.size() && (yaml[j] == ' ' || yaml[j] == '\t')) ++j;
      const std::size_t tab = yaml.substr(i, j - i).find('\t');
      // A line holding only a comment indents nothing (tabs may separate there); yaml-cpp
      // refuses a tab on a blank line too, so that is named the same way.
      const bool content = j >= yaml.size() || yaml[j] != '#';
      if (tab != std::string_view::npos && content) {
        YAML::Mark at;
        at.pos = static_cast<int>(i + tab);
        at.line = line;
        at.column = static_cast<int>(tab);
        l.error_at(at, "", "tabs are not allowed for indentation in YAML; use spaces");
        any = true;
      }
      const std::size_t nl = yaml.find('\n', i);
      if (nl == std::string_view::npos) break;
      i = nl + 1;
      ++line;
    }
    if (any) throw config_error(source, std::move(l.diagnostics()), false);
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    l.error_at(e.mark, "", "YAML syntax error: " + e.msg);
    throw config_error(source, std::move(l.diagnostics()), false);
  }
  if (docs.size() > 1) {
    l.error_at(docs[1].Mark(), "",
               "expected one YAML document, found " + std::to_string(docs.size()));
    throw config_error(source, std::move(l.diagnostics()), false);
  }
  config c;
  try {
    c = l.load(docs.empty() ? YAML::Node() : docs.front());
  } catch (const YAML::Exception& e) {
    // yaml-cpp only throws here on a broken invariant of ours; still report it as config text.
    l.error_at(e.mark, "", e.msg);
  }
  if (!l.diagnostics().empty()) {
    auto& d = l.diagnostics();
    std::stable_sort(d.begin(), d.end(), [](const diagnostic& a, const diagnostic& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    throw config_error(source, std::move(d), false);
  }
  c.source = std::filesystem::path(source);
  return c;
}

config load_file(const std::filesystem::path& path, const environment& env, secrets mode) {
  bool ok = true;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) ok = false;
  const std::string text = ok ? read_whole_file(path, ok) : std::string();
  if (!ok) {
    // Why, in words a person acts on; `--config` is the usual fix for a missing default.
    diagnostic d;
    const int err = errno;
    std::string why;
    if (std::filesystem::is_directory(path, ec))
      why = "it is a directory";
    else if (!std::filesystem::exists(path, ec))
      why = "no such file (give another with --config FILE)";
    else if (err == EACCES)
      why = "permission denied";
    else
      why = err != 0 ? std::strerror(err) : "read error";
    d.message = "cannot read the configuration file: " + why;
    throw config_error(path.string(), {d}, true);
  }
  return load_string(text, path.string(), env, mode);
}

}  // namespace lpda::config
