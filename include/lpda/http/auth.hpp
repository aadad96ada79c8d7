#pragma once
/// Pluggable request authentication: OAuth 1.0a (RFC 5849) or an OAuth 2.0 client-credentials
/// bearer token (RFC 6749 §4.4). The client asks for a header for each attempt and each
/// redirect hop, so every one is signed anew.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/http/oauth1.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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
  /// Called once per request after a 401; returns true when a fresh credential exists or can be
  /// fetched, so one more attempt is worth it (a bearer token that expired early).
  virtual bool on_unauthorized() { return false; }
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

/// OAuth 2.0 client-credentials settings. `client_secret` is a secret.
struct oauth2_settings {
  std::string token_url;  ///< https URL of the token endpoint (POST)
  std::string client_id;
  std::string client_secret;
  std::string scope;  ///< optional, sent when not empty
  /// A token is used until this long before its `expires_in` runs out.
  std::chrono::milliseconds refresh_margin{std::chrono::seconds(60)};
};

/// OAuth 2.0 client credentials (RFC 6749 §4.4): POSTs `grant_type=client_credentials` with the
/// client id and secret in HTTP Basic auth (§2.3.1) to the token URL through `http`, caches
/// `access_token` until `expires_in` − `refresh_margin`, and drops it after a 401 so the next
/// attempt fetches a new one. Requests that need a token while one is being fetched wait for
/// that fetch (one token request at a time). Header: "Bearer <token>".
class oauth2_client_credentials final : public auth_strategy {
 public:
  oauth2_client_credentials(client& http, oauth2_settings settings, clock_fn clock = system_now_ms);
  ~oauth2_client_credentials() override;
  boost::asio::awaitable<result<std::string>> authorization(std::string method,
                                                            std::string url) override;
  bool on_unauthorized() override;
  /// Token requests made so far (for status and tests).
  int token_requests() const noexcept { return token_requests_; }

 private:
  client& http_;
  oauth2_settings settings_;
  clock_fn clock_;
  std::string token_;
  std::int64_t expires_at_ms_ = 0;
  int token_requests_ = 0;
  struct fetch_state;
  std::unique_ptr<fetch_state> fetch_;
  boost::asio::awaitable<result<std::string>> fetch_token();
};

/// Parses a token response `{"access_token": "…", "token_type": "Bearer", "expires_in": 3600}`
/// into (token, expires_in seconds; 3600 when absent). Errors: `errc::auth_failed` (no token),
/// `errc::malformed_json`.
result<std::pair<std::string, std::int64_t>> parse_token_response(std::string_view body);

}  // namespace lpda::http
