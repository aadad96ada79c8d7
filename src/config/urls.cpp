#include "urls.hpp"

#include "lpda/config/config.hpp"

#include <algorithm>
#include <charconv>

namespace lpda::config {

namespace detail {

std::string_view region_host(std::string_view region) {
  if (region == "us") return "va.da.liveperson.net";
  if (region == "uk") return "lo.da.liveperson.net";
  if (region == "apac") return "sy.da.liveperson.net";
  return {};
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.back() == '.') h.remove_suffix(1);
  std::size_t start = 0;
  while (start <= h.size()) {
    const std::size_t dot = std::min(h.find('.', start), h.size());
    const std::string_view label = h.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool valid_ipv6_literal(std::string_view h) {
  if (h.size() < 2) return false;
  return std::all_of(h.begin(), h.end(),
                     [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                              (c >= 'A' && c <= 'F') || c == ':' || c == '.';
                     }) &&
         h.find(':') != std::string_view::npos;
}

std::optional<std::uint16_t> parse_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return std::nullopt;
  unsigned v = 0;
  const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc{} || ptr != p.data() + p.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::variant<url_parts, std::string> parse_http_url(std::string_view url) {
  url_parts out;
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::string("expected http://host[:port] or https://…");
  for (const char c : url.substr(0, sep)) {
    out.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  if (out.scheme != "http" && out.scheme != "https") {
    return std::string("the scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end);
  out.rest = std::string(rest.substr(end));
  if (authority.find('@') != std::string_view::npos) {
    return std::string("must not contain user information (credentials belong in auth)");
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::string("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return std::string("bad IPv6 host");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string("expected \":port\" after the host");
      port = after.substr(1);
      if (port.empty()) return std::string("empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::string("empty port");
    }
    if (!valid_hostname(host)) return std::string("bad host name");
  }
  if (!port.empty()) {
    out.port = parse_port(port);
    if (!out.port || *out.port == 0) return std::string("the port must be 1–65535");
  }
  out.host = std::string(host);
  return out;
}

}  // namespace detail

using detail::parse_port;
using detail::region_host;
using detail::valid_hostname;
using detail::valid_ipv6_literal;

std::string effective_base_url(const account& a) {
  if (a.base_url) return *a.base_url;
  if (a.domain) return "https://" + *a.domain;
  return "https://" + std::string(region_host(a.region.value_or("")));
}

std::optional<host_port> split_host_port(std::string_view text) {
  host_port out;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    if (!valid_ipv6_literal(host)) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!valid_hostname(host)) return std::nullopt;
  }
  const auto p = parse_port(port);
  if (!p) return std::nullopt;
  out.host = std::string(host);
  out.port = *p;
  return out;
}

}  // namespace lpda::config
