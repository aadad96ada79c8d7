#include "loader.hpp"
#include "urls.hpp"

#include "lpda/core/host.hpp"
#include "lpda/datatypes/registry.hpp"

#include <algorithm>
#include <iterator>

namespace lpda::config::detail {

namespace {

// LivePerson deletes Data Access files 30 days after they are created
// (https://developers.liveperson.com/data-access-api-overview.html).
constexpr milliseconds retention{30LL * 24 * 3'600'000};
constexpr milliseconds one_week{7LL * 24 * 3'600'000};

constexpr std::string_view why_wait =
    "LivePerson deletes files 30 days after creating them; a week between polls leaves three "
    "weeks for a failing account to catch up";
constexpr std::string_view why_retention =
    "LivePerson keeps files for 30 days, so nothing further back can be fetched";

// Floors that keep a typo from flooding the API: files are hourly, so a window under a minute
// or a poll more often than every second only multiplies requests.
constexpr duration_bounds poll_interval_bounds{milliseconds{1'000}, one_week, why_wait};
constexpr duration_bounds backoff_max_bounds{milliseconds{1}, one_week, why_wait};
// The window is clamped to 29 days anyway; up to the 30-day retention is accepted so that the
// natural "30d" is not an error.
constexpr duration_bounds overlap_bounds{milliseconds{0}, retention, why_retention};
constexpr duration_bounds initial_start_bounds{milliseconds{0}, retention, why_retention};
constexpr duration_bounds max_window_bounds{milliseconds{60'000}, retention,
                                            "a poll's window never spans more than the 30 days "
                                            "LivePerson keeps files"};

constexpr std::string_view account_setting_keys[] = {
    "enabled",       "poll_interval",    "overlap",     "max_window",
    "initial_start", "quarantine_after", "backoff_max", "data_types"};

}  // namespace

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
  optional_key(m, "initial_start", d.initial_start, [&](const YAML::Node& v, const std::string& p) {
    return start_value(v, p, initial_start_bounds);
  });
  optional_key(m, "quarantine_after", d.quarantine_after,
               [&](const YAML::Node& v, const std::string& p) { return int_value(v, p, 1, 1000); });
  optional_key(m, "backoff_max", d.backoff_max, [&](const YAML::Node& v, const std::string& p) {
    return duration_value(v, p, backoff_max_bounds);
  });
  optional_key(m, "data_types", d.data_types,
               [&](const YAML::Node& v, const std::string& p) { return data_types(v, p); });
}

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

}  // namespace lpda::config::detail
