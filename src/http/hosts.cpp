#include "lpda/http/hosts.hpp"

#include <algorithm>
#include <cctype>

namespace lpda::http {
namespace {

std::string normalize(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.remove_suffix(1);  // "host." is the same host
  std::string out(h);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool host_allowed(std::string_view host, const std::vector<std::string>& patterns) {
  const std::string h = normalize(host);
  if (h.empty()) return false;
  for (const auto& raw : patterns) {
    const std::string p = normalize(raw);
    if (p.size() > 2 && p[0] == '*' && p[1] == '.') {
      const std::string_view suffix = std::string_view(p).substr(1);  // ".example.net"
      if (h.size() > suffix.size() &&
          h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    } else if (!p.empty() && p == h) {
      return true;
    }
  }
  return false;
}

bool is_loopback_host(std::string_view host) {
  const std::string h = normalize(host);
  if (h == "localhost" || h == "::1") return true;
  if (h.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : h) {
    if (c == '.')
      ++dots;
    else if (std::isdigit(static_cast<unsigned char>(c)) == 0)
      return false;
  }
  return dots == 3;
}

}  // namespace lpda::http
