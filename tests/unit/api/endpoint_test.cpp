#include "lpda/api/endpoint.hpp"

#include <doctest/doctest.h>

using namespace lpda::api;

TEST_SUITE("api") {
  TEST_CASE("default allowed hosts: own host and *.da.liveperson.net") {
    const auto hosts = default_allowed_hosts("https://VA.da.liveperson.net");
    REQUIRE(hosts.size() == 2);
    CHECK(hosts[0] == "va.da.liveperson.net");
    CHECK(hosts[1] == "*.da.liveperson.net");
    CHECK(default_allowed_hosts("http://127.0.0.1:9000")[0] == "127.0.0.1");
  }

  TEST_CASE("a 401 or 403 names its likely causes, the clock only for OAuth 1.0a") {
    CHECK(
        auth_failure_causes(401, auth_kind::oauth1, "123") ==
        "likely causes: (1) one of the four OAuth 1.0a values (app_key, app_secret, "
        "access_token, access_token_secret) is mistyped, has a stray space or newline, or belongs "
        "to another account's API key; (2) the account id 123 is not the account the API key "
        "was created in (check the region too); (3) the API key lacks the Data Access "
        "permission, or Data Access is not enabled for account 123; (4) this host's clock is "
        "off by more than a few minutes (OAuth 1.0a signatures carry a timestamp; check with "
        "`timedatectl`)");
    // 403: the identity was accepted, so the permission comes first.
    const auto forbidden = auth_failure_causes(403, auth_kind::oauth1, "123");
    CHECK(forbidden.rfind("likely causes: (1) the API key lacks the Data Access permission", 0) ==
          0);
    CHECK(forbidden.find("(4) this host's clock") != std::string::npos);
    const auto oauth2 = auth_failure_causes(401, auth_kind::oauth2, "9");
    CHECK(oauth2.rfind("likely causes: (1) the OAuth 2.0 client (client_id, client_secret) is "
                       "mistyped",
                       0) == 0);
    CHECK(oauth2.find("(3) the OAuth 2.0 client lacks the Data Access permission") !=
          std::string::npos);
    CHECK(oauth2.find("clock") == std::string::npos);
    CHECK(oauth2.find("(4)") == std::string::npos);
  }
}
