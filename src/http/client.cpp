#include "lpda/http/client.hpp"

#include "http/inflate.hpp"
#include "lpda/core/version.hpp"
#include "lpda/http/hosts.hpp"
#include "lpda/http/retry.hpp"
#include "lpda/http/status.hpp"

#include <openssl/x509v3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <map>
#include <random>

namespace lpda::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct target_url {
  std::string scheme;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string target;
  std::string host_header;
  bool tls = false;
  std::string key() const { return scheme + "://" + host + ":" + std::to_string(port); }
  std::string where() const { return host + ":" + std::to_string(port); }
};

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

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool is_redirect(unsigned s) {
  return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

std::string body_detail(std::string_view body) {
  if (auto e = parse_error_body(body); e && !e->message.empty()) return e->message;
  std::string s(body.substr(0, 200));
  for (char& c : s)
    if (std::iscntrl(static_cast<unsigned char>(c)) != 0) c = ' ';
  return s;
}

// An async counting semaphore on one strand-free executor (the client is single-threaded).
class async_semaphore {
 public:
  async_semaphore(asio::any_io_executor ex, std::size_t n) : ex_(std::move(ex)), count_(n) {}

  asio::awaitable<void> acquire() {
    while (count_ == 0) {
      auto timer = std::make_shared<asio::steady_timer>(ex_, steady::time_point::max());
      waiters_.push_back(timer);
      co_await timer->async_wait(use_tuple);
    }
    --count_;
  }

  void release() {
    ++count_;
    while (!waiters_.empty()) {
      auto t = waiters_.front();
      waiters_.pop_front();
      if (t->cancel() > 0) break;  // a waiter that left without waking is skipped
    }
  }

 private:
  asio::any_io_executor ex_;
  std::size_t count_;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;
};

class permit {
 public:
  explicit permit(async_semaphore* s) : s_(s) {}
  permit(const permit&) = delete;
  permit& operator=(const permit&) = delete;
  ~permit() {
    if (s_ != nullptr) s_->release();
  }

 private:
  async_semaphore* s_;
};

struct connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  steady::time_point idle_since;
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

// Where one exchange puts a 2xx body.
struct body_plan {
  const std::filesystem::path* spool = nullptr;  // null → memory
  std::uint64_t mem_limit = 0;
  std::uint64_t file_limit = 0;
};

struct exchange_out {
  unsigned status = 0;
  header_list headers;
  std::string body;               // in memory (non-2xx of a download, or any send)
  std::filesystem::path written;  // file actually written (spool or its transport copy)
  std::uint64_t file_bytes = 0;
  bool keep_alive = false;
  bool gzip_layer = false;
};

error io_error(const boost::system::error_code& ec, std::string_view step,
               const std::string& where) {
  const std::string at = std::string(step) + " " + where;
  if (ec == beast::error::timeout) return error(errc::timeout, at + ": timed out");
  if (ec == bhttp::error::body_limit)
    return error(errc::protocol, at + ": body larger than the limit");
  if (ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == bhttp::error::end_of_stream || ec == ssl::error::stream_truncated)
    return error(errc::network, at + ": connection closed before the end of the response");
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == asio::error::connection_refused)
    return error(errc::network, at + ": " + ec.message());
  if (ec.category() == asio::error::get_ssl_category())
    return error(errc::tls, at + ": " + ec.message());
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
    return error(errc::protocol, at + ": " + ec.message());
  return error(errc::network, at + ": " + ec.message());
}

}  // namespace

std::string response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

