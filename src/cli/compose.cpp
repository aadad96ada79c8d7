#include "compose.hpp"

namespace lpda::cli {

store::settings store_settings_of(const config::config& c) {
  store::settings s;
  s.path = c.database;
  s.synchronous = c.store.synchronous == config::synchronous_mode::full
                      ? store::synchronous_mode::full
                      : store::synchronous_mode::normal;
  s.file_mode = c.store.file_mode;
  return s;
}

http::client_settings client_settings_of(const config::config& c) {
  http::client_settings s;
  s.ca_file = c.client.ca_file;
  s.connect_timeout = c.client.connect_timeout;
  s.tls_handshake_timeout = c.client.tls_handshake_timeout;
  s.io_timeout = c.client.io_timeout;
  s.request_timeout = c.client.request_timeout;
  s.max_concurrent = static_cast<std::size_t>(c.client.max_concurrent_downloads);
  s.max_per_host = static_cast<std::size_t>(c.client.max_per_host);
  s.allow_insecure_http = c.client.allow_insecure_http;
  s.max_download_bytes = c.decode.max_inflated_bytes;
  return s;
}

http::retry_settings retry_settings_of(const config::config& c) {
  http::retry_settings s;
  s.max_attempts = c.retry.max_attempts;
  s.delays = c.retry.delays;
  s.max_retry_after = c.retry.max_retry_after;
  return s;
}

std::filesystem::path spool_dir_of(const config::config& c) {
  return std::filesystem::path(c.database + ".spool");
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
  s.max_concurrent_downloads = static_cast<std::size_t>(c.client.max_concurrent_downloads);
  s.decode_limits.max_inflated_bytes = c.decode.max_inflated_bytes;
  s.decode_limits.max_document_bytes = c.decode.max_document_bytes;
  s.spool_dir = spool_dir_of(c);
  s.clock_skew_warning = c.client.clock_skew_warning;
  return s;
}

}  // namespace lpda::cli
