#pragma once
// Private to the config module: the host, port and URL checks behind `listen`, `region`,
// `domain`, `base_url`, `allowed_hosts` and the OAuth 2.0 endpoints.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace lpda::config::detail {

// The Data Access host of `region` (us, uk, apac), or "" for any other name.
std::string_view region_host(std::string_view region);

bool is_alnum(char c);

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
bool valid_hostname(std::string_view h);

bool valid_ipv6_literal(std::string_view h);

std::optional<std::uint16_t> parse_port(std::string_view p);

// Splits "scheme://authority[/rest]"; host without brackets.
struct url_parts {
  std::string scheme;  // lower case
  std::string host;
  std::optional<std::uint16_t> port;
  std::string rest;  // path, query and fragment, "" if none
};

// Returns a reason on failure (never echoing the text, which may hold credentials).
std::variant<url_parts, std::string> parse_http_url(std::string_view url);

}  // namespace lpda::config::detail
