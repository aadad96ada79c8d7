#pragma once
/// The one retry policy of the http module: a pure function of the error kind, the attempt
/// number and the server's Retry-After.
#include "lpda/core/error.hpp"
#include "lpda/http/settings.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lpda::http {

/// What to do after a failed attempt.
struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  ///< wait before the next attempt
};

/// Decides on a retry after attempt number `attempt` (1 = the first try) failed with `kind`.
/// - `attempt >= max_attempts` → no retry.
/// - `throttled` (429) → max(`retry_after` or 1 s when absent, `throttle_min`) plus
///   `jitter_fraction` × `jitter`, capped at `max_retry_after`.
/// - `server_error`, `timeout`, `network` (connect failure, reset, truncated body) →
///   `delays[attempt - 1]` (the last entry repeats).
/// - everything else (`auth_failed`, `client_error`, `tls`, `protocol`, `host_not_allowed`, …)
///   → no retry.
/// Which kinds are retried is `error_kind_traits::retry_request` (lpda/core/error_kind.hpp).
/// `jitter_fraction` is in [0, 1), from an injected random source.
retry_decision decide_retry(errc kind, int attempt,
                            std::optional<std::chrono::milliseconds> retry_after,
                            const retry_settings& settings, double jitter_fraction);

/// Parses a Retry-After value (RFC 9110 §10.2.3): delay-seconds ("120") or an HTTP-date
/// (any form `parse_http_date` reads, relative to `now_ms`, never negative). nullopt when it is
/// neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_ms);

}  // namespace lpda::http
