// Pure parts of LivePerson's OAuth 2.0 flow: the token request, the Domain API answer, where a
// client secret may go, and the token's lifetime arithmetic.
#include "lpda/http/auth.hpp"
#include "lpda/http/sentinel.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace lpda::http;
using namespace std::chrono_literals;
using lpda::errc;

namespace {

std::string header(const token_request_parts& p, const std::string& name) {
  for (const auto& [k, v] : p.headers)
    if (k == name) return v;
  return "<absent>";
}

}  // namespace

TEST_SUITE("http") {
  TEST_CASE("the token request in the form body, LivePerson's documented order") {
    oauth2_settings s;
    s.client_id = "75588e18-0213";
    s.client_secret = "a+b/c=d&e f";
    s.client_auth = client_auth_method::body;
    const auto p = make_token_request(s);
    CHECK(p.body ==
          "client_id=75588e18-0213&client_secret=a%2Bb%2Fc%3Dd%26e%20f"
          "&grant_type=client_credentials");
    CHECK(header(p, "Content-Type") == "application/x-www-form-urlencoded");
    CHECK(header(p, "Accept") == "application/json");
    CHECK(header(p, "Authorization") == "<absent>");
    CHECK(p.headers.size() == 2);
    s.scope = "data access";
    CHECK(
        make_token_request(s).body.ends_with("&grant_type=client_credentials&scope=data%20access"));
  }

  TEST_CASE("the token request with HTTP Basic keeps the secret out of the body") {
    oauth2_settings s;
    s.client_id = "id";
    s.client_secret = "sec:ret";
    s.client_auth = client_auth_method::basic;
    const auto p = make_token_request(s);
    CHECK(p.body == "grant_type=client_credentials");
    // base64("id:sec%3Aret"), computed with `printf 'id:sec%%3Aret' | base64`
    CHECK(header(p, "Authorization") == "Basic aWQ6c2VjJTNBcmV0");
  }

  TEST_CASE("the default client authentication of the http settings is basic") {
    CHECK(oauth2_settings{}.client_auth == client_auth_method::basic);
    CHECK(oauth2_settings{}.csds_url == "https://api.liveperson.net");
  }

  TEST_CASE("Domain API and sentinel URLs") {
    CHECK(csds_lookup_url("https://api.liveperson.net/", "12345678") ==
          "https://api.liveperson.net/api/account/12345678/service/sentinel/baseURI.json"
          "?version=1.0");
    CHECK(sentinel_token_url("https", "va.sentinel.liveperson.net", "12345678") ==
          "https://va.sentinel.liveperson.net/sentinel/api/v2/account/12345678/app/token?v=2.0");
    CHECK(region_sentinel_host("us") == "va.sentinel.liveperson.net");
    CHECK(region_sentinel_host("uk") == "lo.sentinel.liveperson.net");
    CHECK(region_sentinel_host("apac") == "sy.sentinel.liveperson.net");
    CHECK(region_sentinel_host("eu").empty());
  }

  TEST_CASE("Domain API answers: single service, all services, and what is refused") {
    CHECK(parse_csds_answer(
              R"({"service":"sentinel","account":"123","baseURI":"va.sentinel.liveperson.net"})")
              .value() == "va.sentinel.liveperson.net");
    CHECK(parse_csds_answer(
              R"({"baseURIs":[{"service":"agentVep","baseURI":"va.agentvep.liveperson.net"},)"
              R"({"service":"sentinel","account":"1","baseURI":"LO.Sentinel.LivePerson.net"}]})")
              .value() == "lo.sentinel.liveperson.net");
    CHECK(parse_csds_answer(R"({"service":"sentinel","baseURI":"127.0.0.1:8080"})").value() ==
          "127.0.0.1:8080");
    struct bad_case {
      const char* body;
      const char* says;
    };
    for (const auto& c : {
             bad_case{"<html>", "not JSON"},
             bad_case{"[1]", "not a JSON object"},
             bad_case{R"({"service":"agentVep","baseURI":"va.agentvep.liveperson.net"})",
                      "no entry for service \"sentinel\""},
             bad_case{R"({"baseURIs":[]})", "no entry for service"},
             bad_case{R"({"service":"sentinel","baseURI":""})", "has no baseURI"},
             bad_case{R"({"service":"sentinel","baseURI":7})", "has no baseURI"},
             bad_case{R"({"service":"sentinel","baseURI":"https://evil.example.com/x"})",
                      "is not a host name"},
             // LivePerson's Domain API error shapes (401 invalid site) come as JSON without a
             // baseURI; a 200 with such a body is still no answer.
             bad_case{R"({"error":{"message":"Invalid site id"}})", "no entry for service"},
         }) {
      CAPTURE(c.body);
      const auto r = parse_csds_answer(c.body);
      REQUIRE(r.has_error());
      CHECK(r.error().code == errc::bad_field);
      CHECK(r.error().message.find(c.says) != std::string::npos);
    }
  }

  TEST_CASE("a client secret goes to sentinel over https, the named token_url host, or loopback") {
    CHECK_FALSE(secret_destination_refused(
        "https://va.sentinel.liveperson.net/sentinel/api/v2/account/1/app/token?v=2.0"));
    CHECK_FALSE(secret_destination_refused("http://127.0.0.1:8080/sentinel/x"));
    CHECK_FALSE(secret_destination_refused("https://localhost:8443/x"));
    CHECK_FALSE(secret_destination_refused("https://auth.example.test/t",
                                           "https://auth.example.test/other"));
    const auto foreign = secret_destination_refused("https://evil.example.com/sentinel/x");
    REQUIRE(foreign);
    CHECK(*foreign == "evil.example.com is not under *.sentinel.liveperson.net");
    // Suffix tricks and plain http to the real host are refused too.
    CHECK(secret_destination_refused("https://sentinel.liveperson.net.evil.com/x"));
    CHECK(secret_destination_refused("https://evilsentinel.liveperson.net/x"));
    CHECK(*secret_destination_refused("http://va.sentinel.liveperson.net/x") ==
          "plain http to va.sentinel.liveperson.net");
    CHECK(
        secret_destination_refused("https://auth.example.test/t", "https://other.example.test/t"));
  }

  TEST_CASE("token lifetime: expires_in minus the margin, at least one use") {
    const std::int64_t now = 1'700'000'000'000;
    CHECK(token_valid_until_ms(now, 3600, 60s) == now + 3'540'000);
    CHECK(token_valid_until_ms(now, 61, 60s) == now + 1'000);
    CHECK(token_valid_until_ms(now, 60, 60s) == now + 1);
    CHECK(token_valid_until_ms(now, 5, 60s) == now + 1);
    CHECK(token_valid_until_ms(now, 0, 0s) == now + 1);
    CHECK(token_valid_until_ms(now, 120, 0s) == now + 120'000);
  }

  TEST_CASE("token responses: expires_in as a number or a string") {
    CHECK(parse_token_response(R"({"access_token":"a","token_type":"Bearer","expires_in":3600})")
              .value() == std::pair<std::string, std::int64_t>{"a", 3600});
    CHECK(parse_token_response(R"({"access_token":"b","token_type":"Bearer","expires_in":"5"})")
              .value() == std::pair<std::string, std::int64_t>{"b", 5});
    CHECK(parse_token_response(R"({"access_token":"c"})").value().second == 3600);
    for (const char* bad :
         {R"({"access_token":"x","expires_in":"5s"})", R"({"access_token":"x","expires_in":"-5"})",
          R"({"access_token":"x","expires_in":""})", R"({"access_token":"x","expires_in":-1})",
          R"({"access_token":"x","expires_in":1.5})",
          R"({"access_token":"x","expires_in":"99999999999"})", R"({"token_type":"Bearer"})"}) {
      CAPTURE(bad);
      const auto r = parse_token_response(bad);
      REQUIRE(r.has_error());
      CHECK(r.error().code == errc::auth_failed);
    }
    CHECK(parse_token_response("not json").error().code == errc::malformed_json);
  }

  TEST_CASE("a refusal's detail: the service's words, never the secret") {
    CHECK(token_refusal_detail(R"({"error":"invalid_client","error_description":"bad secret"})",
                               "s3cr3t") == "invalid_client (bad secret)");
    CHECK(token_refusal_detail(R"({"message":"Client s3cr3t unknown"})", "s3cr3t") ==
          "Client *** unknown");
    CHECK(token_refusal_detail(
              "<error><time>t</time><message>Unauthorized request</message></error>", "x") ==
          "Unauthorized request");
    CHECK(token_refusal_detail("plain\ntext with s3cr3t\x1b[31m", "s3cr3t") ==
          "plain text with ***\\x1b[31m");
    CHECK(token_refusal_detail(std::string(1000, 'a'), "s").size() == 200);
  }

  TEST_CASE("a refusal that echoes the request in any encoding never shows the secret") {
    const std::string secret = "S3cr3t+with/special&chars=ok%41 x";
    const std::string id = "my-client";
    // Each echo written out by hand, as a service would quote the request.
    const std::string pct = "S3cr3t%2Bwith%2Fspecial%26chars%3Dok%2541%20x";
    const std::string pct_lower = "S3cr3t%2bwith%2fspecial%26chars%3dok%2541%20x";
    const std::string form = "S3cr3t%2Bwith%2Fspecial%26chars%3Dok%2541+x";
    const std::string xml = "S3cr3t+with/special&amp;chars=ok%41 x";
    const std::string json_escaped = R"(S3cr3t+with\/special&chars=ok%41 x)";
    // base64("my-client:" + pct) and base64("my-client:" + secret), computed with `base64 -w0`.
    const std::string basic_pct =
        "bXktY2xpZW50OlMzY3IzdCUyQndpdGglMkZzcGVjaWFsJTI2Y2hhcnMlM0RvayUyNTQxJTIweA==";
    const std::string basic_raw = "bXktY2xpZW50OlMzY3IzdCt3aXRoL3NwZWNpYWwmY2hhcnM9b2slNDEgeA==";
    for (const auto& echo : {secret, pct, pct_lower, form, xml, basic_pct, basic_raw}) {
      CAPTURE(echo);
      const auto d = token_refusal_detail(
          R"({"error":"invalid_client","error_description":"got )" + echo + R"("})", secret, id);
      CHECK(d == "invalid_client (got ***)");
    }
    const auto j = token_refusal_detail(R"({"message":"got )" + json_escaped + R"("})", secret, id);
    CHECK(j == "got ***");
    const auto x = token_refusal_detail(
        "<error><message>secret " + xml + " refused</message></error>", secret, id);
    CHECK(x == "secret *** refused");
    // Cut after masking: a secret that straddles the 200-byte cut leaves no prefix behind.
    const auto cut = token_refusal_detail(std::string(195, 'x') + secret, secret, id);
    CHECK(cut == std::string(195, 'x') + "***");
  }

  TEST_CASE("how the token URL is found, in words") {
    oauth2_settings s;
    s.account_id = "123";
    CHECK(describe_token_source(s) ==
          "LivePerson's Domain API (CSDS) "
          "https://api.liveperson.net/api/account/123/service/sentinel/baseURI.json names the "
          "sentinel host, then POST https://{baseURI}/sentinel/api/v2/account/123/app/token?v=2.0");
    s.csds_url = "http://127.0.0.1:9";
    CHECK(
        describe_token_source(s).ends_with("then POST http://{baseURI}/sentinel/api/v2/account/"
                                           "123/app/token?v=2.0"));
    s.sentinel_host = "lo.sentinel.liveperson.net";
    CHECK(describe_token_source(s) ==
          "POST https://lo.sentinel.liveperson.net/sentinel/api/v2/account/123/app/token?v=2.0 "
          "(sentinel host from the config)");
    s.token_url = "https://auth.example.test/t?x=secretish";
    CHECK(describe_token_source(s) == "token_url https://auth.example.test/t (given)");
  }
}