struct client::impl {
  impl(asio::any_io_executor ex, client_settings s, retry_settings r, clock_fn clock,
       std::function<double()> random01)
      : ex_(std::move(ex)),
        settings_(std::move(s)),
        retry_(std::move(r)),
        clock_(std::move(clock)),
        random01_(std::move(random01)),
        ssl_ctx_(ssl::context::tls_client),
        global_(ex_, std::max<std::size_t>(1, settings_.max_concurrent)) {
    if (!random01_) {
      random01_ = [gen = std::mt19937_64(std::random_device{}())]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
      };
    }
    ssl_ctx_.set_verify_mode(ssl::verify_peer);
    ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (settings_.ca_file.empty()) {
      ssl_ctx_.set_default_verify_paths(ec);
      if (ec)
        throw error_exception(
            error(errc::config_invalid, "cannot load the system CA store: " + ec.message()));
    } else {
      ssl_ctx_.load_verify_file(settings_.ca_file, ec);
      if (ec)
        throw error_exception(
            error(errc::config_invalid,
                  "cannot load ca_file " + settings_.ca_file + ": " + ec.message()));
    }
  }

  asio::any_io_executor ex_;
  client_settings settings_;
  retry_settings retry_;
  clock_fn clock_;
  std::function<double()> random01_;
  ssl::context ssl_ctx_;
  async_semaphore global_;
  std::map<std::string, std::unique_ptr<async_semaphore>> per_host_;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> pool_;
  client_stats stats_;
  request_observer observer_;

  milliseconds budget(milliseconds step, steady::time_point deadline) const {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    return std::max(milliseconds(1), std::min(step, left));
  }

  async_semaphore& host_semaphore(const std::string& key) {
    auto& s = per_host_[key];
    if (!s)
      s = std::make_unique<async_semaphore>(ex_, std::max<std::size_t>(1, settings_.max_per_host));
    return *s;
  }

  std::unique_ptr<connection> take_pooled(const std::string& key) {
    auto it = pool_.find(key);
    if (it == pool_.end()) return nullptr;
    auto& v = it->second;
    while (!v.empty()) {
      auto c = std::move(v.back());
      v.pop_back();
      if (steady::now() - c->idle_since < settings_.pool_idle_timeout) return c;
    }
    return nullptr;
  }

  void put_pooled(const std::string& key, std::unique_ptr<connection> c) {
    auto& v = pool_[key];
    if (v.size() >= std::max<std::size_t>(1, settings_.max_per_host)) return;
    c->idle_since = steady::now();
    v.push_back(std::move(c));
  }

  asio::awaitable<result<std::unique_ptr<connection>>> connect(target_url t,
                                                               steady::time_point deadline) {
    // The resolver has no deadline of its own: a timer cancels it after the connect budget. The
    // timer's handler holds only a weak reference, so it is harmless once resolving is over.
    auto resolver = std::make_shared<tcp::resolver>(ex_);
    asio::steady_timer resolve_timer(ex_, budget(settings_.connect_timeout, deadline));
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
      c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex_, ssl_ctx_);
    else
      c->plain = std::make_unique<beast::tcp_stream>(ex_);
    auto& low = c->lowest();
    low.expires_after(budget(settings_.connect_timeout, deadline));
    auto [cec, ep] = co_await low.async_connect(endpoints, use_tuple);
    if (cec) co_return io_error(cec, "connect to", t.where());
    ++stats_.connections_opened;
    if (t.tls) {
      if (!is_ip_literal(
              t.host))  // SNI (RFC 6066 §3: not for IP literals); the macro casts C-style
        SSL_ctrl(c->secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                 TLSEXT_NAMETYPE_host_name, const_cast<char*>(t.host.c_str()));
      c->secure->set_verify_mode(ssl::verify_peer);
      c->secure->set_verify_callback(ssl::host_name_verification(t.host));
      low.expires_after(budget(settings_.tls_handshake_timeout, deadline));
      auto [hec] = co_await c->secure->async_handshake(ssl::stream_base::client, use_tuple);
      if (hec) {
        if (hec == beast::error::timeout)
          co_return error(errc::timeout, "TLS handshake with " + t.where() + ": timed out");
        // A reset or close during the handshake is a network failure (retried); a refused
        // certificate or protocol mismatch is a TLS failure (not retried).
        if (hec == asio::error::connection_reset || hec == asio::error::eof ||
            hec == ssl::error::stream_truncated || hec == asio::error::broken_pipe)
          co_return error(errc::network, "TLS handshake with " + t.where() +
                                             ": connection closed (" + hec.message() + ")");
        std::string why = hec.message();
        const long vr = SSL_get_verify_result(c->secure->native_handle());
        if (vr != X509_V_OK)
          why =
              std::string("certificate verification failed: ") + X509_verify_cert_error_string(vr);
        co_return error(errc::tls, "TLS handshake with " + t.where() + ": " + why);
      }
    }
    co_return c;
  }

  template <class Stream>
  asio::awaitable<result<exchange_out>> exchange(Stream& s, connection& c,
                                                 bhttp::request<bhttp::string_body>& req,
                                                 body_plan plan, steady::time_point deadline,
                                                 std::string where, bool* got_bytes) {
    auto& low = c.lowest();
    low.expires_after(budget(settings_.io_timeout, deadline));
    auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
    if (wec) co_return io_error(wec, "sending request to", where);
    ++stats_.requests_sent;

    bhttp::response_parser<bhttp::buffer_body> p;
    p.body_limit(std::max(plan.mem_limit, plan.spool ? plan.file_limit : 0));
    low.expires_after(budget(settings_.io_timeout, deadline));
    auto [hec, hn] = co_await bhttp::async_read_header(s, c.buffer, p, use_tuple);
    if (hn > 0 || p.got_some()) *got_bytes = true;
    if (hec) co_return io_error(hec, "reading response header from", where);
    *got_bytes = true;

    exchange_out out;
    out.status = p.get().result_int();
    for (const auto& f : p.get())
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    const std::string encoding(p.get()[bhttp::field::content_encoding]);
    if (!encoding.empty() && !iequals(encoding, "identity")) {
      if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip"))
        out.gzip_layer = true;
      else
        co_return error(errc::protocol,
                        "unsupported Content-Encoding \"" + encoding + "\" from " + where);
    }
    const bool to_file = plan.spool != nullptr && out.status >= 200 && out.status < 300;
    std::FILE* file = nullptr;
    if (to_file) {
      out.written = *plan.spool;
      if (out.gzip_layer) out.written += ".transport";
      file = detail::create_private_file(out.written);
      if (file == nullptr)
        co_return error(errc::unreadable, "cannot create spool file " + out.written.string());
    }
    struct closer {
      std::FILE*& f;
      ~closer() {
        if (f != nullptr) std::fclose(f);
      }
    } close_file{file};

    std::vector<char> buf(64 * 1024);
    const std::uint64_t limit = to_file ? plan.file_limit : plan.mem_limit;
    std::uint64_t total = 0;
    // read_some, not read: each call gets a fresh idle timeout, so a dripping server is cut off
    // by the whole-request deadline and a silent one by the idle timeout.
    while (!p.is_done()) {
      // Checked here as well as by the stream's timer: a server that keeps the buffer full
      // completes every read at once, so the timer alone would never fire.
      if (steady::now() >= deadline)
        co_return error(errc::timeout, "response body from " + where + " not complete within " +
                                           std::to_string(settings_.request_timeout.count()) +
                                           " ms (request_timeout)");
      p.get().body().data = buf.data();
      p.get().body().size = buf.size();
      low.expires_after(budget(settings_.io_timeout, deadline));
      auto [rec, rn] = co_await bhttp::async_read_some(s, c.buffer, p, use_tuple);
      if (rec == bhttp::error::need_buffer) rec = {};
      const std::size_t got = buf.size() - p.get().body().size;
      total += got;
      if (total > limit)
        co_return error(errc::protocol, "response body from " + where + " larger than " +
                                            std::to_string(limit) + " bytes");
      if (got > 0) {
        if (file != nullptr) {
          if (std::fwrite(buf.data(), 1, got, file) != got)
            co_return error(errc::unreadable, "cannot write spool file " + out.written.string());
        } else {
          out.body.append(buf.data(), got);
        }
      }
      if (rec) co_return io_error(rec, "reading response body from", where);
    }
    if (const auto len = p.content_length_remaining(); len && *len != 0)
      co_return error(errc::network,
                      "response body from " + where + " ended before Content-Length");
    if (file != nullptr) {
      const int rc = std::fclose(file);
      file = nullptr;
      if (rc != 0)
        co_return error(errc::unreadable, "cannot write spool file " + out.written.string());
    }
    out.file_bytes = to_file ? total : 0;
    out.keep_alive = p.keep_alive();
    co_return out;
  }

  asio::awaitable<result<exchange_out>> attempt_once(target_url t,
                                                     bhttp::request<bhttp::string_body> req,
                                                     body_plan plan) {
    const auto deadline = steady::now() + settings_.request_timeout;
    co_await global_.acquire();
    permit global_permit(&global_);
    auto& host_sem = host_semaphore(t.key());
    co_await host_sem.acquire();
    permit host_permit(&host_sem);

    auto conn = take_pooled(t.key());
    bool reused = conn != nullptr;
    for (;;) {
      if (!conn) {
        auto c = co_await connect(t, deadline);
        if (!c) co_return c.error();
        conn = std::move(*c);
      }
      bool got_bytes = false;
      result<exchange_out> r = error(errc::protocol, "unreachable");
      if (conn->secure)
        r = co_await exchange(*conn->secure, *conn, req, plan, deadline, t.where(), &got_bytes);
      else
        r = co_await exchange(*conn->plain, *conn, req, plan, deadline, t.where(), &got_bytes);
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
      if (r->keep_alive) put_pooled(t.key(), std::move(conn));
      co_return r;
    }
  }

  asio::awaitable<void> sleep(milliseconds d) {
    asio::steady_timer timer(ex_, d);
    co_await timer.async_wait(use_tuple);
  }

  struct perform_out {
    exchange_out ex;
    std::string url;
    int attempts = 0;
  };

  asio::awaitable<result<perform_out>> perform(request req, auth_strategy* auth,
                                               const std::filesystem::path* spool) {
    std::string url = req.url;
    std::string method = req.method;
    std::string body = req.body;
    std::vector<std::string> allowed = req.allowed_hosts;
    if (auth != nullptr && allowed.empty()) {
      auto t0 = parse_target(url);
      if (!t0) co_return t0.error();
      allowed.push_back(t0->host);
    }
    int attempt = 1;
    int hops = 0;
    bool refreshed = false;
    std::string sent_authorization;
    for (;;) {
      auto t = parse_target(url);
      if (!t) co_return t.error();
      if (!t->tls && !settings_.allow_insecure_http && !is_loopback_host(t->host))
        co_return error(errc::protocol, "plain http to " + t->host +
                                            " refused (only loopback, unless allow_insecure_http)");
      bhttp::request<bhttp::string_body> breq;
      breq.method_string(method);
      breq.target(t->target);
      breq.version(11);
      breq.set(bhttp::field::host, t->host_header);
      breq.set(bhttp::field::user_agent, std::string(user_agent()));
      for (const auto& [k, v] : req.headers) breq.set(k, v);
      if (auth != nullptr) {
        if (!host_allowed(t->host, allowed))
          co_return error(errc::host_not_allowed, "refusing to send credentials to " + t->host +
                                                      " (" + redact_url(url) +
                                                      "): not in allowed_hosts");
        auto a = co_await auth->authorization(method, url);
        if (!a) co_return a.error();
        breq.set(bhttp::field::authorization, *a);
        sent_authorization = *a;
      }
      if (!body.empty() || method == "POST" || method == "PUT") {
        breq.body() = body;
        breq.prepare_payload();
      }
      body_plan plan{spool, settings_.body_limit, settings_.max_download_bytes};
      auto r = co_await attempt_once(*t, std::move(breq), plan);
      // Every attempt is reported once, before the redirect, refresh or retry it leads to.
      const auto notify = [&](std::optional<errc> failure_kind, const retry_decision& d) {
        if (!observer_) return;
        // `r.error()` is a copy: the event's view needs a string that outlives the call.
        std::string failure_detail;
        request_event ev;
        ev.method = method;
        ev.host = t->host;
        ev.port = t->port;
        ev.context = req.context;
        if (r) {
          ev.status = r->status;
          ev.expected_answer = req.is_expected_answer && r->status / 100 != 2 &&
                               req.is_expected_answer(r->status, r->body);
        } else {
          ev.error = failure_kind;
          failure_detail = r.error().message;
          ev.detail = failure_detail;
        }
        ev.attempt = attempt;
        ev.retrying = d.retry;
        ev.retry_delay = d.retry ? d.delay : milliseconds(0);
        observer_(ev);
      };

      std::optional<errc> failure;
      std::optional<milliseconds> retry_after;
      if (!r) {
        failure = r.error().code.category() == error_category()
                      ? std::optional<errc>(static_cast<errc>(r.error().code.value()))
                      : std::optional<errc>(errc::network);
      } else if (is_redirect(r->status) && req.follow_redirects) {
        std::string location;
        for (const auto& [k, v] : r->headers)
          if (iequals(k, "Location")) location = v;
        if (!location.empty()) {
          notify(std::nullopt, {});
          if (++hops > settings_.max_redirects)
            co_return error(errc::protocol, "more than " + std::to_string(settings_.max_redirects) +
                                                " redirects from " + redact_url(req.url));
          auto ref = boost::urls::parse_uri_reference(location);
          if (!ref)
            co_return error(errc::protocol, "bad redirect Location from " + redact_url(url));
          boost::urls::url next(url);
          if (!next.resolve(*ref))
            co_return error(errc::protocol,
                            "cannot resolve redirect Location from " + redact_url(url));
          next.remove_fragment();
          url = std::string(next.buffer());
          if (r->status == 303) {
            method = "GET";
            body.clear();
          }
          continue;
        }
      } else if (r->status == 401 && auth != nullptr && !refreshed &&
                 auth->on_unauthorized(sent_authorization)) {
        notify(std::nullopt, {});
        refreshed = true;
        continue;
      } else if (auto kind = classify_status(r->status);
                 kind && (*kind == errc::throttled || *kind == errc::server_error)) {
        failure = kind;
        for (const auto& [k, v] : r->headers)
          if (iequals(k, "Retry-After")) retry_after = parse_retry_after(v, clock_());
      }
      retry_decision d;
      if (failure) d = decide_retry(*failure, attempt, retry_after, retry_, random01_());
      notify(failure, d);
      if (failure) {
        if (d.retry) {
          co_await sleep(d.delay);
          ++attempt;
          continue;
        }
        if (!r) {
          auto e = r.error();
          if (attempt > 1) e.message += " (after " + std::to_string(attempt) + " attempts)";
          co_return e;
        }
      }
      perform_out out{std::move(*r), url, attempt};
      co_return out;
    }
  }
};

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
