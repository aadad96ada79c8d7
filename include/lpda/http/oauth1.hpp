#pragma once
/// OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849, https://www.rfc-editor.org/rfc/rfc5849),
/// as LivePerson's Data Access API requires it (developers.liveperson.com/oauth-1-0-api-keys.html):
/// two-legged, four values, the whole `Authorization: OAuth …` header on one line.
///
/// Everything here is pure except `oauth1_signer`, whose clock and nonce generator are injected.
#include "lpda/core/clock.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/oauth1_credentials.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::http {

/// LivePerson's four API-key values (`lpda::oauth1_credentials`).
using oauth1_credentials = lpda::oauth1_credentials;

/// A (name, value) pair, decoded (not percent-encoded).
using param = std::pair<std::string, std::string>;

/// Percent-encodes per RFC 5849 §3.6: ALPHA, DIGIT, '-', '.', '_', '~' stay; every other byte
/// becomes "%XX" with upper-case hex.
std::string percent_encode(std::string_view s);

/// Decodes "%XX" escapes once; with `plus_is_space` a '+' becomes ' ' (form encoding, as RFC 5849
/// §3.4.1.3.1 parses query components). A '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

/// Splits a raw (encoded) query or form body "a=1&b=x%2Cy" into decoded pairs; a name without
/// '=' gets an empty value; empty segments are skipped.
std::vector<param> parse_form(std::string_view encoded);

/// The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when it is
/// not the scheme's default (80 for http, 443 for https), the path ("/" when empty), no query or
/// fragment. Error `errc::protocol` when `url` is not an absolute http(s) URL.
result<std::string> base_string_uri(std::string_view url);

/// The signature base string of RFC 5849 §3.4.1: METHOD&pct(base URI)&pct(normalized params),
/// where the parameters are every query parameter of `url` (each decoded once, then
/// re-encoded), `oauth_params` (without oauth_signature) and `body_params` (a form body's
/// parameters, decoded), sorted by encoded name then encoded value (§3.4.1.3.2).
result<std::string> signature_base_string(std::string_view method, std::string_view url,
                                          const std::vector<param>& oauth_params,
                                          const std::vector<param>& body_params = {});

/// HMAC-SHA1 of `base_string` keyed with pct(consumer_secret)&pct(token_secret), base64-encoded
/// (RFC 5849 §3.4.2), e.g. "tR3+Ty81lMeYAr/Fid0kMTYa/WM=".
std::string hmac_sha1_signature(std::string_view base_string, std::string_view consumer_secret,
                                std::string_view token_secret);

/// Inputs that vary per request attempt.
struct oauth1_nonce_time {
  std::string nonce;            ///< unique per request, e.g. 32 hex characters
  std::int64_t timestamp;       ///< seconds since the epoch
  bool include_version = true;  ///< send oauth_version="1.0" (LivePerson's example does)
};

/// The `Authorization` header value for one request: `OAuth oauth_consumer_key="…",
/// oauth_nonce="…", oauth_signature="…", oauth_signature_method="HMAC-SHA1",
/// oauth_timestamp="…", oauth_token="…", oauth_version="1.0"` on one line, values
/// percent-encoded (RFC 5849 §3.5.1). `body_params` are only for form-encoded bodies.
/// Error `errc::protocol` when `url` is not an absolute http(s) URL.
result<std::string> oauth1_authorization(std::string_view method, std::string_view url,
                                         const oauth1_credentials& creds,
                                         const oauth1_nonce_time& nt,
                                         const std::vector<param>& body_params = {});

/// Returns a fresh nonce for each call.
using nonce_fn = std::function<std::string()>;

/// A nonce of 32 lower-case hex characters from OpenSSL's CSPRNG.
std::string random_nonce();

/// Signs requests with a fixed set of credentials, a fresh nonce and the current time for each
/// call (every retry and redirect hop calls it again).
class oauth1_signer {
 public:
  explicit oauth1_signer(oauth1_credentials creds, clock_fn clock = system_now_ms,
                         nonce_fn nonce = random_nonce);
  /// The `Authorization` header value for `method` on `url`; errors as `oauth1_authorization`.
  result<std::string> authorization(std::string_view method, std::string_view url) const;

 private:
  oauth1_credentials creds_;
  clock_fn clock_;
  nonce_fn nonce_;
};

}  // namespace lpda::http
