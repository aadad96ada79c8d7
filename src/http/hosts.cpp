#include "lpda/http/hosts.hpp"

#include "lpda/core/host.hpp"

namespace lpda::http {

bool host_allowed(std::string_view host, const std::vector<std::string>& patterns) {
  const std::string h = normalize_host(host);
  if (h.empty()) return false;
  for (const auto& raw : patterns) {
    const std::string p = normalize_host(raw);
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

}  // namespace lpda::http
