#include "lpda/api/endpoint.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace lpda::api {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::vector<std::string> default_allowed_hosts(std::string_view base_url) {
  std::vector<std::string> out;
  if (auto u = boost::urls::parse_uri(base_url); u && !u->encoded_host().empty())
    out.push_back(lower(u->encoded_host()));
  out.emplace_back("*.da.liveperson.net");
  return out;
}

std::string auth_failure_causes(unsigned status, auth_kind kind, std::string_view account_id) {
  const std::string account(account_id);
  const std::string credentials =
      kind == auth_kind::oauth1
          ? "one of the four OAuth 1.0a values (app_key, app_secret, access_token, "
            "access_token_secret) is mistyped, has a stray space or newline, or belongs to another "
            "account's API key"
          : "the OAuth 2.0 client (client_id, client_secret) is mistyped or belongs to another "
            "account";
  const std::string account_cause =
      "the account id " + account + " is not the account the " +
      (kind == auth_kind::oauth1 ? std::string("API key") : std::string("client")) +
      " was created in (check the region too)";
  const std::string permission =
      "the " +
      (kind == auth_kind::oauth1 ? std::string("API key") : std::string("OAuth 2.0 client")) +
      " lacks the Data Access permission, or Data Access is not "
      "enabled for account " +
      account;
  // A refused identity (401) is mostly the values; an accepted one that may not read (403)
  // mostly the permission.
  std::vector<std::string> causes;
  if (status == 401) {
    causes = {credentials, account_cause, permission};
  } else {
    causes = {permission, account_cause, credentials};
  }
  if (kind == auth_kind::oauth1)
    causes.push_back(
        "this host's clock is off by more than a few minutes (OAuth 1.0a signatures carry a "
        "timestamp; check with `timedatectl`)");
  std::string out = "likely causes: ";
  for (std::size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) out += "; ";
    out += "(" + std::to_string(i + 1) + ") " + causes[i];
  }
  return out;
}

}  // namespace lpda::api
