#pragma once
/// Where an account's Data Access API lives (the base URL comes from the config:
/// `config::effective_base_url`, which maps regions to LivePerson's hosts).
#include "lpda/core/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lpda::api {

/// One account's endpoint settings.
struct account_endpoint {
  /// scheme://host[:port] without a trailing slash, e.g. "https://va.da.liveperson.net".
  std::string base_url;
  std::string account_id;  ///< LivePerson site id, e.g. "28045150"
  /// Hosts that may receive this account's credentials: exact names or "*.suffix". Empty →
  /// `default_allowed_hosts(base_url)`.
  std::vector<std::string> allowed_hosts;
};

/// The default `allowed_hosts`: the host of `base_url` and "*.da.liveperson.net" (file hrefs
/// name other Data Access hosts such as va-a.da.liveperson.net).
std::vector<std::string> default_allowed_hosts(std::string_view base_url);

}  // namespace lpda::api
