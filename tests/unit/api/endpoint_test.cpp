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

}
