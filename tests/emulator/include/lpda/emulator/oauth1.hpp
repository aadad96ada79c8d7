#pragma once
// OAuth 1.0a HMAC-SHA1 signature verification for the emulator (RFC 5849). Written independently
// of the daemon's signer on purpose: the emulator is a test oracle.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lpda::emulator {

/// Ordered name/value pairs, already percent-decoded.
using param_list = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes per RFC 5849 §3.6: every byte except ALPHA, DIGIT, '-', '.', '_', '~' becomes
/// "%XX" with upper-case hex. Input is raw bytes (UTF-8 for text).
std::string percent_encode(std::string_view raw);

/// Decodes "%XX" escapes and, when `plus_is_space`, '+' as a space
/// (application/x-www-form-urlencoded, RFC 5849 §3.4.1.3.1). Malformed escapes are kept literally.
std::string percent_decode(std::string_view encoded, bool plus_is_space = true);

/// Splits a query string or form body ("a=1&b=2", no leading '?') into decoded pairs; a name
/// without '=' gets an empty value; empty segments are skipped.
param_list parse_query(std::string_view query);

/// The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when it is
/// not the scheme's default (80 for http, 443 for https), and the path without query. `host` may
/// carry ":port" (a Host header value).
std::string base_string_uri(std::string_view scheme, std::string_view host, std::string_view path);

/// Parameter normalization of RFC 5849 §3.4.1.3.2: encode names and values, sort by name then
/// value (byte order), join as "n=v&n=v".
std::string normalize_parameters(const param_list& params);

/// The signature base string of RFC 5849 §3.4.1.1: upper-case method, '&', the encoded base string
/// URI, '&', the encoded normalized parameters.
std::string signature_base_string(std::string_view method, std::string_view base_uri,
                                  const param_list& params);

/// HMAC-SHA1 (OpenSSL) of `text` with `key`, base64-encoded (RFC 5849 §3.4.2).
std::string hmac_sha1_base64(std::string_view key, std::string_view text);

/// The HMAC-SHA1 key of RFC 5849 §3.4.2: encode(consumer_secret) & encode(token_secret).
std::string signing_key(std::string_view consumer_secret, std::string_view token_secret);

/// Parses an `Authorization: OAuth k="v", …` header (RFC 5849 §3.5.1) into decoded pairs, in
/// header order; "realm" is kept (the caller drops it). Returns nullopt when the scheme is not
/// "OAuth" or a parameter is malformed.
std::optional<param_list> parse_oauth_header(std::string_view authorization);

/// The four OAuth 1.0a values an API key consists of (LivePerson: app key, secret, access token,
/// access token secret — https://developers.liveperson.com/data-access-api-overview.html).
struct oauth1_credentials {
  std::string consumer_key;
  std::string consumer_secret;
  std::string token;
  std::string token_secret;
};

/// Outcome of a verification: `ok`, or why not (for logs and test messages).
struct verify_result {
  bool ok = false;
  std::string reason;
};

/// Verifies an OAuth 1.0a HMAC-SHA1 request exactly: scheme, Host header, path, every query
/// parameter and, for form bodies, every form parameter are part of the base string (RFC 5849
/// §3.4.1). `target` is the request target ("/path?query"). Consumer key and token must match.
/// No timestamp or nonce checks (tests run with injected clocks).
verify_result verify_oauth1(std::string_view method, std::string_view scheme, std::string_view host,
                            std::string_view target, std::string_view authorization,
                            const oauth1_credentials& creds, std::string_view form_body = {});

/// Signs a request as a client would and returns the `Authorization` header value (used by the
/// emulator's own tests and by tools that talk to it; never by the daemon).
std::string sign_oauth1(std::string_view method, std::string_view url,
                        const oauth1_credentials& creds, std::string_view nonce,
                        std::string_view timestamp);

}  // namespace lpda::emulator
