#include "loader.hpp"

#include "lpda/config/units.hpp"
#include "lpda/core/text.hpp"

#include <algorithm>
#include <charconv>

namespace lpda::config::detail {

std::string join_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
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

void loader::error_at(const YAML::Mark& m, std::string path, std::string message) {
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

void loader::error_at(const YAML::Node& n, std::string path, std::string message) {
  YAML::Mark mark = n.Mark();
  if (n.IsNull()) {
    for (const auto& [node, key_mark] : null_values_) {
      if (node.is(n)) mark = key_mark;
    }
  }
  error_at(mark, std::move(path), std::move(message));
}

std::optional<std::string> loader::scalar(const YAML::Node& n, const std::string& path,
                                          std::string_view what) {
  if (!n.IsScalar()) {
    error_at(n, path, "expected " + std::string(what) + ", got " + std::string(kind_name(n)));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> loader::string_value(const YAML::Node& n, const std::string& path) {
  return scalar(n, path, "a string");
}

std::optional<bool> loader::bool_value(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "true or false");
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "True" || *s == "TRUE") return true;
  if (*s == "false" || *s == "False" || *s == "FALSE") return false;
  error_at(n, path, "expected true or false, got " + in_quotes(*s));
  return std::nullopt;
}

std::optional<int> loader::int_value(const YAML::Node& n, const std::string& path, int min,
                                     int max) {
  auto s = scalar(n, path, "a whole number");
  if (!s) return std::nullopt;
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec == std::errc::invalid_argument || ptr != s->data() + s->size()) {
    error_at(n, path, "expected a whole number, got " + in_quotes(*s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    error_at(n, path,
             in_quotes(*s) + " is out of range " + std::to_string(min) + "–" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<milliseconds> loader::duration_value(const YAML::Node& n, const std::string& path,
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

bool loader::within(const YAML::Node& n, const std::string& path, const std::string& s,
                    milliseconds d, const duration_bounds& bounds) {
  if (d < bounds.min) {
    error_at(n, path, "must be at least " + format_duration(bounds.min) + ", got " + in_quotes(s));
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

std::optional<std::uint64_t> loader::size_value(const YAML::Node& n, const std::string& path,
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

std::optional<start_point> loader::start_value(const YAML::Node& n, const std::string& path,
                                               const duration_bounds& bounds) {
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
  if (!within(n, path, *s, *d, bounds)) return std::nullopt;
  return *d;
}

std::optional<std::vector<YAML::Node>> loader::list(const YAML::Node& n, const std::string& path,
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

}  // namespace lpda::config::detail
