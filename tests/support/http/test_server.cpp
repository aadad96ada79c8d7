#include "test_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

namespace lpda::test::http {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string head_of(const reply& r) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " +
                  std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(r.status))) +
                  "\r\n";
  bool has_length = false;
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, "Content-Length")) has_length = true;
    h += k + ": " + v + "\r\n";
  }
  if (!has_length) h += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (r.close_after) h += "Connection: close\r\n";
  return h + "\r\n";
}

}  // namespace

std::string received_request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool received_request::has_header(const std::string& name) const {
  for (const auto& kv : headers)
    if (iequals(kv.first, name)) return true;
  return false;
}

struct test_server::impl {
  server_options options;
  handler on_request;
  asio::io_context io;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<std::size_t> accepts{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> max_in_flight{0};
  mutable std::mutex mutex;
  std::vector<received_request> requests;
  std::vector<std::shared_ptr<tcp::socket>> silent_sockets;

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, std::size_t conn_index) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, use_tuple);
      if (ec) co_return;
      received_request rr;
      rr.method = std::string(req.method_string());
      rr.target = std::string(req.target());
      for (const auto& f : req)
        rr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      rr.body = req.body();
      rr.connection = conn_index;
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex);
        index = requests.size();
        requests.push_back(rr);
      }
      const std::size_t now = ++in_flight;
      std::size_t prev = max_in_flight.load();
      while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
      }
      const reply r = on_request(rr, index);
      asio::steady_timer timer(io);
      if (r.delay.count() > 0) {
        timer.expires_after(r.delay);
        co_await timer.async_wait(use_tuple);
      }
      --in_flight;
      if (r.what == reply::fault::close) co_return;
      const std::string head = head_of(r);
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
      if (wec) co_return;
      if (r.what == reply::fault::none) {
        auto [bec, bn] = co_await asio::async_write(stream, asio::buffer(r.body), use_tuple);
        if (bec || r.close_after || r.drop_after) co_return;
        continue;
      }
      if (r.what == reply::fault::endless) {
        for (;;) {
          auto [eec, en] = co_await asio::async_write(stream, asio::buffer(r.body), use_tuple);
          if (eec) co_return;
        }
      }
      if (r.what == reply::fault::drip) {
        for (char c : r.body) {
          auto [dec, dn] = co_await asio::async_write(stream, asio::buffer(&c, 1), use_tuple);
          if (dec) co_return;
          timer.expires_after(r.fault_for);
          co_await timer.async_wait(use_tuple);
        }
        continue;
      }
      const std::size_t first = std::min(r.fault_at, r.body.size());
      auto [fec, fn] =
          co_await asio::async_write(stream, asio::buffer(r.body.data(), first), use_tuple);
      if (fec) co_return;
      if (r.what == reply::fault::cut) co_return;  // the stream closes when this returns
      timer.expires_after(r.fault_for);
      co_await timer.async_wait(use_tuple);
      auto [sec, sn] = co_await asio::async_write(
          stream, asio::buffer(r.body.data() + first, r.body.size() - first), use_tuple);
      if (sec) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket, std::size_t conn_index) {
    if (!options.tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(stream, conn_index);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl_ctx);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    co_await serve(stream, conn_index);
    beast::error_code ec;
    stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      const std::size_t index = accepts++;
      if (options.hang_up) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      if (options.silent) {
        silent_sockets.push_back(std::make_shared<tcp::socket>(std::move(socket)));
        continue;
      }
      asio::co_spawn(io, session(std::move(socket), index), asio::detached);
    }
  }
};

test_server::test_server(server_options options, handler h) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  impl_->on_request = std::move(h);
  if (impl_->options.tls) {
    impl_->ssl_ctx.use_certificate_chain(asio::buffer(impl_->options.cert_pem));
    impl_->ssl_ctx.use_private_key(asio::buffer(impl_->options.key_pem), asio::ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

test_server::~test_server() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t test_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}
std::size_t test_server::accepts() const {
  return impl_->accepts.load();
}
std::size_t test_server::max_in_flight() const {
  return impl_->max_in_flight.load();
}

std::vector<received_request> test_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace lpda::test::http
