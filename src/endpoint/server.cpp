#include "lpda/endpoint/server.hpp"

#include "lpda/config/config.hpp"
#include "lpda/core/version.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <map>

namespace lpda::endpoint {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A client may send this many requests on one keep-alive connection; then it reconnects. Bounds
// how long one connection can occupy a slot even when it is never idle.
constexpr int max_requests_per_connection = 100;

std::string format_endpoint(const tcp::endpoint& ep) {
  const auto a = ep.address();
  const std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

struct server::state {
  state(asio::any_io_executor ex, server_settings s, server_hooks h)
      : acceptor(std::move(ex)), settings(std::move(s)), hooks(std::move(h)) {}
  tcp::acceptor acceptor;
  server_settings settings;
  server_hooks hooks;
  bool stopped = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<beast::tcp_stream>> connections;
};

namespace {

using response_t = bhttp::response<bhttp::string_body>;

response_t answer(const server::state& st, const bhttp::request<bhttp::empty_body>& req) {
  response_t res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::server, std::string(user_agent()));
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  const bool head = req.method() == bhttp::verb::head;
  try {
    if (req.method() != bhttp::verb::get && !head) {
      res.result(bhttp::status::method_not_allowed);
      res.set(bhttp::field::allow, "GET, HEAD");
      res.body() = "method not allowed\n";
    } else if (path == "/metrics") {
      res.set(bhttp::field::content_type, std::string(metrics::text_format_content_type));
      if (st.hooks.metrics) res.body() = st.hooks.metrics();
    } else if (path == "/healthz") {
      const bool writable = !st.hooks.store_writable || st.hooks.store_writable();
      res.result(writable ? bhttp::status::ok : bhttp::status::service_unavailable);
      res.body() = writable ? "ok\n" : "store not writable\n";
    } else if (path == "/readyz") {
      const metrics::readiness r = st.hooks.ready ? st.hooks.ready() : metrics::readiness{true, {}};
      res.result(r.ready ? bhttp::status::ok : bhttp::status::service_unavailable);
      res.body() = r.ready ? std::string("ok\n") : r.reason + "\n";
    } else {
      res.result(bhttp::status::not_found);
      res.body() = "not found\n";
    }
  } catch (const std::exception& e) {
    // A hook broke its contract; answer rather than drop the connection.
    res.result(bhttp::status::internal_server_error);
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::string("internal error: ") + e.what() + "\n";
  }
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET body (RFC 9110 §9.3.2)
  return res;
}

response_t bad_request(unsigned version) {
  response_t res{bhttp::status::bad_request, version == 0 ? 11u : version};
  res.set(bhttp::field::server, std::string(user_agent()));
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = "bad request\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

bool is_parse_error(const beast::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return false;
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() ||
         ec == bhttp::error::header_limit || ec == bhttp::error::body_limit;
}

asio::awaitable<void> serve(std::shared_ptr<server::state> st,
                            std::shared_ptr<beast::tcp_stream> stream, std::uint64_t id) {
  // The buffer's own cap stops a client from growing it past the header limit plus slack.
  beast::flat_buffer buffer(st->settings.header_limit + 1024);
  for (int n = 0; n < max_requests_per_connection && !st->stopped; ++n) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(st->settings.header_limit));
    parser.body_limit(0);
    stream->expires_after(st->settings.io_timeout);
    auto [ec, read] = co_await bhttp::async_read(*stream, buffer, parser, use_tuple);
    if (st->stopped) break;
    if (ec) {
      if (is_parse_error(ec)) {
        stream->expires_after(st->settings.io_timeout);
        auto res = bad_request(parser.get().version());
        co_await bhttp::async_write(*stream, res, use_tuple);
      }
      break;
    }
    auto res = answer(*st, parser.get());
    const bool keep = parser.get().keep_alive() && n + 1 < max_requests_per_connection;
    res.keep_alive(keep);
    stream->expires_after(st->settings.io_timeout);
    auto [wec, written] = co_await bhttp::async_write(*stream, res, use_tuple);
    if (wec || !keep) break;
  }
  st->connections.erase(id);
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->socket().close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<server::state> st) {
  for (;;) {
    auto [ec, socket] = co_await st->acceptor.async_accept(use_tuple);
    if (st->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: wait a moment instead of spinning.
      asio::steady_timer pause(st->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      if (st->stopped) co_return;
      continue;
    }
    if (st->connections.size() >= st->settings.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    // Counted here, not when `serve` first runs, so a burst of accepts cannot pass the limit.
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    const auto id = st->next_id++;
    st->connections.emplace(id, stream);
    asio::co_spawn(st->acceptor.get_executor(), serve(st, std::move(stream), id), asio::detached);
  }
}

}  // namespace

server::server(std::shared_ptr<state> s) : state_(std::move(s)) {}

server::~server() {
  stop();
}

result<std::unique_ptr<server>> server::start(asio::any_io_executor ex, server_settings settings,
                                              server_hooks hooks) {
  const std::string where = settings.listen;
  const auto hp = config::split_host_port(where);
  if (!hp)
    return error(errc::config_invalid,
                 "listen address \"" + where + "\" is not host:port or [v6]:port");
  tcp::endpoint local;
  beast::error_code ec;
  const auto literal = asio::ip::make_address(hp->host, ec);
  if (!ec) {
    local = tcp::endpoint(literal, hp->port);
  } else {
    // A name (e.g. "localhost"): resolved once, here at start-up; the first address is used.
    asio::io_context resolve_io;
    tcp::resolver resolver(resolve_io);
    auto found = resolver.resolve(hp->host, std::to_string(hp->port),
                                  tcp::resolver::passive | tcp::resolver::address_configured, ec);
    if (ec || found.empty())
      return error(errc::config_invalid, "listen address \"" + where + "\": cannot resolve " +
                                             hp->host + (ec ? ": " + ec.message() : ""));
    local = found.begin()->endpoint();
  }

  auto st = std::make_shared<state>(ex, std::move(settings), std::move(hooks));
  auto fail = [&](std::string_view step) {
    return error(errc::network,
                 "cannot listen on " + where + " (" + std::string(step) + "): " + ec.message());
  };
  st->acceptor.open(local.protocol(), ec);
  if (ec) return fail("socket");
  st->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("option");
  st->acceptor.bind(local, ec);
  if (ec) return fail("bind");
  st->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  asio::co_spawn(ex, accept_loop(st), asio::detached);
  return std::unique_ptr<server>(new server(std::move(st)));
}

std::uint16_t server::port() const noexcept {
  beast::error_code ec;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string server::address() const {
  beast::error_code ec;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? std::string() : format_endpoint(ep);
}

void server::stop() noexcept {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto& [id, weak] : state_->connections) {
    if (auto s = weak.lock()) s->socket().close(ignored);
  }
  // The coroutines may outlive this object for a moment; they must not reach the caller's
  // objects through the hooks any more.
  state_->hooks = {};
}

bool store_writable(const std::string& db_path) noexcept {
  try {
    const std::filesystem::path p(db_path);
    auto dir = p.parent_path();
    if (dir.empty()) dir = ".";
    return ::access(p.c_str(), W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace lpda::endpoint
