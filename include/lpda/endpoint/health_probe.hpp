#pragma once
/// The client side of the health endpoint, for `lpda-sync health` (the Docker HEALTHCHECK): one
/// plain HTTP/1.1 GET to the daemon's own `listen` address, no TLS, no proxies, bounded in time.
#include "lpda/core/error.hpp"

#include <chrono>
#include <string>

namespace lpda::endpoint {

/// What one GET returned.
struct probe_response {
  unsigned status = 0;
  std::string body;  ///< at most 64 KiB
};

/// GETs `http://<listen_address><target>` and returns the response whatever its status.
/// `listen_address` is a `listen` value ("host:port", "[v6]:port"); a wildcard host ("0.0.0.0",
/// "::", "") is probed on loopback (127.0.0.1 / ::1). `timeout` bounds the whole exchange
/// (resolve, connect, write, read). Errors: `errc::config_invalid` for a value that is not
/// host:port, `errc::timeout`, `errc::network` (refused, reset, cannot resolve),
/// `errc::protocol` (not HTTP, body over 64 KiB); messages name the address.
result<probe_response> probe(const std::string& listen_address, const std::string& target,
                             std::chrono::milliseconds timeout);

/// The health check: `probe(listen_address, "/healthz", timeout)`; success when the status is
/// 200, else an error saying why: the probe's error (no answer: refused, timed out, …) or
/// for another status `errc::server_error` / `client_error` "HTTP <status>: <first line of the
/// body>". Never throws.
result<void> check_health(std::string listen_address, std::chrono::milliseconds timeout);

}  // namespace lpda::endpoint
