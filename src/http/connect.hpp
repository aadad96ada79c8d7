#pragma once
// Connecting: the parts of a URL a connection needs, the TLS client context (peer verification,
// CA store) and opening a connection (resolve, TCP connect, TLS handshake with SNI and host-name
// verification), each step bounded by its timeout and the request deadline.
#include "http/transport.hpp"
#include "lpda/http/client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace lpda::http::detail {

struct target_url {
  std::string scheme;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string target;
  std::string host_header;
  bool tls = false;
  std::string key() const { return scheme + "://" + host + ":" + std::to_string(port); }
  std::string where() const { return host + ":" + std::to_string(port); }
};

/// Splits an absolute http(s) URL; `errc::protocol` for anything else.
result<target_url> parse_target(std::string_view url);

/// Sets up `ctx` for clients: peer verification, TLS 1.2 or newer, trust from `ca_file` (empty:
/// the system store). Throws `error_exception` (`errc::config_invalid`) when the store cannot
/// be loaded.
void configure_tls_client(ssl::context& ctx, const std::string& ca_file);

/// Opens a connection to `t` (TLS when `t.tls`), counting it in `stats`.
asio::awaitable<result<std::unique_ptr<connection>>> connect(
    asio::any_io_executor ex, ssl::context& ssl_ctx, const client_settings& settings, target_url t,
    steady::time_point deadline, client_stats& stats);

}  // namespace lpda::http::detail
