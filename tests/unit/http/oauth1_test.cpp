#include "lpda/http/oauth1.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace lpda::http;

namespace {
// Pulls `name="value"` out of an Authorization header (test-side parser).
std::string header_field(const std::string& header, const std::string& name) {
  const auto pos = header.find(name + "=\"");
  if (pos == std::string::npos) return {};
  const auto start = pos + name.size() + 2;
  return header.substr(start, header.find('"', start) - start);
}
}  // namespace

TEST_SUITE("http") {
  TEST_CASE("percent_encode follows RFC 5849 3.6") {
    CHECK(percent_encode("abcXYZ019-._~") == "abcXYZ019-._~");
    CHECK(percent_encode("a b+c/d=e&f,g") == "a%20b%2Bc%2Fd%3De%26f%2Cg");
    CHECK(percent_encode("\xC3\xA9") == "%C3%A9");
    CHECK(percent_encode("*!'()") == "%2A%21%27%28%29");
  }

  TEST_CASE("percent_decode decodes once and leaves bad escapes") {
    CHECK(percent_decode("first%2Csecond") == "first,second");
    CHECK(percent_decode("%253D") == "%3D");
    CHECK(percent_decode("100%") == "100%");
    CHECK(percent_decode("%zz") == "%zz");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("a+b", false) == "a+b");
  }

  TEST_CASE("base string URI (RFC 5849 3.4.1.2 examples)") {
    CHECK(base_string_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123").value() ==
          "http://example.com/r%20v/X");
    CHECK(base_string_uri("https://www.example.net:8080/?q=1").value() ==
          "https://www.example.net:8080/");
    CHECK(base_string_uri("https://va.da.liveperson.net:443").value() ==
          "https://va.da.liveperson.net/");
    CHECK(base_string_uri("not a url").has_error());
    CHECK(base_string_uri("ftp://example.com/x").error().code == lpda::errc::protocol);
  }

  TEST_CASE("signature base string (RFC 5849 3.4.1.1 example)") {
    const std::vector<param> oauth = {{"oauth_consumer_key", "9djdj82h48djs9d2"},
                                      {"oauth_token", "kkk9d7dh3k39sjv7"},
                                      {"oauth_signature_method", "HMAC-SHA1"},
                                      {"oauth_timestamp", "137131201"},
                                      {"oauth_nonce", "7d8f3e4a"},
                                      {"realm", "Example"},
                                      {"oauth_signature", "ignored"}};
    const auto body = parse_form("c2&a3=2+q");
    const auto base = signature_base_string(
        "POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", oauth, body);
    CHECK(base.value() ==
          "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
          "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
          "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
          "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
          "9d7dh3k39sjv7");
  }

  TEST_CASE("photos.example.net vector (OAuth Core 1.0 A.5 - the RFC 5849 1.2 request)") {
    const oauth1_credentials creds{"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk",
                                   "pfkkdhi9sl3r4s00"};
    const std::string url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    const auto header =
        oauth1_authorization("GET", url, creds, {"kllo9940pd9333jh", 1191242096, true}).value();
    CHECK(header_field(header, "oauth_signature") ==
          percent_encode("tR3+Ty81lMeYAr/Fid0kMTYa/WM="));
    // The published base string of that example.
    const std::vector<param> oauth = {
        {"oauth_consumer_key", creds.app_key},   {"oauth_token", creds.access_token},
        {"oauth_signature_method", "HMAC-SHA1"}, {"oauth_timestamp", "1191242096"},
        {"oauth_nonce", "kllo9940pd9333jh"},     {"oauth_version", "1.0"}};
    CHECK(signature_base_string("GET", url, oauth).value() ==
          "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%"
          "3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-"
          "SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%"
          "3D1.0%26size%3Doriginal");
  }

  TEST_CASE("RFC 5849 1.2 example (no oauth_version)") {
    const auto header =
        oauth1_authorization(
            "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
            {"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"},
            {"chapoH", 137131202, false})
            .value();
    CHECK(header_field(header, "oauth_signature") == "MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D");
    CHECK(header.find("oauth_version") == std::string::npos);
  }

  TEST_CASE("Twitter 'Creating a signature' vector (form body parameters signed)") {
    const oauth1_credentials creds{"xvz1evFS4wEEPTGEFPHBog",
                                   "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                                   "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                                   "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};
    const auto body =
        parse_form("status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21");
    const auto header =
        oauth1_authorization(
            "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", creds,
            {"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958, true}, body)
            .value();
    CHECK(header_field(header, "oauth_signature") ==
          percent_encode("hCtSmYh+iHYCEqBWrE7C7hYmtUk="));
  }

  TEST_CASE("an already percent-encoded query value signs like its decoded form") {
    const oauth1_credentials creds{"ck", "cs", "tk", "ts"};
    const oauth1_nonce_time nt{"n0nce", 1700000000, true};
    const auto a = oauth1_authorization("GET", "https://h.example/p?foo=first%2Csecond", creds, nt);
    const auto b = oauth1_authorization("GET", "https://h.example/p?foo=first,second", creds, nt);
    CHECK(a.value() == b.value());
    const auto c =
        oauth1_authorization("GET", "https://h.example/p?foo=first%252Csecond", creds, nt);
    CHECK(c.value() != a.value());
  }

  TEST_CASE("every query parameter is in the base string") {
    const std::vector<param> none;
    const auto base = signature_base_string(
        "get",
        "https://va.da.liveperson.net/data_access_le/account/1/le/agentActivity?"
        "startTime=1461387600000&endTime=1461391200000&v=1.0",
        none);
    CHECK(base.value() ==
          "GET&https%3A%2F%2Fva.da.liveperson.net%2Fdata_access_le%2Faccount%2F1%2Fle%"
          "2FagentActivity&endTime%3D1461391200000%26startTime%3D1461387600000%26v%3D1.0");
  }

  TEST_CASE("header is one line with every oauth field and no secret") {
    const oauth1_credentials creds{"app-key", "app-SECRET", "tok", "tok-SECRET"};
    const auto header =
        oauth1_authorization("GET", "https://h.example/x?a=1", creds, {"abc", 1261039670, true})
            .value();
    CHECK(header.rfind("OAuth ", 0) == 0);
    CHECK(header.find('\n') == std::string::npos);
    CHECK(header.find('\r') == std::string::npos);
    CHECK(header_field(header, "oauth_consumer_key") == "app-key");
    CHECK(header_field(header, "oauth_token") == "tok");
    CHECK(header_field(header, "oauth_nonce") == "abc");
    CHECK(header_field(header, "oauth_timestamp") == "1261039670");
    CHECK(header_field(header, "oauth_signature_method") == "HMAC-SHA1");
    CHECK(header_field(header, "oauth_version") == "1.0");
    CHECK(header.find("SECRET") == std::string::npos);
  }

  TEST_CASE("oauth1_signer takes a fresh nonce and the injected time per call") {
    int n = 0;
    oauth1_signer signer(
        {"ck", "cs", "tk", "ts"}, [] { return std::int64_t{1700000000999}; },
        [&n] { return "nonce" + std::to_string(n++); });
    const auto h1 = signer.authorization("GET", "https://h.example/x").value();
    const auto h2 = signer.authorization("GET", "https://h.example/x").value();
    CHECK(header_field(h1, "oauth_nonce") == "nonce0");
    CHECK(header_field(h2, "oauth_nonce") == "nonce1");
    CHECK(header_field(h1, "oauth_timestamp") == "1700000000");
    CHECK(header_field(h1, "oauth_signature") != header_field(h2, "oauth_signature"));
    // Same inputs through the pure function give the same header.
    CHECK(h1 == oauth1_authorization("GET", "https://h.example/x", {"ck", "cs", "tk", "ts"},
                                     {"nonce0", 1700000000, true})
                    .value());
  }

  TEST_CASE("random_nonce is 32 hex chars and differs per call") {
    const auto a = random_nonce();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != random_nonce());
  }
}
