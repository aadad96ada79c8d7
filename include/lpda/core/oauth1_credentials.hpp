#pragma once
/// OAuth 1.0a API-key credentials (HMAC-SHA1, RFC 5849), named as LivePerson's console names them
/// (https://developers.liveperson.com/oauth-1-0-api-keys.html). Defined once here: the config reads
/// them from YAML (`config::oauth1_credentials`) and the HTTP client signs with them
/// (`http::oauth1_credentials`). Secrets: never log or print them.
#include <string>

namespace lpda {

struct oauth1_credentials {
  std::string app_key;              ///< the consumer key (oauth_consumer_key)
  std::string app_secret;           ///< the consumer secret
  std::string access_token;         ///< oauth_token
  std::string access_token_secret;  ///< the token secret
  bool operator==(const oauth1_credentials&) const = default;
};

}  // namespace lpda
