#include "lpda/http/auth.hpp"

#include "lpda/http/client.hpp"
#include "lpda/http/status.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>

namespace lpda::http {
namespace {

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

boost::asio::awaitable<result<std::string>> oauth1_auth::authorization(std::string method,
                                                                       std::string url) {
  co_return signer_.authorization(method, url);
}

result<std::pair<std::string, std::int64_t>> parse_token_response(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return error(errc::malformed_json, std::string("token response: ") +
                                           rapidjson::GetParseError_En(doc.GetParseError()) +
                                           " at byte " + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject()) return error(errc::auth_failed, "token response is not a JSON object");
  const auto tok = doc.FindMember("access_token");
  if (tok == doc.MemberEnd() || !tok->value.IsString() || tok->value.GetStringLength() == 0)
    return error(errc::auth_failed, "token response has no access_token");
  std::int64_t expires_in = 3600;
  const auto exp = doc.FindMember("expires_in");
  if (exp != doc.MemberEnd()) {
    if (exp->value.IsInt64())
      expires_in = exp->value.GetInt64();
    else if (exp->value.IsString()) {
      try {
        expires_in = std::stoll(exp->value.GetString());
      } catch (const std::exception&) {
        return error(errc::auth_failed, "token response: expires_in is not a number");
      }
    }
  }
  return std::pair<std::string, std::int64_t>{
      std::string(tok->value.GetString(), tok->value.GetStringLength()), expires_in};
}

// One token request at a time: later callers park on timers and are woken when it ends.
struct oauth2_client_credentials::fetch_state {
  bool fetching = false;
  std::uint64_t generation = 0;  // fetches finished
  std::optional<error> last_error;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
  void wake_all() {
    for (auto& t : waiters) t->cancel();
    waiters.clear();
  }
};

oauth2_client_credentials::oauth2_client_credentials(client& http, oauth2_settings settings,
                                                     clock_fn clock)
    : http_(http),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      fetch_(std::make_unique<fetch_state>()) {}

oauth2_client_credentials::~oauth2_client_credentials() = default;

bool oauth2_client_credentials::on_unauthorized() {
  token_.clear();
  expires_at_ms_ = 0;
  return true;
}

boost::asio::awaitable<result<std::string>> oauth2_client_credentials::authorization(
    std::string /*method*/, std::string /*url*/) {
  for (;;) {
    if (!token_.empty() && clock_() < expires_at_ms_) co_return "Bearer " + token_;
    if (!fetch_->fetching) break;
    const std::uint64_t seen = fetch_->generation;
    auto ex = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(
        ex, boost::asio::steady_timer::time_point::max());
    fetch_->waiters.push_back(timer);
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    // The fetch this caller waited for failed: share its error rather than hammer the server.
    if (fetch_->generation != seen && fetch_->last_error) co_return *fetch_->last_error;
  }
  fetch_->fetching = true;
  auto r = co_await fetch_token();
  fetch_->fetching = false;
  ++fetch_->generation;
  fetch_->last_error = r ? std::nullopt : std::optional<error>(r.error());
  fetch_->wake_all();
  co_return r;
}

boost::asio::awaitable<result<std::string>> oauth2_client_credentials::fetch_token() {
  request req;
  req.method = "POST";
  req.url = settings_.token_url;
  req.headers = {{"Authorization", "Basic " + base64(percent_encode(settings_.client_id) + ":" +
                                                     percent_encode(settings_.client_secret))},
                 {"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = "grant_type=client_credentials";
  if (!settings_.scope.empty()) req.body += "&scope=" + percent_encode(settings_.scope);
  ++token_requests_;
  auto r = co_await http_.send(std::move(req), nullptr);
  if (!r) {
    auto e = r.error();
    e.message = "OAuth 2.0 token request: " + e.message;
    co_return e;
  }
  if (r->status < 200 || r->status >= 300) {
    auto e = status_error(r->status, settings_.token_url, "OAuth 2.0 token request refused");
    if (e.code != make_error_code(errc::server_error) && e.code != make_error_code(errc::throttled))
      e.code = make_error_code(errc::auth_failed);
    co_return e;
  }
  auto parsed = parse_token_response(r->body);
  if (!parsed) co_return parsed.error();
  token_ = std::move(parsed->first);
  const std::int64_t now = clock_();
  expires_at_ms_ = now + parsed->second * 1000 - settings_.refresh_margin.count();
  if (expires_at_ms_ <= now) expires_at_ms_ = now + 1;  // short-lived token: use it once
  co_return "Bearer " + token_;
}

}  // namespace lpda::http
