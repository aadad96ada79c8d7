#pragma once
/// Where an account's Data Access API lives. Hosts: LivePerson developer docs, Data Access API
/// overview (developers.liveperson.com/data-access-api-overview.html): US va.da.liveperson.net,
/// UK lo.da.liveperson.net, APAC sy.da.liveperson.net.
#include "lpda/core/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lpda::api {

/// "us" → "va.da.liveperson.net", "uk" → "lo.da.liveperson.net", "apac" →
/// "sy.da.liveperson.net" (case-insensitive); "" for any other region.
std::string host_for_region(std::string_view region);

/// One account's endpoint settings.
struct account_endpoint {
  /// scheme://host[:port] without a trailing slash, e.g. "https://va.da.liveperson.net".
  std::string base_url;
  std::string account_id;  ///< LivePerson site id, e.g. "28045150"
  /// Hosts that may receive this account's credentials: exact names or "*.suffix". Empty →
  /// `default_allowed_hosts(base_url)`.
  std::vector<std::string> allowed_hosts;
};

/// The base URL from the config's choices, first match wins: `base_url` (scheme, host and
/// port, for tests), then `domain` ("https://" + domain), then `region`. Error
/// `errc::config_invalid` naming the bad value when none is usable.
result<std::string> resolve_base_url(std::string_view region, std::string_view domain,
                                     std::string_view base_url);

/// The default `allowed_hosts`: the host of `base_url` and "*.da.liveperson.net" (file hrefs
/// name other Data Access hosts such as va-a.da.liveperson.net).
std::vector<std::string> default_allowed_hosts(std::string_view base_url);

}  // namespace lpda::api
