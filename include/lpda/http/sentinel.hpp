#pragma once
/// Where LivePerson's OAuth 2.0 token endpoint lives, and where a client secret may go.
///
/// LivePerson issues OAuth 2.0 client credentials through its authorization server "Sentinel"
/// (https://developers.liveperson.com/oauth-2-0-client-credentials.html): the host is found with
/// the Domain API (CSDS, service `sentinel`,
/// https://developers.liveperson.com/agent-domain-domain-api.html) or by region
/// (`va.` / `lo.` / `sy.sentinel.liveperson.net`), and the token is requested with
/// `POST https://{sentinel}/sentinel/api/v2/account/{accountId}/app/token?v=2.0` (the `?v=2.0` as
/// LivePerson's own Functions client sends it). Everything here is pure except `csds_cache`.
#include "lpda/core/error.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::http {

/// The Domain API's default base URL.
inline constexpr std::string_view default_csds_url = "https://api.liveperson.net";

/// The sentinel host of a region ("us" → "va.sentinel.liveperson.net", "uk" → "lo.…",
/// "apac" → "sy.…"); "" for any other value.
std::string_view region_sentinel_host(std::string_view region);

/// The Domain API lookup of one service:
/// `{csds_url}/api/account/{account_id}/service/{service}/baseURI.json?version=1.0`
/// (`csds_url` without a trailing slash is expected; one is removed).
std::string csds_lookup_url(std::string_view csds_url, std::string_view account_id,
                            std::string_view service = "sentinel");

/// The `baseURI` of a Domain API answer for `service`: the single-service shape
/// `{"service":"sentinel","account":"…","baseURI":"va.sentinel.liveperson.net"}` or the
/// all-services shape `{"baseURIs":[{"service":…,"baseURI":…},…]}`. The value is a host with an
/// optional port (no scheme, no path). Errors (`errc::bad_field`, message naming what was wrong,
/// remote text escaped): not JSON, not an object, no entry for `service`, a `baseURI` that is
/// missing, empty or not a bare host[:port].
result<std::string> parse_csds_answer(std::string_view body, std::string_view service = "sentinel");

/// The token endpoint on a sentinel host: `{scheme}://{host}/sentinel/api/v2/account/
/// {account_id}/app/token?v=2.0` (account id percent-encoded).
std::string sentinel_token_url(std::string_view scheme, std::string_view host,
                               std::string_view account_id);

/// Whether a client secret may be sent to `url`: https to a host under `*.sentinel.liveperson.net`;
/// any scheme to the host of `explicit_token_url` when it is not empty (the user named it); or
/// http(s) to loopback (localhost, 127.0.0.0/8, ::1). Returns the reason when not, e.g.
/// "evil.example.com is not under *.sentinel.liveperson.net".
std::optional<std::string> secret_destination_refused(std::string_view url,
                                                      std::string_view explicit_token_url = {});

/// The Domain API answers of this process, per (csds_url, account): looked up once, reused by
/// every later token fetch and by the accounts a reload rebuilds. Thread-safe.
class csds_cache {
 public:
  /// The cached sentinel host for (csds_url, account_id), if any.
  std::optional<std::string> find(const std::string& csds_url, const std::string& account_id) const;
  void store(const std::string& csds_url, const std::string& account_id, std::string host);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> hosts_;
};

}  // namespace lpda::http
