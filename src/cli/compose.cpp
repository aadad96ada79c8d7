#include "compose.hpp"

#include "lpda/agent_activity/sqlite/store.hpp"
#include "migration_progress.hpp"

#include <optional>
#include <variant>

namespace lpda::cli {

namespace {

template <class T, class U>
void apply(const std::optional<T>& set, U& target) {
  if (set) target = static_cast<U>(*set);
}

}  // namespace

sqlite::settings store_settings_of(const config::config& c) {
  sqlite::settings s;
  s.path = c.database;
  if (c.store.synchronous)
    s.synchronous = *c.store.synchronous == "full" ? sqlite::synchronous_mode::full
                                                   : sqlite::synchronous_mode::normal;
  apply(c.store.file_mode, s.file_mode);
  return s;
}

std::vector<sqlite::data_type_store> sqlite_data_types() {
  std::vector<sqlite::data_type_store> types;
  types.push_back(agent_activity::sqlite::data_type());
  return types;
}

std::unique_ptr<store::database> open_store(const config::config& c) {
  auto s = store_settings_of(c);
  s.on_migration = migration_reporter(process_migration_sinks());
  return std::make_unique<sqlite::database>(sqlite::database::open(s, sqlite_data_types()));
}

http::client_settings client_settings_of(const config::config& c) {
  http::client_settings s;
  apply(c.client.ca_file, s.ca_file);
  apply(c.client.connect_timeout, s.connect_timeout);
  apply(c.client.tls_handshake_timeout, s.tls_handshake_timeout);
  apply(c.client.io_timeout, s.io_timeout);
  apply(c.client.request_timeout, s.request_timeout);
  apply(c.client.max_concurrent_downloads, s.max_concurrent);
  apply(c.client.max_per_host, s.max_per_host);
  apply(c.client.allow_insecure_http, s.allow_insecure_http);
  s.max_download_bytes = decode_limits_of(c).max_inflated_bytes;
  return s;
}

http::retry_settings retry_settings_of(const config::config& c) {
  http::retry_settings s;
  apply(c.retry.max_attempts, s.max_attempts);
  apply(c.retry.delays, s.delays);
  apply(c.retry.max_retry_after, s.max_retry_after);
  return s;
}

decode::limits decode_limits_of(const config::config& c) {
  decode::limits l;
  apply(c.decode.max_inflated_bytes, l.max_inflated_bytes);
  apply(c.decode.max_document_bytes, l.max_document_bytes);
  if (c.decode.read_ahead_batches)
    l.read_ahead_batches = static_cast<std::size_t>(*c.decode.read_ahead_batches);
  return l;
}

std::chrono::milliseconds clock_skew_warning_of(const config::config& c) {
  return c.client.clock_skew_warning.value_or(sync::account_settings{}.clock_skew_warning);
}

config::config effective_config(config::config c) {
  const auto store = store_settings_of(c);
  c.store.synchronous = store.synchronous == sqlite::synchronous_mode::full ? "full" : "normal";
  c.store.file_mode = store.file_mode;
  const auto client = client_settings_of(c);
  c.client.ca_file = client.ca_file;
  c.client.connect_timeout = client.connect_timeout;
  c.client.tls_handshake_timeout = client.tls_handshake_timeout;
  c.client.io_timeout = client.io_timeout;
  c.client.request_timeout = client.request_timeout;
  c.client.max_concurrent_downloads = static_cast<int>(client.max_concurrent);
  c.client.max_per_host = static_cast<int>(client.max_per_host);
  c.client.allow_insecure_http = client.allow_insecure_http;
  c.client.clock_skew_warning = clock_skew_warning_of(c);
  const auto retry = retry_settings_of(c);
  c.retry.max_attempts = retry.max_attempts;
  c.retry.delays = retry.delays;
  c.retry.max_retry_after = retry.max_retry_after;
  const auto decode = decode_limits_of(c);
  c.decode.max_inflated_bytes = decode.max_inflated_bytes;
  c.decode.max_document_bytes = decode.max_document_bytes;
  c.decode.read_ahead_batches = static_cast<int>(decode.read_ahead_batches);
  return c;
}

http::oauth2_settings oauth2_settings_of(const config::account& a,
                                         const config::oauth2_credentials& o2) {
  http::oauth2_settings s;
  s.token_url = o2.token_url;
  s.client_id = o2.client_id;
  s.client_secret = o2.client_secret;
  s.scope = o2.scope.value_or("");
  s.client_auth = o2.auth == config::client_auth::basic ? http::client_auth_method::basic
                                                        : http::client_auth_method::body;
  s.account_id = a.id;
  s.csds_url = o2.csds_url;
  if (o2.token_host == config::token_host_kind::region)
    s.sentinel_host = std::string(http::region_sentinel_host(a.region.value_or("")));
  else if (o2.token_host == config::token_host_kind::host)
    s.sentinel_host = o2.token_host_name;
  return s;
}

api::account_endpoint endpoint_of(const config::account& a) {
  api::account_endpoint ep;
  ep.base_url = config::effective_base_url(a);
  ep.account_id = a.id;
  ep.allowed_hosts = a.allowed_hosts;  // empty: the client's default
  ep.auth = std::holds_alternative<config::oauth1_credentials>(a.auth) ? api::auth_kind::oauth1
                                                                       : api::auth_kind::oauth2;
  return ep;
}

std::unique_ptr<http::auth_strategy> make_auth(
    http::client& http, const config::account& a, http::csds_cache* cache,
    std::function<void(const std::string&, http::token_fetch_result)> on_token_fetch) {
  if (const auto* o1 = std::get_if<config::oauth1_credentials>(&a.auth))
    return std::make_unique<http::oauth1_auth>(http::oauth1_signer(*o1));
  auto s = oauth2_settings_of(a, std::get<config::oauth2_credentials>(a.auth));
  s.cache = cache;
  if (on_token_fetch)
    s.on_token_fetch = [f = std::move(on_token_fetch), id = a.id](http::token_fetch_result r) {
      f(id, r);
    };
  return std::make_unique<http::oauth2_client_credentials>(http, std::move(s));
}

std::filesystem::path spool_dir_of(const config::config& c) {
  return std::filesystem::path(c.spool_dir);
}

sync::account_settings account_settings_of(const config::config& c, const config::account& a,
                                           std::int64_t now_ms) {
  sync::account_settings s;
  s.account_id = a.id;
  s.data_types = a.data_types;
  s.overlap = a.overlap;
  s.max_window = a.max_window;
  s.initial_start_ms = config::resolve_start(a.initial_start, now_ms);
  s.quarantine_after = a.quarantine_after;
  s.max_concurrent_downloads = client_settings_of(c).max_concurrent;
  s.decode_limits = decode_limits_of(c);
  s.spool_dir = spool_dir_of(c);
  s.clock_skew_warning = clock_skew_warning_of(c);
  return s;
}

}  // namespace lpda::cli
