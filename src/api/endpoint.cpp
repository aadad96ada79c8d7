#include "lpda/api/endpoint.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace lpda::api {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string host_for_region(std::string_view region) {
  const std::string r = lower(region);
  if (r == "us") return "va.da.liveperson.net";
  if (r == "uk") return "lo.da.liveperson.net";
  if (r == "apac") return "sy.da.liveperson.net";
  return {};
}

result<std::string> resolve_base_url(std::string_view region, std::string_view domain,
                                     std::string_view base_url) {
  if (!base_url.empty()) {
    auto u = boost::urls::parse_uri(base_url);
    const std::string scheme = u ? lower(u->scheme()) : std::string{};
    if (!u || (scheme != "http" && scheme != "https") || u->encoded_host().empty() ||
        (!u->encoded_path().empty() && u->encoded_path() != "/") || u->has_query())
      return error(errc::config_invalid,
                   "base_url \"" + std::string(base_url) + "\" is not scheme://host[:port]");
    std::string out(base_url);
    if (out.back() == '/') out.pop_back();
    return out;
  }
  if (!domain.empty()) {
    if (domain.find_first_of("/:?# ") != std::string_view::npos)
      return error(errc::config_invalid,
                   "domain \"" + std::string(domain) + "\" is not a host name");
    return "https://" + std::string(domain);
  }
  const std::string host = host_for_region(region);
  if (host.empty())
    return error(errc::config_invalid, "region \"" + std::string(region) +
                                           "\" is not one of us, uk, apac (or set domain)");
  return "https://" + host;
}

std::vector<std::string> default_allowed_hosts(std::string_view base_url) {
  std::vector<std::string> out;
  if (auto u = boost::urls::parse_uri(base_url); u && !u->encoded_host().empty())
    out.push_back(lower(u->encoded_host()));
  out.emplace_back("*.da.liveperson.net");
  return out;
}

}  // namespace lpda::api
