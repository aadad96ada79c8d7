#pragma once
/// Settings of the HTTP client and its retry policy. Their defaults are the defaults of the YAML
/// config's `client:` and `retry:` sections, which the composition root applies over them.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace lpda::http {

/// Transport settings of one `http::client`.
struct client_settings {
  /// PEM file of trusted CA certificates; empty → the system store (OpenSSL default paths).
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};        ///< TCP connect
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};  ///< TLS handshake
  /// Each read/write (idle).
  std::chrono::milliseconds io_timeout{std::chrono::seconds(60)};
  /// Whole attempt (connect to last body byte); bounds a server that drips bytes.
  std::chrono::milliseconds request_timeout{std::chrono::minutes(5)};
  std::size_t max_concurrent = 8;  ///< requests in flight, all hosts together
  std::size_t max_per_host = 4;    ///< requests in flight and idle connections kept, per host
  /// Plain http:// is refused except to loopback (localhost, 127.0.0.0/8, ::1) unless true.
  bool allow_insecure_http = false;
  std::chrono::milliseconds pool_idle_timeout{std::chrono::seconds(30)};  ///< keep-alive reuse
  std::uint64_t body_limit = 8u << 20;            ///< bytes of a body kept in memory
  std::uint64_t max_download_bytes = 4ull << 30;  ///< bytes of a body streamed to a file
  int max_redirects = 5;                          ///< hops followed per request
};

/// The retry policy within one request. Defaults follow LivePerson's "Retry Policy
/// Recommendations" (developers.liveperson.com/retry-policy-recommendations.html): 429 → wait
/// at least 1 s; 5xx → 5 s, 10 s, 15 s.
struct retry_settings {
  int max_attempts = 4;  ///< tries per request, the first one included
  /// Waits before the 2nd, 3rd, … try after a 5xx, timeout or reset; the last repeats.
  std::vector<std::chrono::milliseconds> delays{std::chrono::seconds(5), std::chrono::seconds(10),
                                                std::chrono::seconds(15)};
  std::chrono::milliseconds throttle_min{std::chrono::seconds(1)};     ///< least wait after a 429
  std::chrono::milliseconds max_retry_after{std::chrono::minutes(5)};  ///< cap of a 429 wait
  std::chrono::milliseconds jitter{std::chrono::milliseconds(500)};    ///< max random extra on 429
};

}  // namespace lpda::http
