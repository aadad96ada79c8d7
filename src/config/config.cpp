#include "lpda/config/config.hpp"

#include "loader.hpp"

#include "lpda/core/text.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
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
  return log_level_names.name(l);
}

std::string_view to_string(log_format f) {
  return log_format_names.name(f);
}

std::string_view to_string(client_auth a) {
  return client_auth_names.name(a);
}

std::string_view to_string(token_host_kind k) {
  return token_host_kind_names.name(k);
}

std::int64_t resolve_start(const start_point& s, std::int64_t now_ms) {
  if (const auto* before = std::get_if<std::chrono::milliseconds>(&s)) {
    return now_ms - before->count();
  }
  return std::get<absolute_time>(s).epoch_ms;
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
// The entry points: YAML text to a document (tabs, syntax, one document), then the loader

namespace {

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
  detail::loader l(source, env, mode);
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
