#include "lpda/core/host.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

namespace lpda {

std::string normalize_host(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.remove_suffix(1);
  std::string out(h);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_loopback_host(std::string_view host) {
  const std::string h = normalize_host(host);
  if (h == "localhost") return true;
  // The same parsers the resolver applies to a numeric host, so this check and the address a
  // request connects to cannot disagree ("127.1" is 127.0.0.1 to both).
  // inet_aton also takes "127.0.0.1 anything" (text after a space); getaddrinfo does not.
  const bool v4_chars = std::all_of(
      h.begin(), h.end(), [](unsigned char c) { return std::isalnum(c) != 0 || c == '.'; });
  in_addr v4{};
  if (v4_chars && ::inet_aton(h.c_str(), &v4) != 0) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  return false;
}

}  // namespace lpda
