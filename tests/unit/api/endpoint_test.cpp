#include "lpda/api/endpoint.hpp"
#include "lpda/api/data_access_client.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace lpda::api;
using lpda::errc;

TEST_SUITE("api") {
  TEST_CASE("host_for_region") {
    CHECK(host_for_region("us") == "va.da.liveperson.net");
    CHECK(host_for_region("UK") == "lo.da.liveperson.net");
    CHECK(host_for_region("apac") == "sy.da.liveperson.net");
    CHECK(host_for_region("eu").empty());
  }

  TEST_CASE("resolve_base_url: base_url - then domain - then region") {
    CHECK(resolve_base_url("us", "", "").value() == "https://va.da.liveperson.net");
    CHECK(resolve_base_url("us", "lo.da.liveperson.net", "").value() ==
          "https://lo.da.liveperson.net");
    CHECK(resolve_base_url("us", "x.example", "http://127.0.0.1:8080/").value() ==
          "http://127.0.0.1:8080");
    CHECK(resolve_base_url("mars", "", "").error().code == errc::config_invalid);
    CHECK(resolve_base_url("mars", "", "").error().message.find("mars") != std::string::npos);
    CHECK(resolve_base_url("", "", "ftp://h").has_error());
    CHECK(resolve_base_url("", "", "https://h/path").has_error());
    CHECK(resolve_base_url("", "h/p", "").has_error());
  }

  TEST_CASE("default allowed hosts: own host and *.da.liveperson.net") {
    const auto hosts = default_allowed_hosts("https://VA.da.liveperson.net");
    REQUIRE(hosts.size() == 2);
    CHECK(hosts[0] == "va.da.liveperson.net");
    CHECK(hosts[1] == "*.da.liveperson.net");
    CHECK(default_allowed_hosts("http://127.0.0.1:9000")[0] == "127.0.0.1");
  }

  TEST_CASE("sniff_content") {
    CHECK(sniff_content(lpda::test::gzip("{}")) == content_kind::gzip);
    CHECK(sniff_content("  \n{\"a\":1}") == content_kind::json);
    CHECK(sniff_content("\xEF\xBB\xBF[1]") == content_kind::json);
    CHECK(sniff_content(std::string_view("PK\x03\x04rest", 8)) == content_kind::zip);
    CHECK(sniff_content("<error/>") == content_kind::other);
    CHECK(sniff_content("") == content_kind::other);
    CHECK(to_string(content_kind::gzip) == "gzip");
  }
}
