#pragma once
// Test-only: a small HTTP/1.1 server (plain or TLS) on 127.0.0.1, port 0, on its own thread,
// whose replies a test scripts per request: status, headers, body, and faults (cut the body,
// stall, drip bytes, delay). It records every request and counts TCP accepts.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lpda::test::http {

struct received_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t connection = 0;  ///< index of the TCP connection it came on (0-based)
  /// First header named `name` (case-insensitive), or "".
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

struct reply {
  enum class fault {
    none,
    cut,    ///< send the full Content-Length but only `fault_at` body bytes, then close
    stall,  ///< send `fault_at` body bytes, then wait `fault_for` before the rest
    drip,   ///< send the body one byte every `fault_for`
    close,  ///< close without answering
    /// announce `Content-Length` from the headers (or a huge one) and send `body` again and
    /// again without pause until the client goes away: a fast body that never ends
    endless,
  };
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  fault what = fault::none;
  std::size_t fault_at = 0;
  std::chrono::milliseconds fault_for{0};
  std::chrono::milliseconds delay{0};  ///< wait before answering
  bool close_after = false;            ///< Connection: close
  bool drop_after = false;  ///< close the connection after the reply without announcing it
};

/// The reply for a request; `index` counts requests on this server from 0. Runs on the
/// server thread.
using handler = std::function<reply(const received_request&, std::size_t index)>;

struct server_options {
  bool tls = false;
  std::string cert_pem;  ///< with tls
  std::string key_pem;
  /// Accept TCP connections and never read or write (a TLS handshake that never completes).
  bool silent = false;
  /// Accept TCP connections and close them at once (a reset before any reply or handshake).
  bool hang_up = false;
};

class test_server {
 public:
  test_server(server_options options, handler h);
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const;
  std::size_t accepts() const;
  std::vector<received_request> requests() const;
  /// The greatest number of requests being answered at the same time.
  std::size_t max_in_flight() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::test::http
