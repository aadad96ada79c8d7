#include "lpda/http/auth.hpp"
#include "lpda/core/enum_names.hpp"

#include "lpda/core/text.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/hosts.hpp"
#include "lpda/http/status.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
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

// The sentinel host found through the Domain API is reached with the Domain API's own scheme:
// https at LivePerson, http only for a loopback stand-in (the config refuses other http URLs).
std::string csds_scheme(std::string_view csds_url) {
  return csds_url.rfind("http://", 0) == 0 ? "http" : "https";
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
  if (exp != doc.MemberEnd() && !exp->value.IsNull()) {
    // Sentinel's answers have carried expires_in both as a number and as a string of digits.
    bool ok = false;
    if (exp->value.IsInt64()) {
      expires_in = exp->value.GetInt64();
      ok = expires_in >= 0;
    } else if (exp->value.IsString()) {
      const std::string_view text(exp->value.GetString(), exp->value.GetStringLength());
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), expires_in);
      ok = ec == std::errc{} && p == text.data() + text.size() && !text.empty() && expires_in >= 0;
    }
    // More than ten years is not a lifetime, and would overflow the millisecond arithmetic.
    if (!ok || expires_in > 315'360'000)
      return error(errc::auth_failed,
                   "token response: expires_in is not a whole number of seconds (0..315360000)");
  }
  return std::pair<std::string, std::int64_t>{
      std::string(tok->value.GetString(), tok->value.GetStringLength()), expires_in};
}

std::string_view to_string(token_fetch_result r) {
  static constexpr auto names =
      make_enum_names<token_fetch_result>({{token_fetch_result::ok, "ok"},
                                           {token_fetch_result::refused, "refused"},
                                           {token_fetch_result::error, "error"}});
  return names.name(r);
}

std::int64_t token_valid_until_ms(std::int64_t now_ms, std::int64_t expires_in_s,
                                  std::chrono::milliseconds margin) {
  const std::int64_t until = now_ms + expires_in_s * 1000 - margin.count();
  return until <= now_ms ? now_ms + 1 : until;
}

std::string describe_token_source(const oauth2_settings& s) {
  if (!s.token_url.empty()) return "token_url " + redact_url(s.token_url) + " (given)";
  if (!s.sentinel_host.empty())
    return "POST " + sentinel_token_url("https", s.sentinel_host, s.account_id) +
           " (sentinel host from the config)";
  return "LivePerson's Domain API (CSDS) " + redact_url(csds_lookup_url(s.csds_url, s.account_id)) +
         " names the sentinel host, then POST " +
         sentinel_token_url(csds_scheme(s.csds_url), "{baseURI}", s.account_id);
}

token_request_parts make_token_request(const oauth2_settings& s) {
  token_request_parts out;
  out.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  if (s.client_auth == client_auth_method::basic) {
    out.headers.emplace_back("Authorization", "Basic " + base64(percent_encode(s.client_id) + ":" +
                                                                percent_encode(s.client_secret)));
    out.body = "grant_type=client_credentials";
  } else {
    out.body = "client_id=" + percent_encode(s.client_id) +
               "&client_secret=" + percent_encode(s.client_secret) +
               "&grant_type=client_credentials";
  }
  if (!s.scope.empty()) out.body += "&scope=" + percent_encode(s.scope);
  return out;
}

namespace {

// The forms in which a service that echoes the request could quote the secret: as sent (raw,
// percent-encoded in either hex case, form-encoded), inside the HTTP Basic credentials, and as
// an XML or JSON text would escape it.
std::vector<std::string> secret_forms(std::string_view secret, std::string_view client_id) {
  std::vector<std::string> forms;
  if (secret.empty()) return forms;
  const std::string raw(secret);
  const std::string upper = percent_encode(raw);
  std::string lower = upper;
  for (std::size_t i = 0; i + 2 < lower.size(); ++i)
    if (lower[i] == '%') {
      lower[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 1])));
      lower[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 2])));
    }
  // application/x-www-form-urlencoded writes a space as '+'.
  std::string form = upper;
  for (auto at = form.find("%20"); at != std::string::npos; at = form.find("%20", at))
    form.replace(at, 3, "+");
  std::string xml, json;
  for (char c : raw) {
    switch (c) {
      case '&':
        xml += "&amp;";
        break;
      case '<':
        xml += "&lt;";
        break;
      case '>':
        xml += "&gt;";
        break;
      case '"':
        xml += "&quot;";
        break;
      case '\'':
        xml += "&apos;";
        break;
      default:
        xml += c;
    }
    if (c == '"' || c == '\\' || c == '/') json += '\\';
    json += c;
  }
  const std::string id(client_id);
  forms = {raw,
           upper,
           lower,
           form,
           xml,
           json,
           base64(percent_encode(id) + ":" + upper),
           base64(id + ":" + raw)};
  // Longest first, so a form that contains another is masked whole.
  std::sort(forms.begin(), forms.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  return forms;
}

}  // namespace

