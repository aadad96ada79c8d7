#pragma once
/// Pluggable request authentication: OAuth 1.0a (RFC 5849) or an OAuth 2.0 client-credentials
/// bearer token (RFC 6749 §4.4). The client asks for a header for each attempt and each
/// redirect hop, so every one is signed anew.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/http/oauth1.hpp"
#include "lpda/http/sentinel.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::http {

class client;

/// Produces the `Authorization` header value for one request attempt.
class auth_strategy {
 public:
  virtual ~auth_strategy() = default;
  /// The header value for `method` on `url` (absolute, with query). Errors are returned as
  /// values (e.g. a failed token request) and never contain secrets.
  virtual boost::asio::awaitable<result<std::string>> authorization(std::string method,
                                                                    std::string url) = 0;
  /// Called once per request after a 401 to the `refused` Authorization value (empty: whatever
  /// is current); returns true when a fresh credential exists or can be fetched, so one more
  /// attempt is worth it (a bearer token that expired early or was revoked).
  virtual bool on_unauthorized(std::string_view refused = {}) {
    (void)refused;
    return false;
  }
};

/// OAuth 1.0a HMAC-SHA1 with LivePerson's four values; fresh nonce and timestamp per call.
class oauth1_auth final : public auth_strategy {
 public:
  explicit oauth1_auth(oauth1_signer signer) : signer_(std::move(signer)) {}
  boost::asio::awaitable<result<std::string>> authorization(std::string method,
                                                            std::string url) override;

 private:
  oauth1_signer signer_;
};

/// Where the client id and secret go in a token request: form fields (`client_id`,
/// `client_secret`; LivePerson's Sentinel, "Client Authentication: body") or HTTP Basic
/// (RFC 6749 §2.3.1).
enum class client_auth_method { body, basic };

/// How one token fetch ended, for metrics: `ok`, `refused` (the token service or the Domain API
/// answered non-2xx, or a destination was refused) or `error` (no usable answer: network, TLS,
/// timeout, malformed JSON).
enum class token_fetch_result { ok, refused, error };

/// "ok", "refused", "error".
std::string_view to_string(token_fetch_result r);

/// OAuth 2.0 client-credentials settings. `client_secret` is a secret.
struct oauth2_settings {
  /// The token endpoint (POST). Empty: derived on LivePerson's sentinel host (see
  /// `sentinel_host`, `csds_url`), `sentinel.hpp`.
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;  ///< optional, sent when not empty
  /// A token is used until this long before its `expires_in` runs out.
  std::chrono::milliseconds refresh_margin{std::chrono::seconds(60)};
  client_auth_method client_auth = client_auth_method::basic;
  /// For a derived token URL: the account id in its path.
  std::string account_id;
  /// For a derived token URL: the sentinel host[:port] (from the region or the config); empty →
  /// asked from the Domain API at `csds_url`.
  std::string sentinel_host;
  /// Base URL of LivePerson's Domain API (CSDS); its scheme is also the sentinel host's scheme
  /// when the host comes from it.
  std::string csds_url = std::string(default_csds_url);
  /// Domain API answers shared across accounts' strategies and reloads; null → this strategy
  /// keeps its own.
  csds_cache* cache = nullptr;
  /// Called once per token fetch with how it ended (metrics); may be empty.
  std::function<void(token_fetch_result)> on_token_fetch;
};

