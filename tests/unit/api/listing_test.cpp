#include "lpda/api/listing.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

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
        parse_listing(200, read_file(data_dir() / "listing_docs_example.json")).value().files;
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
        parse_listing(200, read_file(data_dir() / "api" / "listing_single_object.json"))
            .value()
            .files;
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
    CHECK(parse_listing(200, R"({"dataAccessFiles": []})").error().code == errc::bad_listing);
  }

  TEST_CASE("a one-file listing whose file is a string or a number is one rejected entry") {
    // The API collapses a one-file array to its element; a bad element must not fail the
    // listing (that would block the account), it is one rejected entry like file[0] = "oops".
    struct value_case {
      std::string json;
      std::string key;  // FNV-1a 64 of the compact JSON, computed outside this code base
    };
    for (const auto& c : {value_case{R"("oops")", "listing-entry:a935f3597e8169c4"},
                          value_case{"5", "listing-entry:af63a84c86019430"}}) {
      CAPTURE(c.json);
      const auto r = parse_listing(200, R"({"dataAccessFiles": {"file": )" + c.json + "}}",
                                   "https://va.da.liveperson.net/x/le/agentActivity?startTime=1");
      REQUIRE(r.has_value());
      CHECK(r->files.empty());
      CHECK_FALSE(r->empty());
      REQUIRE(r->rejected.size() == 1);
      const auto& e = r->rejected[0];
      CHECK(e.index == 0);
      CHECK_FALSE(e.name.has_value());
      CHECK_FALSE(e.href.has_value());
      CHECK(e.reason.code == errc::bad_listing);
      CHECK_MESSAGE(e.reason.message ==
                        "listing https://va.da.liveperson.net/x/le/agentActivity: file[0] is not "
                        "an object",
                    e.reason.message);
      CHECK(e.entry_key == c.key);
      CHECK(ledger_key(e) == c.key);
    }
  }

  TEST_CASE("the derived key ignores @href and, for a string @name, everything but the name") {
    // "Agent bad name" is a string but not a usable ledger key; its @href is signed afresh on
    // every listing. FNV-1a 64 of the bytes "Agent bad name", computed outside this code base.
    const auto listing = [](const std::string& href, const std::string& start) {
      return parse_listing(200, R"({"dataAccessFiles": {"file": [{"@name": "Agent bad name",
          "@scopeStartDate": ")" + start +
                                    R"(", "@href": ")" + href + R"("}]}})")
          .value();
    };
    const auto a = listing("https://va.da.liveperson.net/f?sig=1", "2016-04-23T01:00:00-04:00");
    const auto b = listing("https://va.da.liveperson.net/f?sig=2", "2016-04-23T02:00:00-04:00");
    REQUIRE(a.rejected.size() == 1);
    REQUIRE(b.rejected.size() == 1);
    CHECK(a.rejected[0].entry_key == "listing-entry:0ca6e4c98d6be89c");
    CHECK(b.rejected[0].entry_key == a.rejected[0].entry_key);
    CHECK(ledger_key(b.rejected[0]) == "listing-entry:0ca6e4c98d6be89c");
    // No string @name: the JSON without @href, so a changing href does not change the key
    // (FNV-1a 64 of {"x":1}), while the other fields still tell entries apart.
    const auto c = parse_listing(200, R"({"dataAccessFiles": {"file": [
        {"x": 1, "@href": "https://h/a?sig=1"}, {"@href": "https://h/a?sig=2", "x": 1},
        {"x": 2, "@href": "https://h/a?sig=1"}]}})")
                       .value();
    REQUIRE(c.rejected.size() == 3);
    CHECK(c.rejected[0].entry_key == "listing-entry:bdd3d53c3a0b3fd6");
    CHECK(c.rejected[1].entry_key == c.rejected[0].entry_key);
    CHECK(c.rejected[2].entry_key != c.rejected[0].entry_key);
  }

  TEST_CASE("listing text in rejection messages is escaped to one printable line") {
    const auto r = parse_listing(200, R"({"dataAccessFiles": {"file": [
        {"@name": "Agent\u001b[31m.1.2.part-0-0\nerror: forged", "@href": "h",
         "@scopeStartDate": "x", "@scopeEndDate": "y"},
        {"@name": "Agent.1461387600000.1461391200000.part-00001-0", "@href": "h",
         "@scopeStartDate": "\u0007bell", "@scopeEndDate": "2016-04-23T02:00:00-04:00"}]}})");
    REQUIRE(r.has_value());
    REQUIRE(r->rejected.size() == 2);
    const std::string& m0 = r->rejected[0].reason.message;
    CHECK_MESSAGE(m0.find(R"(Agent\x1b[31m.1.2.part-0-0\x0aerror: forged)") != std::string::npos,
                  m0);
    CHECK(m0.find("control character or invalid UTF-8") != std::string::npos);
    const std::string& m1 = r->rejected[1].reason.message;
    CHECK_MESSAGE(m1.find(R"("\x07bell")") != std::string::npos, m1);
    // A name with a byte that is not UTF-8 (rapidjson keeps it as is).
    const std::string raw =
        std::string(R"({"dataAccessFiles": {"file": {"@name": "Agent)") + "\xff" +
        R"(.1.2.part-0-0", "@href": "h", "@scopeStartDate": "1970-01-01T00:00:00.001Z",
                            "@scopeEndDate": "1970-01-01T00:00:00.002Z"}}})";
    const auto bad_utf8 = parse_listing(200, raw);
    REQUIRE(bad_utf8.has_value());
    CHECK(bad_utf8->files.empty());  // such a name is never a good file's key
    REQUIRE(bad_utf8->rejected.size() == 1);
    CHECK(bad_utf8->rejected[0].reason.message.find(R"(Agent\xff.1.2)") != std::string::npos);
    for (const auto& e : {r->rejected[0], r->rejected[1], bad_utf8->rejected[0]})
      for (const char ch : e.reason.message) {
        const auto b = static_cast<unsigned char>(ch);
        CHECK((b >= 0x20 && b != 0x7f && b < 0x80));
      }
    // An error body's message is escaped too.
    const auto err = parse_listing(500, "<error><message>boom\nerror: forged</message></error>");
    REQUIRE(err.has_error());
    CHECK(err.error().message.find(R"(boom\x0aerror: forged)") != std::string::npos);
  }
  TEST_CASE(
      "one malformed entry of each kind beside good ones: the good files and one rejected entry") {
    // Entry 0 and 2 are well-formed (hours 05:00 and 07:00 UTC of 2016-04-23); entry 1 is bad.
    const std::string good0 = R"({"@name": "Agent.1461387600000.1461391200000.part-00001-0",
        "@scopeStartDate": "2016-04-23T01:00:00-04:00", "@scopeEndDate": "2016-04-23T02:00:00-04:00",
        "@href": "https://va.da.liveperson.net/a/Agent.1461387600000.1461391200000.part-00001-0.gz"})";
    const std::string good2 = R"({"@name": "Agent.1461394800000.1461398400000.part-00000-0",
        "@scopeStartDate": "2016-04-23T03:00:00-04:00", "@scopeEndDate": "2016-04-23T04:00:00-04:00",
        "@href": "https://va.da.liveperson.net/a/Agent.1461394800000.1461398400000.part-00000-0.gz"})";
    const std::string hour6 = "Agent.1461391200000.1461394800000.part-00000-0";
    const std::string href6 = "https://va.da.liveperson.net/a/" + hour6 + ".gz";
    struct bad_case {
      std::string what;
      std::string entry;
      std::optional<std::string> name;
      std::optional<std::string> href;
      std::vector<std::string> reason_has;  // what and where
      bool key_is_name;
    };
    const std::vector<bad_case> cases = {
        {"not an object", "3", std::nullopt, std::nullopt, {"file[1] is not an object"}, false},
        {"null entry", "null", std::nullopt, std::nullopt, {"file[1] is not an object"}, false},
        {"no @href",
         R"({"@name": ")" + hour6 + R"(", "@scopeStartDate": "2016-04-23T02:00:00-04:00",
             "@scopeEndDate": "2016-04-23T03:00:00-04:00"})",
         hour6,
         std::nullopt,
         {"file[1] \"" + hour6 + "\"", "@href missing or not a string"},
         true},
        {"no @name",
         R"({"@scopeStartDate": "2016-04-23T02:00:00-04:00",
             "@scopeEndDate": "2016-04-23T03:00:00-04:00", "@href": ")" +
             href6 + R"("})",
         std::nullopt,
         href6,
         {"file[1]: field @name missing or not a string"},
         false},
        {"@name not a string",
         R"({"@name": 42, "@href": ")" + href6 + R"("})",
         std::nullopt,
         href6,
         {"file[1]: field @name"},
         false},
        {"name not <Prefix>.<startMs>.<endMs>.part-N-k",
         R"({"@name": "Agent.soon.later.part-00000-0.gz",
             "@scopeStartDate": "2016-04-23T02:00:00-04:00",
             "@scopeEndDate": "2016-04-23T03:00:00-04:00", "@href": ")" +
             href6 + R"("})",
         "Agent.soon.later.part-00000-0.gz",
         href6,
         {"file[1] \"Agent.soon.later.part-00000-0.gz\"",
          "is not <Prefix>.<startMs>.<endMs>.part-N-k"},
         true},
        {"scope date not ISO 8601",
         R"({"@name": ")" + hour6 + R"(", "@scopeStartDate": "yesterday",
             "@scopeEndDate": "2016-04-23T03:00:00-04:00", "@href": ")" +
             href6 + R"("})",
         hour6,
         href6,
         {"file[1] \"" + hour6 + "\"", "@scopeStartDate \"yesterday\""},
         true},
        {"scope dates disagree with the name",
         R"({"@name": ")" + hour6 + R"(", "@scopeStartDate": "2016-04-23T02:00:00-05:00",
             "@scopeEndDate": "2016-04-23T03:00:00-04:00", "@href": ")" +
             href6 + R"("})",
         hour6,
         href6,
         {"file[1] \"" + hour6 + "\"", "differ from the epochs in the name"},
         true},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      const std::string body = R"({"dataAccessFiles": {"@id": "1", "file": [)" + good0 + "," +
                               c.entry + "," + good2 + "]}}";
      const auto r =
          parse_listing(200, body, "https://va.da.liveperson.net/x/le/agentActivity?startTime=1");
      REQUIRE(r.has_value());
      REQUIRE(r->files.size() == 2);
      CHECK(r->files[0].key == "Agent.1461387600000.1461391200000.part-00001-0");
      CHECK(r->files[1].key == "Agent.1461394800000.1461398400000.part-00000-0");
      CHECK(r->files[1].scope_start_ms == utc_ms(2016, 4, 23, 7));
      REQUIRE(r->rejected.size() == 1);
      const auto& e = r->rejected[0];
      CHECK(e.index == 1);
      CHECK(e.name == c.name);
      CHECK(e.href == c.href);
      CHECK(e.reason.code == errc::bad_listing);
      CHECK(e.reason.message.rfind("listing https://va.da.liveperson.net/x/le/agentActivity", 0) ==
            0);
      CHECK(e.reason.message.find("startTime") == std::string::npos);
      for (const auto& part : c.reason_has)
        CHECK_MESSAGE(e.reason.message.find(part) != std::string::npos, e.reason.message);
      CHECK(e.entry_key.rfind("listing-entry:", 0) == 0);
      CHECK(e.entry_key.size() == 14 + 16);
      if (c.key_is_name) {
        std::string k = *c.name;
        if (k.size() > 3 && k.substr(k.size() - 3) == ".gz") k.resize(k.size() - 3);
        CHECK(ledger_key(e) == k);
      } else {
        CHECK(ledger_key(e) == e.entry_key);
      }
      // The name's parts, when the name follows the pattern: the scope for the ledger.
      if (c.name == hour6) {
        REQUIRE(e.name_parts.has_value());
        CHECK(e.name_parts->scope_start_ms == utc_ms(2016, 4, 23, 6));
        CHECK(e.name_parts->scope_end_ms == utc_ms(2016, 4, 23, 7));
      } else {
        CHECK_FALSE(e.name_parts.has_value());
      }
    }
  }

  TEST_CASE("a lone malformed file object is rejected at index 0 and the listing is not empty") {
    const auto r =
        parse_listing(200, R"({"dataAccessFiles": {"file": {"@name": "Agent.1.2.part-00000-0",
                 "@scopeStartDate": "1970-01-01T00:00:00.001Z", "@scopeEndDate": "1970-01-01T00:00:00.002Z"}}})");
    REQUIRE(r.has_value());
    CHECK(r->files.empty());
    CHECK_FALSE(r->empty());
    REQUIRE(r->rejected.size() == 1);
    CHECK(r->rejected[0].index == 0);
    CHECK(r->rejected[0].name == "Agent.1.2.part-00000-0");
    CHECK_FALSE(r->rejected[0].href.has_value());
    CHECK(r->rejected[0].reason.message.find("@href") != std::string::npos);
    CHECK(ledger_key(r->rejected[0]) == "Agent.1.2.part-00000-0");
  }

  TEST_CASE("the derived key of a rejected entry is FNV-1a 64 of its compact JSON text") {
    // Known answers computed outside this code base (FNV-1a 64 over the bytes "7" and
    // {"@name":42}).
    const auto a = parse_listing(200, R"({"dataAccessFiles": {"file": [7]}})").value();
    REQUIRE(a.rejected.size() == 1);
    CHECK(a.rejected[0].entry_key == "listing-entry:af63aa4c86019796");
    const auto b = parse_listing(200, R"({"dataAccessFiles": {"file": [
        {"@name": 1}, {  "@name" :  42 }]}})")
                       .value();
    REQUIRE(b.rejected.size() == 2);
    CHECK(b.rejected[1].index == 1);
    CHECK(b.rejected[1].entry_key == "listing-entry:8e0055555fe150b8");
    // The same entry listed again, elsewhere in another listing, maps to the same key.
    const auto c = parse_listing(200, R"({"dataAccessFiles": {"file": {"@name":42}}})").value();
    REQUIRE(c.rejected.size() == 1);
    CHECK(c.rejected[0].entry_key == b.rejected[1].entry_key);
    CHECK(b.rejected[0].entry_key != b.rejected[1].entry_key);
  }

  TEST_CASE("ledger_key uses the name only when it is usable") {
    rejected_entry e;
    e.entry_key = "listing-entry:0123456789abcdef";
    CHECK(ledger_key(e) == e.entry_key);  // no name
    e.name = "Agent.1.2.part-00000-0.gz";
    CHECK(ledger_key(e) == "Agent.1.2.part-00000-0");
    e.name = "odd-but-printable";
    CHECK(ledger_key(e) == "odd-but-printable");
    for (const std::string& bad :
         {std::string(""), std::string(".gz"), std::string("two words"), std::string("tab\there"),
          std::string("listing-entry:x"), std::string(256, 'a'), std::string("caf\xc3\xa9")}) {
      CAPTURE(bad);
      e.name = bad;
      CHECK(ledger_key(e) == e.entry_key);
    }
    e.name = std::string(255, 'a');
    CHECK(ledger_key(e) == std::string(255, 'a'));
  }

  TEST_CASE("scope dates across the 2026 DST changes in America/New_York equal the name epochs") {
    const auto files =
        parse_listing(200, read_file(data_dir() / "api" / "listing_dst_2026_new_york.json"))
            .value()
            .files;
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