std::string token_refusal_detail(std::string_view body, std::string_view secret,
                                 std::string_view client_id) {
  std::string detail;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  const auto member = [&doc](const char* name) -> std::string {
    const auto m = doc.FindMember(name);
    if (m == doc.MemberEnd() || !m->value.IsString()) return {};
    return {m->value.GetString(), m->value.GetStringLength()};
  };
  std::size_t limit = 300;
  if (!doc.HasParseError() && doc.IsObject()) {
    detail = member("error");
    const std::string description = member("error_description");
    if (!description.empty()) detail += detail.empty() ? description : " (" + description + ")";
    if (detail.empty()) detail = member("message");
  } else {
    if (auto e = parse_error_body(body)) detail = e->message;
  }
  if (detail.empty()) {
    detail = std::string(body);
    limit = 200;
  }
  // A service that echoes the request would put the secret in a log line. Masked before the
  // cut, so no prefix of it survives.
  for (const auto& f : secret_forms(secret, client_id))
    for (auto at = detail.find(f); at != std::string::npos; at = detail.find(f, at))
      detail.replace(at, f.size(), "***");
  if (detail.size() > limit) detail.resize(limit);
  for (char& c : detail)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return escape_text(detail);
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
      token_url_(settings_.token_url),
      fetch_(std::make_unique<fetch_state>()) {}

oauth2_client_credentials::~oauth2_client_credentials() = default;

bool oauth2_client_credentials::on_unauthorized(std::string_view refused) {
  // A 401 to an older token says nothing about the one fetched since.
  if (refused.empty() || refused == "Bearer " + token_) {
    token_.clear();
    expires_at_ms_ = 0;
  }
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

boost::asio::awaitable<result<std::string>> oauth2_client_credentials::resolve_token_url() {
  if (!token_url_.empty()) co_return token_url_;
  if (!settings_.sentinel_host.empty())
    co_return sentinel_token_url("https", settings_.sentinel_host, settings_.account_id);
  csds_cache& cache = settings_.cache != nullptr ? *settings_.cache : own_cache_;
  const std::string scheme = csds_scheme(settings_.csds_url);
  if (auto host = cache.find(settings_.csds_url, settings_.account_id))
    co_return sentinel_token_url(scheme, *host, settings_.account_id);
  request req;
  req.url = csds_lookup_url(settings_.csds_url, settings_.account_id);
  req.headers = {{"Accept", "application/json"}};
  req.follow_redirects = false;
  req.context = "account=" + settings_.account_id + " Domain API lookup of sentinel";
  const auto where = [&req] { return "Domain API lookup " + redact_url(req.url) + ": "; };
  auto r = co_await http_.send(req, nullptr);
  if (!r) {
    auto e = r.error();
    e.message = where() + e.message;
    co_return e;
  }
  if (r->status < 200 || r->status >= 300) {
    auto e =
        status_error(r->status, req.url,
                     token_refusal_detail(r->body, settings_.client_secret, settings_.client_id));
    e.message = "Domain API lookup of the sentinel host refused: " + e.message;
    co_return e;
  }
  auto host = parse_csds_answer(r->body);
  if (!host) {
    auto e = host.error();
    e.message = where() + e.message;
    co_return e;
  }
  cache.store(settings_.csds_url, settings_.account_id, *host);
  co_return sentinel_token_url(scheme, *host, settings_.account_id);
}

boost::asio::awaitable<result<std::string>> oauth2_client_credentials::fetch_token() {
  const auto report = [this](token_fetch_result how) {
    if (settings_.on_token_fetch) settings_.on_token_fetch(how);
  };
  const auto classify = [](const error& e) {
    return e.code == make_error_code(errc::auth_failed) ||
                   e.code == make_error_code(errc::client_error) ||
                   e.code == make_error_code(errc::host_not_allowed)
               ? token_fetch_result::refused
               : token_fetch_result::error;
  };
  auto url = co_await resolve_token_url();
  if (!url) {
    report(classify(url.error()));
    co_return url.error();
  }
  if (auto why = secret_destination_refused(*url, settings_.token_url)) {
    report(token_fetch_result::refused);
    co_return error(errc::host_not_allowed, "refusing to send the OAuth 2.0 client secret to " +
                                                redact_url(*url) + ": " + *why +
                                                " (name the host with token_url to trust it)");
  }
  token_url_ = *url;
  auto parts = make_token_request(settings_);
  request req;
  req.method = "POST";
  req.url = *url;
  req.headers = std::move(parts.headers);
  req.body = std::move(parts.body);
  // A 307/308 would carry the form body (and the secret) to wherever Location points.
  req.follow_redirects = false;
  req.context = settings_.account_id.empty()
                    ? std::string("OAuth 2.0 token request")
                    : "account=" + settings_.account_id + " OAuth 2.0 token request";
  ++token_requests_;
  auto r = co_await http_.send(std::move(req), nullptr);
  if (!r) {
    auto e = r.error();
    e.message = "OAuth 2.0 token request to " + redact_url(*url) + ": " + e.message;
    report(token_fetch_result::error);
    co_return e;
  }
  if (r->status < 200 || r->status >= 300) {
    auto e =
        status_error(r->status, *url,
                     token_refusal_detail(r->body, settings_.client_secret, settings_.client_id));
    e.message = "OAuth 2.0 token request refused: " + e.message;
    if (e.code != make_error_code(errc::server_error) && e.code != make_error_code(errc::throttled))
      e.code = make_error_code(errc::auth_failed);
    report(classify(e));
    co_return e;
  }
  auto parsed = parse_token_response(r->body);
  if (!parsed) {
    report(token_fetch_result::error);
    co_return parsed.error();
  }
  token_ = std::move(parsed->first);
  last_expires_in_s_ = parsed->second;
  expires_at_ms_ = token_valid_until_ms(clock_(), parsed->second, settings_.refresh_margin);
  report(token_fetch_result::ok);
  co_return "Bearer " + token_;
}

}  // namespace lpda::http
