#include "http/connect.hpp"

#include "lpda/http/status.hpp"

#include <openssl/x509v3.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>

namespace lpda::http::detail {
namespace {

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

result<target_url> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return error(errc::protocol, "not an absolute URL: " + redact_url(url));
  const boost::urls::url_view u = *parsed;
  target_url t;
  t.scheme = std::string(u.scheme());
  std::transform(t.scheme.begin(), t.scheme.end(), t.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t.scheme != "http" && t.scheme != "https")
    return error(errc::protocol, "not an http(s) URL: " + redact_url(url));
  t.tls = t.scheme == "https";
  std::string host(u.encoded_host());
  if (host.empty()) return error(errc::protocol, "URL without host: " + redact_url(url));
  t.host_header = host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  t.host = host;
  t.port = t.tls ? 443 : 80;
  if (u.has_port() && !u.port().empty()) {
    t.port = u.port_number();
    if (t.port == 0) return error(errc::protocol, "bad port in URL: " + redact_url(url));
    t.host_header += ":" + std::string(u.port());
  }
  t.target = std::string(u.encoded_path());
  if (t.target.empty()) t.target = "/";
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  return t;
}

void configure_tls_client(ssl::context& ctx, const std::string& ca_file) {
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec)
      throw error_exception(
          error(errc::config_invalid, "cannot load the system CA store: " + ec.message()));
  } else {
    ctx.load_verify_file(ca_file, ec);
    if (ec)
      throw error_exception(
          error(errc::config_invalid, "cannot load ca_file " + ca_file + ": " + ec.message()));
  }
}

asio::awaitable<result<std::unique_ptr<connection>>> connect(
    asio::any_io_executor ex, ssl::context& ssl_ctx, const client_settings& settings, target_url t,
    steady::time_point deadline, client_stats& stats) {
  // The resolver has no deadline of its own: a timer cancels it after the connect budget. The
  // timer's handler holds only a weak reference, so it is harmless once resolving is over.
  auto resolver = std::make_shared<tcp::resolver>(ex);
  asio::steady_timer resolve_timer(ex, budget(settings.connect_timeout, deadline));
  auto timed_out = std::make_shared<bool>(false);
  resolve_timer.async_wait(
      [weak = std::weak_ptr<tcp::resolver>(resolver), timed_out](boost::system::error_code ec) {
        if (ec) return;
        *timed_out = true;
        if (auto r = weak.lock()) r->cancel();
      });
  auto [rec, endpoints] =
      co_await resolver->async_resolve(t.host, std::to_string(t.port), use_tuple);
  resolve_timer.cancel();
  if (rec && *timed_out) co_return error(errc::timeout, "resolving " + t.host + ": timed out");
  if (rec) co_return error(errc::network, "cannot resolve " + t.host + ": " + rec.message());
  auto c = std::make_unique<connection>();
  if (t.tls)
    c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, ssl_ctx);
  else
    c->plain = std::make_unique<beast::tcp_stream>(ex);
  auto& low = c->lowest();
  low.expires_after(budget(settings.connect_timeout, deadline));
  auto [cec, ep] = co_await low.async_connect(endpoints, use_tuple);
  if (cec) co_return io_error(cec, "connect to", t.where());
  ++stats.connections_opened;
  if (t.tls) {
    if (!is_ip_literal(t.host))  // SNI (RFC 6066 §3: not for IP literals); the macro casts C-style
      SSL_ctrl(c->secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(t.host.c_str()));
    c->secure->set_verify_mode(ssl::verify_peer);
    c->secure->set_verify_callback(ssl::host_name_verification(t.host));
    low.expires_after(budget(settings.tls_handshake_timeout, deadline));
    auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      if (hec == beast::error::timeout)
        co_return error(errc::timeout, "TLS handshake with " + t.where() + ": timed out");
      // A reset or close during the handshake is a network failure (retried); a refused
      // certificate or protocol mismatch is a TLS failure (not retried).
      if (hec == asio::error::connection_reset || hec == asio::error::eof ||
          hec == ssl::error::stream_truncated || hec == asio::error::broken_pipe)
        co_return error(errc::network, "TLS handshake with " + t.where() + ": connection closed (" +
                                           hec.message() + ")");
      std::string why = hec.message();
      const long vr = SSL_get_verify_result(c->secure->native_handle());
      if (vr != X509_V_OK)
        why = std::string("certificate verification failed: ") + X509_verify_cert_error_string(vr);
      co_return error(errc::tls, "TLS handshake with " + t.where() + ": " + why);
    }
  }
  co_return c;
}

}  // namespace lpda::http::detail
