#pragma once
// The client's state and its two layers: one attempt (permits, a pooled or new connection, one
// exchange; client.cpp) and the retry loop around it (redirects, credential refresh, retries,
// observer events; retry_loop.cpp).
#include "http/connect.hpp"
#include "http/exchange.hpp"
#include "http/pool.hpp"
#include "http/transport.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/retry.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace lpda::http {

struct client::impl {
  impl(detail::asio::any_io_executor ex, client_settings s, retry_settings r, clock_fn clock,
       std::function<double()> random01);

  detail::asio::any_io_executor ex_;
  client_settings settings_;
  retry_settings retry_;
  clock_fn clock_;
  std::function<double()> random01_;
  detail::ssl::context ssl_ctx_;
  detail::connection_pool pool_;
  client_stats stats_;
  request_observer observer_;

  /// One attempt at `t`: waits for the global and per-host permits, then exchanges on a pooled
  /// connection (once more on a new one if the pooled one turns out closed) or a new one.
  detail::asio::awaitable<result<detail::exchange_out>> attempt_once(
      detail::target_url t, detail::bhttp::request<detail::bhttp::string_body> req,
      detail::body_plan plan);

  struct perform_out {
    detail::exchange_out ex;
    std::string url;
    int attempts = 0;
  };

  /// The retry loop: attempts, redirects, one credential refresh on 401, retries per
  /// `retry_settings`; a 2xx body goes to `spool` when given.
  detail::asio::awaitable<result<perform_out>> perform(request req, auth_strategy* auth,
                                                       const std::filesystem::path* spool);
};

}  // namespace lpda::http
