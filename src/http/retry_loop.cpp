// The retry loop around single attempts: builds each attempt's request (headers, a fresh
// Authorization), follows redirects, refreshes credentials once on 401, retries throttling,
// server errors and transport failures per `retry_settings`, and reports every attempt to the
// observer.
#include "http/client_impl.hpp"
#include "lpda/core/version.hpp"
#include "lpda/http/hosts.hpp"
#include "lpda/http/status.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <optional>
#include <vector>

namespace lpda::http {

using namespace detail;

namespace {

bool is_redirect(unsigned s) {
  return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

asio::awaitable<void> sleep(asio::any_io_executor ex, milliseconds d) {
  asio::steady_timer timer(ex, d);
  co_await timer.async_wait(use_tuple);
}

}  // namespace

asio::awaitable<result<client::impl::perform_out>> client::impl::perform(
    request req, auth_strategy* auth, const std::filesystem::path* spool) {
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
        if (!ref) co_return error(errc::protocol, "bad redirect Location from " + redact_url(url));
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
        co_await sleep(ex_, d.delay);
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

}  // namespace lpda::http
