#include "lpda/api/listing.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace lpda::api;
using lpda::errc;
using lpda::test::data_dir;
using lpda::test::read_file;

namespace {
// Epoch ms of a UTC calendar hour, from std::chrono (not the parser under test).
std::int64_t utc_ms(int y, unsigned m, unsigned d, int h) {
  using namespace std::chrono;
  const sys_days midnight = year{y} / month{m} / day{d};
  return duration_cast<milliseconds>((midnight + hours{h}).time_since_epoch()).count();
}
}  // namespace

TEST_SUITE("api") {
  TEST_CASE("docs example listing: 5 files with keys - hrefs - parts and scopes") {
    const auto files =
        parse_listing(200, read_file(data_dir() / "listing_docs_example.json")).value();
    REQUIRE(files.size() == 5);
    CHECK(files[0].key == "Agent.1461387600000.1461391200000.part-00001-0");
    CHECK(files[0].name == files[0].key);
    CHECK(files[0].scope_start_ms == 1461387600000);
    CHECK(files[0].scope_start_ms == utc_ms(2016, 4, 23, 5));
    CHECK(files[0].scope_end_ms == utc_ms(2016, 4, 23, 6));
    CHECK(files[0].part == 1);
    CHECK(files[0].href ==
          "https://va-a.da.liveperson.net/data_access_le/account/28045150/le/agentActivity/"
          "Agent.1461387600000.1461391200000.part-00001-0.gz");
    CHECK(files[3].part == 0);
    // The last href has no ".gz"; it is kept verbatim.
    CHECK(files[4].href.substr(files[4].href.size() - 13) == ".part-00000-0");
    for (std::size_t i = 0; i < files.size(); ++i) {
      CHECK(files[i].scope_start_ms == utc_ms(2016, 4, 23, 5 + static_cast<int>(i)));
      CHECK(files[i].scope_end_ms - files[i].scope_start_ms == 3600000);
    }
  }

  TEST_CASE("file as a single object - key drops .gz and name keeps it") {
    const auto files =
        parse_listing(200, read_file(data_dir() / "api" / "listing_single_object.json")).value();
    REQUIRE(files.size() == 1);
    CHECK(files[0].name == "Agent.1461387600000.1461391200000.part-00044-0.gz");
    CHECK(files[0].key == "Agent.1461387600000.1461391200000.part-00044-0");
    CHECK(files[0].part == 44);
    CHECK(files[0].href.rfind("https://lo.da.liveperson.net/", 0) == 0);
  }

  TEST_CASE("file null - file missing - dataAccessFiles missing or null: empty") {
    CHECK(parse_listing(200, read_file(data_dir() / "api" / "listing_null_file.json"))->empty());
    CHECK(parse_listing(200, read_file(data_dir() / "api" / "listing_missing_file.json"))->empty());
    CHECK(parse_listing(200, "{}")->empty());
    CHECK(parse_listing(200, R"({"dataAccessFiles": null})")->empty());
    CHECK(parse_listing(200, R"({"dataAccessFiles": {"file": []}})")->empty());
  }

  TEST_CASE("No Available Files as XML 404 or JSON - any case: empty") {
    CHECK(
        parse_listing(404, read_file(data_dir() / "api" / "no_available_files_404.xml"))->empty());
    CHECK(parse_listing(400, R"({"error":"no available files for this range"})")->empty());
    CHECK(parse_listing(500, "NO AVAILABLE FILES")->empty());
  }

  TEST_CASE("other error bodies surface message - internalCode and the status kind") {
    const auto r = parse_listing(401, read_file(data_dir() / "api" / "unauthorized_401.xml"),
                                 "https://va.da.liveperson.net/x/le/agentActivity?startTime=1");
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().message.find("Unauthorized request") != std::string::npos);
    CHECK(r.error().message.find("internalCode 10") != std::string::npos);
    CHECK(r.error().message.find("HTTP 401") != std::string::npos);
    CHECK(r.error().message.find("startTime") == std::string::npos);
    CHECK(parse_listing(503, "busy").error().code == errc::server_error);
    CHECK(parse_listing(429, "").error().code == errc::throttled);
    CHECK(parse_listing(400, "<error><message>bad</message></error>").error().code ==
          errc::client_error);
  }

  TEST_CASE("malformed JSON and wrong shapes are errors") {
    const auto bad = parse_listing(200, R"({"dataAccessFiles": {"file": [)");
    REQUIRE(bad.has_error());
    CHECK(bad.error().code == errc::malformed_json);
    CHECK(bad.error().message.find("byte") != std::string::npos);
    CHECK(parse_listing(200, "[]").error().code == errc::bad_listing);
    CHECK(parse_listing(200, R"({"dataAccessFiles": {"file": 3}})").error().code ==
          errc::bad_listing);
    const auto no_href =
        parse_listing(200, R"({"dataAccessFiles": {"file": {"@name": "Agent.1.2.part-00000-0",
                 "@scopeStartDate": "1970-01-01T00:00:00.001Z", "@scopeEndDate": "1970-01-01T00:00:00.002Z"}}})");
    REQUIRE(no_href.has_error());
    CHECK(no_href.error().message.find("Agent.1.2.part-00000-0") != std::string::npos);
    CHECK(no_href.error().message.find("@href") != std::string::npos);
  }

  TEST_CASE("a scope date that disagrees with the name is an error naming the file") {
    const auto r = parse_listing(200, R"({"dataAccessFiles": {"file": [{
        "@name": "Agent.1461387600000.1461391200000.part-00001-0",
        "@scopeStartDate": "2016-04-23T01:00:00-05:00",
        "@scopeEndDate": "2016-04-23T02:00:00-04:00",
        "@href": "https://va.da.liveperson.net/f.gz"}]}})");
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::bad_listing);
    CHECK(r.error().message.find("Agent.1461387600000.1461391200000.part-00001-0") !=
          std::string::npos);
  }

  TEST_CASE("scope dates across the 2026 DST changes in America/New_York equal the name epochs") {
    const auto files =
        parse_listing(200, read_file(data_dir() / "api" / "listing_dst_2026_new_york.json"))
            .value();
    REQUIRE(files.size() == 6);
    const int march[] = {5, 6, 7};
    const int november[] = {4, 5, 6};
    for (int i = 0; i < 3; ++i) {
      const auto& f = files[static_cast<std::size_t>(i)];
      CHECK(f.scope_start_ms == utc_ms(2026, 3, 8, march[i]));
      CHECK(f.scope_end_ms == utc_ms(2026, 3, 8, march[i] + 1));
      const auto& g = files[static_cast<std::size_t>(i + 3)];
      CHECK(g.scope_start_ms == utc_ms(2026, 11, 1, november[i]));
      CHECK(g.scope_end_ms == utc_ms(2026, 11, 1, november[i] + 1));
    }
    // The hour that spans the spring gap is one hour long though its wall clock moves by two.
    CHECK(files[1].scope_end_ms - files[1].scope_start_ms == 3600000);
    // The two autumn hours that both start at 01:00 local differ by the offset.
    CHECK(files[5].scope_start_ms - files[4].scope_start_ms == 3600000);
  }

  TEST_CASE("parse_iso8601_ms") {
    CHECK(parse_iso8601_ms("2016-04-23T01:00:00-04:00").value() == 1461387600000);
    CHECK(parse_iso8601_ms("2016-04-23T05:00:00Z").value() == 1461387600000);
    CHECK(parse_iso8601_ms("2016-04-23T05:00:00.250+00:00").value() == 1461387600250);
    CHECK(parse_iso8601_ms("2016-04-23T06:00:00+01:00").value() == 1461387600000);
    CHECK(parse_iso8601_ms("2016-04-23").has_error());
    CHECK(parse_iso8601_ms("2016-04-23T05:00:00-04:00 trailing").has_error());
  }

  TEST_CASE("parse_file_name") {
    const auto p =
        parse_file_name("WebSession.1467853200000.1467856800000.part-00044-3.gz").value();
    CHECK(p.prefix == "WebSession");
    CHECK(p.scope_start_ms == 1467853200000);
    CHECK(p.scope_end_ms == 1467856800000);
    CHECK(p.part == 44);
    CHECK(p.sub_part == 3);
    CHECK(parse_file_name("Agent.x.2.part-00000-0").has_error());
    CHECK(parse_file_name("Agent.1.2.part-00000").has_error());
    CHECK(parse_file_name("nonsense").has_error());
    CHECK(parse_file_name(".1.2.part-0-0").has_error());
  }

  TEST_CASE("base resource lists enabled data types") {
    const auto links =
        parse_base_resource(read_file(data_dir() / "api" / "base_resource_docs_example.json"))
            .value();
    REQUIRE(links.size() == 4);
    CHECK(links[0].rel == "agentActivity");
    CHECK(links[0].href ==
          "https://va-a.da.liveperson.net/data_access_le/account/28045150/le/agentActivity");
    CHECK(links[3].rel == "survey");
    const auto one = parse_base_resource(
        R"({"le": {"@accountId": "1", "link": {"@href": "https://h/le/agentActivity", "@rel": "agentActivity"}}})");
    REQUIRE(one.value().size() == 1);
    CHECK(parse_base_resource("{").error().code == errc::malformed_json);
    CHECK(parse_base_resource("{}").error().code == errc::bad_listing);
  }

  TEST_CASE("parse_error_body") {
    const auto e = parse_error_body(read_file(data_dir() / "api" / "unauthorized_401.xml"));
    REQUIRE(e.has_value());
    CHECK(e->message == "Unauthorized request");
    CHECK(e->internal_code == "10");
    CHECK_FALSE(parse_error_body("plain text").has_value());
  }
}
