#include "lpda/config/config.hpp"
#include "lpda/config/units.hpp"
#include "lpda/core/clock.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace lpda::config {
namespace {

// Strings are always double-quoted so that ids like 012 or true, empty strings and "***" read
// back as the same text.
void quoted(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void plain(YAML::Emitter& out, const char* key, std::string_view value) {
  out << YAML::Key << key << YAML::Value << std::string(value);
}

void duration(YAML::Emitter& out, const char* key, std::chrono::milliseconds d) {
  plain(out, key, format_duration(d));
}

std::string start_text(const start_point& s) {
  if (const auto* before = std::get_if<std::chrono::milliseconds>(&s)) {
    return format_duration(*before);
  }
  return format_iso8601_ms(std::get<absolute_time>(s).epoch_ms);
}

// A credential as it was written: `<key>_file: path` and `${NAME}` are references, not secrets,
// and are shown; a literal value is redacted.
void credential(YAML::Emitter& out, const account& a, const std::string& key) {
  const auto it = a.credential_origins.find(key);
  const std::string origin = it == a.credential_origins.end() ? std::string() : it->second;
  if (origin.starts_with("file:")) {
    quoted(out, (key + "_file").c_str(), origin.substr(5));
  } else if (origin.starts_with("env:")) {
    quoted(out, key.c_str(), "${" + origin.substr(4) + "}");
  } else {
    quoted(out, key.c_str(), std::string(redacted_placeholder));
  }
}

void string_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& i : items) out << YAML::DoubleQuoted << i;
  out << YAML::EndSeq;
}

void account_settings(YAML::Emitter& out, bool enabled, std::chrono::milliseconds poll_interval,
                      std::chrono::milliseconds overlap, std::chrono::milliseconds max_window,
                      const start_point& initial_start, int quarantine_after,
                      std::chrono::milliseconds backoff_max,
                      const std::vector<std::string>& data_types) {
  out << YAML::Key << "enabled" << YAML::Value << (enabled ? "true" : "false");
  duration(out, "poll_interval", poll_interval);
  duration(out, "overlap", overlap);
  duration(out, "max_window", max_window);
  quoted(out, "initial_start", start_text(initial_start));
  plain(out, "quarantine_after", std::to_string(quarantine_after));
  duration(out, "backoff_max", backoff_max);
  string_list(out, "data_types", data_types);
}

}  // namespace

std::string to_yaml(const config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  quoted(out, "database", c.database);
  quoted(out, "spool_dir", c.spool_dir);
  quoted(out, "lock_file", c.lock_file);

  // store, client and retry: only what the file set (their defaults belong to their modules).
  if (c.store != store_settings{}) {
    out << YAML::Key << "store" << YAML::Value << YAML::BeginMap;
    if (c.store.synchronous) plain(out, "synchronous", *c.store.synchronous);
    if (c.store.file_mode) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", *c.store.file_mode);
      quoted(out, "file_mode", mode);
    }
    out << YAML::EndMap;
  }

  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  plain(out, "level", to_string(c.log.level));
  plain(out, "format", to_string(c.log.format));
  out << YAML::EndMap;

  quoted(out, "listen", c.listen);

  if (c.client != client_settings{}) {
    const auto& cl = c.client;
    out << YAML::Key << "client" << YAML::Value << YAML::BeginMap;
    if (cl.ca_file) quoted(out, "ca_file", *cl.ca_file);
    if (cl.connect_timeout) duration(out, "connect_timeout", *cl.connect_timeout);
    if (cl.tls_handshake_timeout) duration(out, "tls_handshake_timeout", *cl.tls_handshake_timeout);
    if (cl.io_timeout) duration(out, "io_timeout", *cl.io_timeout);
    if (cl.request_timeout) duration(out, "request_timeout", *cl.request_timeout);
    if (cl.max_concurrent_downloads)
      plain(out, "max_concurrent_downloads", std::to_string(*cl.max_concurrent_downloads));
    if (cl.max_per_host) plain(out, "max_per_host", std::to_string(*cl.max_per_host));
    if (cl.allow_insecure_http)
      plain(out, "allow_insecure_http", *cl.allow_insecure_http ? "true" : "false");
    if (cl.clock_skew_warning) duration(out, "clock_skew_warning", *cl.clock_skew_warning);
    out << YAML::EndMap;
  }

  if (c.retry != retry_settings{}) {
    out << YAML::Key << "retry" << YAML::Value << YAML::BeginMap;
    if (c.retry.max_attempts) plain(out, "max_attempts", std::to_string(*c.retry.max_attempts));
    if (c.retry.delays) {
      out << YAML::Key << "delays" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto d : *c.retry.delays) out << format_duration(d);
      out << YAML::EndSeq;
    }
    if (c.retry.max_retry_after) duration(out, "max_retry_after", *c.retry.max_retry_after);
    out << YAML::EndMap;
  }

  if (c.decode != decode_settings{}) {
    out << YAML::Key << "decode" << YAML::Value << YAML::BeginMap;
    if (c.decode.max_inflated_bytes)
      plain(out, "max_inflated_bytes", format_size(*c.decode.max_inflated_bytes));
    if (c.decode.max_document_bytes)
      plain(out, "max_document_bytes", format_size(*c.decode.max_document_bytes));
    if (c.decode.read_ahead_batches)
      plain(out, "read_ahead_batches", std::to_string(*c.decode.read_ahead_batches));
    out << YAML::EndMap;
  }

  const auto& d = c.defaults;
  out << YAML::Key << "defaults" << YAML::Value << YAML::BeginMap;
  account_settings(out, d.enabled, d.poll_interval, d.overlap, d.max_window, d.initial_start,
                   d.quarantine_after, d.backoff_max, d.data_types);
  out << YAML::EndMap;

  out << YAML::Key << "accounts" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : c.accounts) {
    out << YAML::BeginMap;
    quoted(out, "id", a.id);
    if (a.region) quoted(out, "region", *a.region);
    if (a.domain) quoted(out, "domain", *a.domain);
    if (a.base_url) quoted(out, "base_url", *a.base_url);
    if (!a.allowed_hosts.empty()) string_list(out, "allowed_hosts", a.allowed_hosts);
    out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
    if (std::holds_alternative<oauth1_credentials>(a.auth)) {
      out << YAML::Key << "oauth1" << YAML::Value << YAML::BeginMap;
      for (const char* key : {"app_key", "app_secret", "access_token", "access_token_secret"})
        credential(out, a, key);
      out << YAML::EndMap;
    } else {
      const auto& o2 = std::get<oauth2_credentials>(a.auth);
      out << YAML::Key << "oauth2" << YAML::Value << YAML::BeginMap;
      credential(out, a, "client_id");
      credential(out, a, "client_secret");
      if (!o2.token_url.empty()) {
        quoted(out, "token_url", o2.token_url);
      } else if (o2.token_host == token_host_kind::host) {
        quoted(out, "token_host", o2.token_host_name);
      } else {
        plain(out, "token_host", to_string(o2.token_host));
        if (o2.token_host == token_host_kind::csds) quoted(out, "csds_url", o2.csds_url);
      }
      plain(out, "client_auth", to_string(o2.auth));
      if (o2.scope) quoted(out, "scope", *o2.scope);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
    account_settings(out, a.enabled, a.poll_interval, a.overlap, a.max_window, a.initial_start,
                     a.quarantine_after, a.backoff_max, a.data_types);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';
  return text;
}

}  // namespace lpda::config
