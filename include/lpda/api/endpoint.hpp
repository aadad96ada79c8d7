#pragma once
/// Where an account's Data Access API lives (the base URL comes from the config:
/// `config::effective_base_url`, which maps regions to LivePerson's hosts).
#include "lpda/core/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lpda::api {

/// Which credentials an account signs with (for `auth_failure_causes`).
enum class auth_kind { oauth1, oauth2 };

/// One account's endpoint settings.
struct account_endpoint {
  /// scheme://host[:port] without a trailing slash, e.g. "https://va.da.liveperson.net".
  std::string base_url;
  std::string account_id;  ///< LivePerson site id, e.g. "28045150"
  /// Hosts that may receive this account's credentials: exact names or "*.suffix". Empty →
  /// `default_allowed_hosts(base_url)`.
  std::vector<std::string> allowed_hosts;
  auth_kind auth = auth_kind::oauth1;  ///< named in the causes of a 401/403
};

/// The default `allowed_hosts`: the host of `base_url` and "*.da.liveperson.net" (file hrefs
/// name other Data Access hosts such as va-a.da.liveperson.net).
std::vector<std::string> default_allowed_hosts(std::string_view base_url);

/// The likely causes of a 401 (`status` 401) or 403 (any other `status`) from the Data Access
/// API for `account_id`, most likely first, as text to follow the error ("likely causes: (1) …;
/// (2) …"): the credentials (the four OAuth 1.0a values, or the OAuth 2.0 client), the account
/// id, the Data Access permission, and for OAuth 1.0a the host clock — its signatures carry a
/// timestamp (RFC 5849 §3.3) that LivePerson checks. The one place these causes are written, so
/// a new one (or a measured fact such as the clock skew) is added here. Sources:
/// https://developers.liveperson.com/oauth-1-0-api-keys.html,
/// https://developers.liveperson.com/data-access-api-overview.html.
std::string auth_failure_causes(unsigned status, auth_kind kind, std::string_view account_id);

}  // namespace lpda::api
