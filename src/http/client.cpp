// The client's public face: construction (TLS context, pool), one attempt (permits, a pooled or
// new connection, one exchange) and send/download on top of the retry loop (retry_loop.cpp).
#include "lpda/http/client.hpp"

#include "http/client_impl.hpp"
#include "http/inflate.hpp"
#include "lpda/http/status.hpp"

#include <cctype>
#include <random>

namespace lpda::http {

using namespace detail;

namespace {

std::string body_detail(std::string_view body) {
  if (auto e = parse_error_body(body); e && !e->message.empty()) return e->message;
  std::string s(body.substr(0, 200));
  for (char& c : s)
    if (std::iscntrl(static_cast<unsigned char>(c)) != 0) c = ' ';
  return s;
}

}  // namespace

std::string response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

client::impl::impl(asio::any_io_executor ex, client_settings s, retry_settings r, clock_fn clock,
                   std::function<double()> random01)
    : ex_(std::move(ex)),
      settings_(std::move(s)),
      retry_(std::move(r)),
      clock_(std::move(clock)),
      random01_(std::move(random01)),
      ssl_ctx_(ssl::context::tls_client),
      pool_(ex_, settings_.max_concurrent, settings_.max_per_host, settings_.pool_idle_timeout) {
  if (!random01_) {
    random01_ = [gen = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    };
  }
  configure_tls_client(ssl_ctx_, settings_.ca_file);
}

asio::awaitable<result<exchange_out>> client::impl::attempt_once(
    target_url t, bhttp::request<bhttp::string_body> req, body_plan plan) {
  const auto deadline = steady::now() + settings_.request_timeout;
  co_await pool_.global().acquire();
  permit global_permit(&pool_.global());
  auto& host_sem = pool_.host_semaphore(t.key());
  co_await host_sem.acquire();
  permit host_permit(&host_sem);

  auto conn = pool_.take(t.key());
  bool reused = conn != nullptr;
  for (;;) {
    if (!conn) {
      auto c = co_await connect(ex_, ssl_ctx_, settings_, t, deadline, stats_);
      if (!c) co_return c.error();
      conn = std::move(*c);
    }
    bool got_bytes = false;
    auto r =
        co_await exchange(*conn, req, plan, deadline, settings_, t.where(), &got_bytes, stats_);
    if (!r) {
      // A pooled connection the server already closed fails before any response byte: that is
      // not an attempt of its own, so try once more on a fresh connection.
      if (reused && !got_bytes && r.error().code == errc::network) {
        conn.reset();
        reused = false;
        continue;
      }
      co_return r;
    }
    if (r->keep_alive) pool_.put(t.key(), std::move(conn));
    co_return r;
  }
}

client::client(asio::any_io_executor ex, client_settings settings, retry_settings retry,
               clock_fn clock, std::function<double()> random01)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(settings), std::move(retry),
                                   std::move(clock), std::move(random01))) {}

client::~client() = default;

const client_stats& client::stats() const noexcept {
  return impl_->stats_;
}

void client::set_observer(request_observer observer) {
  impl_->observer_ = std::move(observer);
}

void client::close_idle() {
  impl_->pool_.clear();
}

asio::awaitable<result<response>> client::send(request req, auth_strategy* auth) {
  auto r = co_await impl_->perform(std::move(req), auth, nullptr);
  if (!r) co_return r.error();
  response out;
  out.status = r->ex.status;
  out.headers = std::move(r->ex.headers);
  out.body = std::move(r->ex.body);
  out.url = std::move(r->url);
  out.attempts = r->attempts;
  if (r->ex.gzip_layer) {
    auto plain = detail::gunzip_string(out.body, impl_->settings_.body_limit);
    if (!plain)
      co_return error(errc::protocol, "Content-Encoding gzip from " + redact_url(out.url) + ": " +
                                          plain.error().message);
    out.body = std::move(*plain);
  }
  co_return out;
}

asio::awaitable<result<download_result>> client::download(request req, std::filesystem::path spool,
                                                          auth_strategy* auth) {
  auto r = co_await impl_->perform(std::move(req), auth, &spool);
  if (!r || r->ex.status < 200 || r->ex.status >= 300) {
    // No partial body is left behind for a caller to mistake for a file.
    std::error_code ec;
    std::filesystem::remove(spool, ec);
    std::filesystem::remove(std::filesystem::path(spool) += ".transport", ec);
  }
  if (!r) co_return r.error();
  if (r->ex.status < 200 || r->ex.status >= 300)
    co_return status_error(r->ex.status, r->url, body_detail(r->ex.body));
  download_result out;
  out.path = spool;
  out.url = std::move(r->url);
  out.attempts = r->attempts;
  out.bytes = r->ex.file_bytes;
  if (r->ex.gzip_layer) {
    auto n = detail::gunzip_file(r->ex.written, spool, impl_->settings_.max_download_bytes);
    std::error_code ec;
    std::filesystem::remove(r->ex.written, ec);
    if (!n) std::filesystem::remove(spool, ec);
    if (!n)
      co_return error(errc::protocol, "Content-Encoding gzip from " + redact_url(out.url) + ": " +
                                          n.error().message);
    out.bytes = *n;
  }
  co_return out;
}

}  // namespace lpda::http
