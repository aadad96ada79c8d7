#pragma once
/// The daemon's HTTP endpoint on the configured `listen` address: `GET /metrics` (Prometheus text
/// format 0.0.4), `GET /healthz` (alive and the store writable) and `GET /readyz` (config loaded,
/// every enabled account polled successfully). HTTP/1.1 (RFC 9112) over Boost.Beast, run as
/// coroutines on the daemon's executor; Beast stays inside the implementation.
///
/// Answers: 200 or 503 with a short text/plain body ("ok", or the reason); 404 for other paths;
/// 405 (with `Allow: GET, HEAD`) for other methods; HEAD gets GET's headers without a body.
/// Requests carry no body: a request with one, or with a header section larger than
/// `header_limit`, is answered 400 and the connection closed. Every read and write has a
/// deadline, so a slow client cannot hold a connection, and at most `max_connections` are open.
#include "lpda/core/error.hpp"
#include "lpda/metrics/daemon_metrics.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lpda::endpoint {

/// Settings of the endpoint.
struct server_settings {
  /// "host:port" or "[v6]:port" (see `config::split_host_port`); port 0 picks a free port (tests).
  /// The host is an IP literal or a name resolved once at `start` (e.g. "localhost").
  std::string listen = "127.0.0.1:9464";
  /// Deadline for reading one request (header included) and for writing one response; also the
  /// keep-alive idle time.
  std::chrono::milliseconds io_timeout{std::chrono::seconds(5)};
  std::size_t header_limit = 8 * 1024;  ///< bytes of request line + headers
  std::size_t max_connections = 16;     ///< more are closed right after accept
};

/// What the endpoint asks the rest of the daemon. Called on the endpoint's executor; each must be
/// cheap, must not throw and, when it reads state owned by other threads, must synchronise.
struct server_hooks {
  /// The body of `/metrics` (e.g. `daemon_metrics::render`).
  std::function<std::string()> metrics;
  /// True when the store can take writes (e.g. `store_writable(db_path)`); `/healthz` is 503
  /// "store not writable" otherwise. Empty: always true.
  std::function<bool()> store_writable;
  /// `/readyz`'s answer (e.g. `daemon_metrics::check_ready`). Empty: always ready.
  std::function<metrics::readiness()> ready;
};

/// A running endpoint. Create it, use it and destroy it on the thread running its executor.
class server {
 public:
  /// Resolves and binds `settings.listen`, starts listening and spawns the accept loop on `ex`
  /// (it serves once the executor runs). Errors: `errc::config_invalid` for an address that is
  /// not host:port or does not resolve, `errc::network` when binding fails (e.g. the port is in
  /// use); the message names the address.
  static result<std::unique_ptr<server>> start(boost::asio::any_io_executor ex,
                                               server_settings settings, server_hooks hooks);
  /// Stops (see `stop`).
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (the real one when `listen` asked for 0).
  std::uint16_t port() const noexcept;
  /// The bound address as "host:port" / "[v6]:port", e.g. "127.0.0.1:40123".
  std::string address() const;

  /// Closes the listening socket and every open connection; the coroutines then end, so the
  /// executor can run out of work. The hooks are not called after this. Idempotent.
  void stop() noexcept;

  struct state;

 private:
  explicit server(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

/// A cheap check for `server_hooks::store_writable`: true when the database file `db_path`
/// exists and is writable by this process and so is its directory (SQLite creates its journal
/// or WAL files there); uses access(2) with W_OK, no write is made.
bool store_writable(const std::string& db_path) noexcept;

}  // namespace lpda::endpoint
