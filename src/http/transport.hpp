#pragma once
// What the parts of one HTTP request share (pool, connect, exchange, retry loop): the Beast
// names, a connection's streams, step budgets under the request deadline and the mapping of
// Asio/Beast/OpenSSL error codes to `errc`. Private to the http module: Beast stays out of
// include/lpda/http.
#include "lpda/core/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace lpda::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Case-insensitive ASCII comparison (header names, Content-Encoding values).
bool iequals(std::string_view a, std::string_view b);

/// One TCP connection, plain or TLS, with the read buffer that outlives each exchange on it.
struct connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  steady::time_point idle_since;
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

/// The time a step may take: `step`, cut to what is left before `deadline`, at least 1 ms.
milliseconds budget(milliseconds step, steady::time_point deadline);

/// The error for a failed I/O `step` ("connect to", "reading response body from", …) at `where`.
error io_error(const boost::system::error_code& ec, std::string_view step,
               const std::string& where);

}  // namespace lpda::http::detail
