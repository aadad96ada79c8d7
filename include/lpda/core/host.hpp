#pragma once
/// Host names as the resolver reads them: one loopback check for the config and the HTTP client.
#include <string>
#include <string_view>

namespace lpda {

/// `host` without IPv6 brackets and trailing dots ("host." is the same host), in lower case:
/// "[::1]" → "::1", "VA.da.LivePerson.net." → "va.da.liveperson.net".
std::string normalize_host(std::string_view host);

/// True when a connection to `host` stays on this machine: "localhost", an IPv6 literal equal
/// to ::1 (with or without brackets, any spelling), or an IPv4 address in 127.0.0.0/8 in any
/// form the resolver accepts as a number (inet_aton(3), which getaddrinfo(3) applies before any
/// lookup): "127.0.0.1", "127.1", "2130706433", "0x7f.1". A name such as "127.example.com" or
/// "127.0.0.1.evil.example" is not loopback. Case-insensitive; trailing dots are ignored.
bool is_loopback_host(std::string_view host);

}  // namespace lpda
