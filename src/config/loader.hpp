#pragma once
// Private to the config module: the loader that reads a parsed YAML document into `config`,
// its typed readers (each reports its own error with line and column, and returns nullopt on
// failure) and `map_view`, one mapping's keys checked against the allowed set.
//
// The loader's members are defined by concern: the YAML-reading primitives in loader.cpp, the
// top-level sections in sections.cpp, defaults and accounts in accounts.cpp, auth and
// credentials in credentials.cpp.
#include "lpda/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::config::detail {

using std::chrono::milliseconds;

// The accepted range of a duration key. Every key has a ceiling, so no value can overflow the
// time arithmetic downstream (steady-clock nanoseconds in the scheduler and the HTTP timers,
// epoch milliseconds in the window); `why` tells the user what the ceiling protects.
struct duration_bounds {
  milliseconds min;
  milliseconds max;
  std::string_view why;
};

std::string join_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t i);
std::string_view kind_name(const YAML::Node& n);
std::string in_quotes(std::string_view s);
std::string join(const std::vector<std::string_view>& items);

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

  void error_at(const YAML::Mark& m, std::string path, std::string message);
  void error_at(const YAML::Node& n, std::string path, std::string message);

  // yaml-cpp places an empty value ("key:" then a newline) at the start of the next line;
  // errors about it point at its key instead.
  void note_null_value(const YAML::Node& value, const YAML::Mark& key_mark) {
    null_values_.emplace_back(value, key_mark);
  }

  config load(const YAML::Node& root);

  // --- typed readers: each reports its own error and returns nullopt on failure -------------

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& path,
                                    std::string_view what);
  std::optional<std::string> string_value(const YAML::Node& n, const std::string& path);
  std::optional<bool> bool_value(const YAML::Node& n, const std::string& path);
  std::optional<int> int_value(const YAML::Node& n, const std::string& path, int min, int max);
  std::optional<milliseconds> duration_value(const YAML::Node& n, const std::string& path,
                                             const duration_bounds& bounds);
  // Reports a duration outside `bounds` (the text `s` as written) and returns false.
  bool within(const YAML::Node& n, const std::string& path, const std::string& s, milliseconds d,
              const duration_bounds& bounds);
  std::optional<std::uint64_t> size_value(const YAML::Node& n, const std::string& path,
                                          std::uint64_t min);

  template <class Enum, std::size_t N>
  std::optional<Enum> enum_value(const YAML::Node& n, const std::string& path,
                                 const enum_names<Enum, N>& table) {
    auto s = scalar(n, path, "a name");
    if (!s) return std::nullopt;
    if (auto v = table.parse(*s)) return v;
    std::vector<std::string_view> names;
    for (const auto& entry : table.entries()) names.push_back(entry.second);
    error_at(n, path, "expected one of " + join(names) + ", got " + in_quotes(*s));
    return std::nullopt;
  }

  // A duration before now (held to `bounds`) or an ISO 8601 date.
  std::optional<start_point> start_value(const YAML::Node& n, const std::string& path,
                                         const duration_bounds& bounds);
  std::optional<std::vector<YAML::Node>> list(const YAML::Node& n, const std::string& path,
                                              bool allow_empty);

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
                                    std::map<std::string, std::string>& origins);

 private:
  void load_store(const map_view& root, config& c);
  void load_log(const map_view& root, config& c);
  void load_listen(const map_view& root, config& c);
  void check_database_directory(const YAML::Node& n, const std::string& database);
  /// `spool_dir` (is_dir) or `lock_file` set in the file: refused when it is the database, one
  /// of its companion files, this file, or (lock_file) spool_dir; and, when secrets resolve (the
  /// file system is the one that runs), when it exists as the wrong kind of file.
  void check_state_path(const YAML::Node& n, const char* key, const config& c, bool is_dir);
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

}  // namespace lpda::config::detail
