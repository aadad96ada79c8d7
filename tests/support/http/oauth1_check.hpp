#pragma once
// Test-only OAuth 1.0a HMAC-SHA1 verification, written apart from lpda::http::oauth1 so a test
// does not check the signer against itself.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lpda::test::http {

/// The name="value" fields of an `OAuth …` header, values percent-decoded.
std::map<std::string, std::string> oauth_fields(const std::string& header);

/// True when `header` carries a valid HMAC-SHA1 signature for `method` on `base_uri`
/// (scheme://host[:port]/path) with the decoded query parameters `query`.
bool verify_oauth1(const std::string& header, const std::string& method,
                   const std::string& base_uri,
                   const std::vector<std::pair<std::string, std::string>>& query,
                   const std::string& consumer_secret, const std::string& token_secret);

/// Splits a request target "/p?a=1&b=x%2Cy" into its path and decoded query pairs.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> split_target(
    const std::string& target);

}  // namespace lpda::test::http