/// OAuth 2.0 client credentials (RFC 6749 §4.4): POSTs `grant_type=client_credentials` with the
/// client id and secret as form fields or in HTTP Basic auth (`client_auth`) to the token URL
/// through `http` (no redirects followed, so the secret reaches no other host), caches
/// `access_token` until `expires_in` − `refresh_margin`, and drops it after a 401 so the next
/// attempt fetches a new one. Requests that need a token while one is being fetched wait for
/// that fetch (one token request at a time). Header: "Bearer <token>".
///
/// Without a `token_url`, the first fetch finds the sentinel host (Domain API lookup once per
/// account and process, or `sentinel_host`) and POSTs to `sentinel_token_url`. The secret goes
/// only where `secret_destination_refused` allows (else `errc::host_not_allowed`). A refusal
/// carries the HTTP status and the service's own message (JSON `error`/`error_description`/
/// `message`, or LivePerson's XML `<message>`), never the secret: code `auth_failed` (4xx),
/// `server_error`/`throttled` (5xx/429).
class oauth2_client_credentials final : public auth_strategy {
 public:
  oauth2_client_credentials(client& http, oauth2_settings settings, clock_fn clock = system_now_ms);
  ~oauth2_client_credentials() override;
  boost::asio::awaitable<result<std::string>> authorization(std::string method,
                                                            std::string url) override;
  /// Drops the current token when it is the refused one (or `refused` is empty): requests that
  /// were in flight with the same token when it was revoked share one new token.
  bool on_unauthorized(std::string_view refused = {}) override;
  /// Token requests made so far (for status and tests).
  int token_requests() const noexcept { return token_requests_; }
  /// The token URL once known (given, or derived after the first fetch); "" before.
  const std::string& token_url() const noexcept { return token_url_; }
  /// `expires_in` of the last token obtained, in seconds; 0 before the first.
  std::int64_t last_expires_in_s() const noexcept { return last_expires_in_s_; }

 private:
  client& http_;
  oauth2_settings settings_;
  clock_fn clock_;
  csds_cache own_cache_;
  std::string token_url_;
  std::string token_;
  std::int64_t expires_at_ms_ = 0;
  std::int64_t last_expires_in_s_ = 0;
  int token_requests_ = 0;
  struct fetch_state;
  std::unique_ptr<fetch_state> fetch_;
  boost::asio::awaitable<result<std::string>> fetch_token();
  boost::asio::awaitable<result<std::string>> resolve_token_url();
};

/// How the token URL is found, in words, for `validate-config --print` and `check`: "token_url
/// URL (given)", "POST URL (sentinel host from the config)" (region or token_host) or
/// "LivePerson's Domain API (CSDS) URL names the sentinel host, then POST URL-with-{baseURI}".
std::string describe_token_source(const oauth2_settings& s);

/// The token request: POST, `Content-Type: application/x-www-form-urlencoded`,
/// `Accept: application/json`, body `client_id=…&client_secret=…&grant_type=client_credentials`
/// (body method; LivePerson's documented order) or `grant_type=client_credentials` with
/// `Authorization: Basic base64(pct(id):pct(secret))` (basic); `&scope=…` when a scope is set.
/// Values are percent-encoded (RFC 5849 §3.6 set, valid form encoding). Pure.
struct token_request_parts {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
token_request_parts make_token_request(const oauth2_settings& s);

/// Until when (epoch ms, exclusive) a token fetched at `now_ms` with `expires_in_s` is used:
/// `now_ms + expires_in_s·1000 − margin`, but at least `now_ms + 1` (a token shorter-lived than
/// the margin serves the request it was fetched for, then the next one fetches anew). Pure.
std::int64_t token_valid_until_ms(std::int64_t now_ms, std::int64_t expires_in_s,
                                  std::chrono::milliseconds margin);

/// The detail of a refusal from the token service: `error` and `error_description` (RFC 6749
/// §5.2) or `message` of a JSON body, `<message>` of an XML body, else the first 200 bytes (300
/// for the others); every occurrence of `secret` replaced by "***" — raw, percent- or
/// form-encoded, XML- or JSON-escaped, and inside HTTP Basic credentials with `client_id` —
/// before the cut; escaped (`escape_text`). Pure.
std::string token_refusal_detail(std::string_view body, std::string_view secret,
                                 std::string_view client_id = {});

/// Parses a token response `{"access_token": "…", "token_type": "Bearer", "expires_in": 3600}`
/// into (token, expires_in seconds; 3600 when absent). `expires_in` may be a JSON number or a
/// string of digits (LivePerson's Sentinel examples show both). Errors: `errc::auth_failed` (no
/// token, or an `expires_in` that is not a non-negative whole number), `errc::malformed_json`.
result<std::pair<std::string, std::int64_t>> parse_token_response(std::string_view body);

}  // namespace lpda::http
