#include "lpda/emulator/oauth1.hpp"

#include "test_client.hpp"

#include <doctest/doctest.h>

namespace emu = lpda::emulator;

TEST_SUITE("emulator") {
  TEST_CASE("percent_encode follows RFC 5849 section 3.6") {
    CHECK(emu::percent_encode("abcXYZ019-._~") == "abcXYZ019-._~");
    CHECK(emu::percent_encode("a b+c/d=e&f*") == "a%20b%2Bc%2Fd%3De%26f%2A");
    CHECK(emu::percent_encode("é") == "%C3%A9");
    CHECK(emu::percent_decode("a%20b+c%2b") == "a b c+");
    CHECK(emu::percent_decode("a+b", false) == "a+b");
  }

  TEST_CASE("base string URI drops default ports and lower-cases scheme and host") {
    CHECK(emu::base_string_uri("HTTP", "Example.COM:80", "/r%20v/X") ==
          "http://example.com/r%20v/X");
    CHECK(emu::base_string_uri("https", "www.example.net:8080", "/") ==
          "https://www.example.net:8080/");
    CHECK(emu::base_string_uri("https", "va.da.liveperson.net:443", "/a") ==
          "https://va.da.liveperson.net/a");
  }

  // OAuth Core 1.0 Appendix A.5 (the example RFC 5849 inherits): photos.example.net.
  TEST_CASE("OAuth Core 1.0 appendix A example: base string and HMAC-SHA1 signature") {
    const emu::param_list params{{"file", "vacation.jpg"},
                                 {"size", "original"},
                                 {"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                 {"oauth_token", "nnch734d00sl2jdk"},
                                 {"oauth_signature_method", "HMAC-SHA1"},
                                 {"oauth_timestamp", "1191242096"},
                                 {"oauth_nonce", "kllo9940pd9333jh"},
                                 {"oauth_version", "1.0"}};
    const std::string base = emu::signature_base_string(
        "GET", emu::base_string_uri("http", "photos.example.net", "/photos"), params);
    CHECK(base ==
          "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%"
          "3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-"
          "SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%"
          "3D1.0%26size%3Doriginal");
    CHECK(emu::hmac_sha1_base64(emu::signing_key("kd94hf93k423kf44", "pfkkdhi9sl3r4s00"), base) ==
          "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
  }

  // RFC 5849 §1.2: the final, signed resource request (no oauth_version, with a realm).
  TEST_CASE("RFC 5849 section 1.2 request verifies and fails with any change") {
    const emu::oauth1_credentials creds{"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk",
                                        "pfkkdhi9sl3r4s00"};
    const std::string header =
        "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", "
        "oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", "
        "oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", "
        "oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"";
    const auto ok = emu::verify_oauth1("GET", "http", "photos.example.net",
                                       "/photos?file=vacation.jpg&size=original", header, creds);
    CHECK_MESSAGE(ok.ok, ok.reason);
    CHECK_FALSE(emu::verify_oauth1("GET", "http", "photos.example.net",
                                   "/photos?file=vacation.jpg&size=large", header, creds)
                    .ok);
    CHECK_FALSE(emu::verify_oauth1("GET", "https", "photos.example.net",
                                   "/photos?file=vacation.jpg&size=original", header, creds)
                    .ok);
    auto wrong = creds;
    wrong.consumer_secret = "kd94hf93k423kf45";
    CHECK(emu::verify_oauth1("GET", "http", "photos.example.net",
                             "/photos?file=vacation.jpg&size=original", header, wrong)
              .reason == "signature mismatch");
  }

  // Twitter's published "Creating a signature" example: POST with a form body.
  TEST_CASE("Twitter's example: base string and signature form parameters included") {
    const emu::param_list params{
        {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
        {"include_entities", "true"},
        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
        {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "1318622958"},
        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
        {"oauth_version", "1.0"}};
    const std::string base = emu::signature_base_string(
        "post", emu::base_string_uri("https", "api.twitter.com", "/1.1/statuses/update.json"),
        params);
    CHECK(base ==
          "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%"
          "3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%"
          "3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%"
          "26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-"
          "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%"
          "2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
    CHECK(emu::hmac_sha1_base64(emu::signing_key("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                                                 "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"),
                                base) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  }

  TEST_CASE("the emulator's verifier accepts the tests' independent signer query included") {
    const emu::oauth1_credentials creds{"ck", "c s&", "tok", "t/s"};
    const std::string url =
        "http://127.0.0.1:4567/data_access_le/account/1/le/agentActivity?"
        "startTime=1&endTime=2&v=1.0";
    const std::string h =
        lpda::emulator::test::oauth_header("GET", url, "ck", "c s&", "tok", "t/s");
    const std::string target = url.substr(url.find("/data_access"));
    CHECK(emu::verify_oauth1("GET", "http", "127.0.0.1:4567", target, h, creds).ok);
    CHECK_FALSE(emu::verify_oauth1("GET", "http", "127.0.0.1:4568", target, h, creds).ok);
    CHECK_FALSE(emu::verify_oauth1("GET", "http", "127.0.0.1:4567",
                                   target.substr(0, target.size() - 6), h, creds)
                    .ok);
    // And the library's own client signer agrees with it.
    const std::string h2 = emu::sign_oauth1("GET", url, creds, "n0nce", "1700000000");
    CHECK(emu::verify_oauth1("GET", "http", "127.0.0.1:4567", target, h2, creds).ok);
    CHECK(h2.find("oauth_signature=\"") != std::string::npos);
  }

  TEST_CASE("malformed OAuth headers are rejected") {
    CHECK_FALSE(emu::parse_oauth_header("Bearer abc").has_value());
    CHECK_FALSE(emu::parse_oauth_header("OAuth a=\"1\" b=\"2\"").has_value());
    CHECK_FALSE(emu::parse_oauth_header("OAuth a=1").has_value());
    const auto p = emu::parse_oauth_header("OAuth a=\"x%20y\",b=\"\"");
    REQUIRE(p.has_value());
    CHECK(p->size() == 2);
    CHECK((*p)[0].second == "x y");
  }
}
