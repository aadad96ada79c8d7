#pragma once
/// The HTTP(S) client: Boost.Beast over Asio C++20 coroutines and OpenSSL, with certificate and
/// host-name verification, a keep-alive pool, global and per-host concurrency bounds, timeouts
/// on every step, bounded or streamed bodies, redirects, an allowed-host list for credentials
/// and the retry policy of `retry.hpp`. Beast stays inside the implementation.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/observer.hpp"
#include "lpda/http/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One request. `url` is absolute (http or https); its query is sent verbatim.
struct request {
  std::string method = "GET";
  std::string url;
  header_list headers;  ///< extra headers, e.g. {"Accept", "application/json"}
  std::string body;     ///< request body (POST)
  /// Hosts that may receive the Authorization header (see `host_allowed`); used when `auth` is
  /// given to `send`/`download`. Empty → only the host of `url`.
  std::vector<std::string> allowed_hosts;
  /// What the request is for, in log lines about its attempts (e.g. "account=555
  /// file=Agent.…"); may be empty. Not sent.
  std::string context;
  /// False: a 3xx is the final response (a token request, whose body holds a secret that a
  /// 307/308 would carry to the Location's host).
  bool follow_redirects = true;
  /// Recognises a non-2xx answer that is an expected outcome, not a failure — the Data Access
  /// listing's 404 "No Available Files" for a window without files. Its attempt is reported
  /// with `request_event::expected_answer` set, so metrics need not count it as an HTTP error.
  /// Empty: none is.
  std::function<bool(unsigned status, std::string_view body)> is_expected_answer;
};

/// A final response (after redirects and retries). Any status is a response, not an error:
/// callers turn non-2xx into errors (`status_error`) or, like the listing, read the body.
struct response {
  unsigned status = 0;
  header_list headers;
  std::string body;  ///< at most `client_settings::body_limit` bytes, transport gzip removed
  std::string url;   ///< the URL that answered (after redirects)
  int attempts = 0;  ///< tries made, the last one included
  /// The first header named `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

/// A body streamed to a file.
struct download_result {
  std::filesystem::path path;  ///< the spool file holding the body
  std::uint64_t bytes = 0;     ///< bytes in that file (after removing a transport gzip layer)
  std::string url;             ///< the URL that answered (after redirects)
  int attempts = 0;
};

/// Counters for status output and tests.
struct client_stats {
  std::uint64_t connections_opened = 0;  ///< TCP connections made
  std::uint64_t requests_sent = 0;       ///< HTTP requests written (every attempt and hop)
};

/// An HTTP/1.1 client bound to one executor (one `io_context` thread). Not thread-safe; many
/// coroutines on that executor may use it at once.
class client {
 public:
  /// Throws `lpda::error_exception` (`errc::config_invalid`) when `ca_file` cannot be loaded.
  /// `random01` returns numbers in [0, 1) for retry jitter; `clock` gives epoch ms (Retry-After
  /// dates).
  client(boost::asio::any_io_executor ex, client_settings settings, retry_settings retry,
         clock_fn clock = system_now_ms, std::function<double()> random01 = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` and reads the body into memory (at most `body_limit` bytes). With `auth`, each
  /// attempt and each redirect hop gets a fresh Authorization header, and a URL whose host is
  /// not in `req.allowed_hosts` is refused (`errc::host_not_allowed`) before connecting.
  /// Retries per `retry_settings`; the last response is returned whatever its status. Errors:
  /// `errc::network`, `timeout`, `tls`, `protocol`, `host_not_allowed`, `auth_failed` (auth).
  boost::asio::awaitable<result<response>> send(request req, auth_strategy* auth);

  /// Like `send`, but a 2xx body is streamed to `spool` (replaced; at most
  /// `max_download_bytes`), a `Content-Encoding: gzip` layer is removed, and a non-2xx final
  /// status becomes an error (`status_error`, with the start of the body). A body cut short
  /// is `errc::network` and retried; it is never a success.
  boost::asio::awaitable<result<download_result>> download(request req, std::filesystem::path spool,
                                                           auth_strategy* auth);

  const client_stats& stats() const noexcept;
  /// Installs `observer` (empty: none), called once per attempt of every later request (see
  /// `request_event`). Call it before requests start, on the client's executor.
  void set_observer(request_observer observer);
  /// Closes every idle pooled connection.
  void close_idle();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::http
