#include "lpda/core/host.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <string>

namespace {

// The address the system resolver gives a numeric host (no lookup leaves the machine:
// AI_NUMERICHOST), or "" when it does not read the text as an address.
std::string resolved(const std::string& host) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* out = nullptr;
  if (::getaddrinfo(host.c_str(), "80", &hints, &out) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (out->ai_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(out->ai_addr)->sin_addr, text,
                sizeof text);
  else
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(out->ai_addr)->sin6_addr, text,
                sizeof text);
  ::freeaddrinfo(out);
  return text;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("normalize_host drops brackets and trailing dots and lower-cases") {
    CHECK(lpda::normalize_host("[::1]") == "::1");
    CHECK(lpda::normalize_host("VA.da.LivePerson.net.") == "va.da.liveperson.net");
    CHECK(lpda::normalize_host("") == "");
  }

  TEST_CASE("is_loopback_host agrees with the address the resolver connects to") {
    // Each numeric form the resolver reads as 127.0.0.0/8 is loopback, so a base_url the config
    // accepts over plain http is one the client will send to.
    for (const char* h :
         {"127.0.0.1", "127.1", "127.1.2.3", "2130706433", "0x7f.1", "0177.0.0.1"}) {
      CAPTURE(h);
      CHECK(resolved(h).rfind("127.", 0) == 0);
      CHECK(lpda::is_loopback_host(h));
    }
    CHECK(resolved("::1") == "::1");
    CHECK(lpda::is_loopback_host("::1"));
    CHECK(lpda::is_loopback_host("[::1]"));
    CHECK(lpda::is_loopback_host("0:0:0:0:0:0:0:1"));
    CHECK(lpda::is_loopback_host("localhost"));
    CHECK(lpda::is_loopback_host("LocalHost."));
    // Addresses elsewhere, and names that only look like loopback.
    for (const char* h : {"10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "0.0.0.0"}) {
      CAPTURE(h);
      CHECK_FALSE(lpda::is_loopback_host(h));
    }
    for (const char* h : {"127.0.0.1.evil.example", "127.example.com", "127.999.1.1", "127.0.0.1 x",
                          "localhost.evil.example", ""}) {
      CAPTURE(h);
      CHECK(resolved(h) == "");
      CHECK_FALSE(lpda::is_loopback_host(h));
    }
  }
}
