#pragma once
/// The http client's optional observer: one call per attempt, for metrics. Kept free of Beast.
#include "lpda/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace lpda::http {

/// How one attempt of a request ended. An attempt is one request written (or tried) on one
/// connection: every retry and every redirect hop is an attempt of its own; a request refused
/// before any connection (bad URL, `host_not_allowed`, credentials unavailable) has none.
struct request_event {
  std::string_view method;   ///< "GET", "POST", …
  std::string_view host;     ///< the host the attempt went to (no port, no brackets)
  std::uint16_t port = 0;    ///< the port the attempt went to
  std::string_view context;  ///< the request's `context` (what it is for), may be empty
  /// The response's status code; 0 when the attempt got no response.
  unsigned status = 0;
  /// True when the request's `is_expected_answer` recognised this response (e.g. an empty
  /// listing's 404): an outcome, not an HTTP error.
  bool expected_answer = false;
  /// Set exactly when `status` is 0: why there was no response (`errc::network`, `timeout`,
  /// `tls`, `protocol`, `unreadable` for a spool that could not be written, …).
  std::optional<errc> error;
  /// When `status` is 0: the failure's message, "<step> <host>:<port>: <reason>" (e.g.
  /// "connect to 127.0.0.1:9: Connection refused"); empty otherwise.
  std::string_view detail;
  int attempt = 1;  ///< 1 for the first try of a request; redirect hops keep the number
  /// True when the retry policy (`decide_retry`) schedules another attempt after this one
  /// (429, 5xx, timeout, network failure). A redirect hop or the single re-send after a 401
  /// with refreshed credentials is not a retry.
  bool retrying = false;
  std::chrono::milliseconds retry_delay{0};  ///< the wait before that retry, when `retrying`
};

/// Called on the client's executor thread after each attempt, before any retry wait. Must be
/// cheap and must not throw.
using request_observer = std::function<void(const request_event&)>;

}  // namespace lpda::http
