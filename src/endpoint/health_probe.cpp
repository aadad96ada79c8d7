#include "lpda/endpoint/health_probe.hpp"

#include "lpda/config/config.hpp"
#include "lpda/core/version.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <optional>

namespace lpda::endpoint {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t max_body = 64 * 1024;

struct probe_target {
  std::string host;  // to connect to
  std::string port;
  std::string host_header;  // as given
  std::string target;
  std::chrono::milliseconds timeout;
};

asio::awaitable<void> run_probe(probe_target t, result<probe_response>* out) {
  auto ex = co_await asio::this_coro::executor;
  const std::string where = t.host_header;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(t.host, t.port, use_tuple);
  if (rec) {
    *out = error(errc::network, "health probe: cannot resolve " + t.host + ": " + rec.message());
    co_return;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(t.timeout);  // one deadline for connect, write and read together
  auto failed = [&](const beast::error_code& ec, std::string_view step) {
    if (ec == beast::error::timeout)
      return error(errc::timeout,
                   "health probe of " + where + ": timed out (" + std::string(step) + ")");
    if (ec == bhttp::error::body_limit)
      return error(errc::protocol, "health probe of " + where + ": body larger than 64 KiB");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
      return error(errc::protocol,
                   "health probe of " + where + ": not an HTTP response: " + ec.message());
    return error(errc::network,
                 "health probe of " + where + " (" + std::string(step) + "): " + ec.message());
  };
  auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
  if (cec) {
    *out = failed(cec, "connect");
    co_return;
  }
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, t.target, 11};
  req.set(bhttp::field::host, t.host_header);
  req.set(bhttp::field::user_agent, std::string(user_agent()));
  req.set(bhttp::field::connection, "close");
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
  if (wec) {
    *out = failed(wec, "write");
    co_return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  auto [ec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (ec) {
    *out = failed(ec, "read");
    co_return;
  }
  probe_response r;
  r.status = parser.get().result_int();
  r.body = std::move(parser.get().body());
  *out = std::move(r);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

result<probe_response> probe(const std::string& listen_address, const std::string& target,
                             std::chrono::milliseconds timeout) {
  const auto hp = config::split_host_port(listen_address);
  if (!hp)
    return error(errc::config_invalid,
                 "listen address \"" + listen_address + "\" is not host:port or [v6]:port");
  probe_target t;
  t.host = hp->host;
  // A daemon listening on every address is reachable on loopback.
  if (t.host.empty() || t.host == "0.0.0.0")
    t.host = "127.0.0.1";
  else if (t.host == "::")
    t.host = "::1";
  t.port = std::to_string(hp->port);
  t.host_header = listen_address;
  t.target = target;
  t.timeout = timeout;

  asio::io_context io;
  result<probe_response> out =
      error(errc::timeout, "health probe of " + listen_address + ": timed out");
  asio::co_spawn(io, run_probe(std::move(t), &out), asio::detached);
  // The stream's deadline does not cover name resolution: bound the whole run as well. Handlers
  // still pending then are destroyed with `io`, never resumed.
  io.run_for(timeout + std::chrono::milliseconds(100));
  return out;
}

result<void> check_health(std::string listen_address, std::chrono::milliseconds timeout) {
  try {
    const auto r = probe(listen_address, "/healthz", timeout);
    if (!r) return r.error();
    if (r->status != 200) {
      // The endpoint says why in the body's first line, e.g. "store not writable".
      std::string why = r->body.substr(0, std::min(r->body.find('\n'), std::size_t{200}));
      return error(r->status >= 500 ? errc::server_error : errc::client_error,
                   "HTTP " + std::to_string(r->status) + (why.empty() ? "" : ": " + why));
    }
    return {};
  } catch (const std::exception& e) {
    return error(errc::network, e.what());
  }
}

}  // namespace lpda::endpoint
