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

std::vector<std::string> default_allowed_hosts(std::string_view base_url) {
  std::vector<std::string> out;
  if (auto u = boost::urls::parse_uri(base_url); u && !u->encoded_host().empty())
    out.push_back(lower(u->encoded_host()));
  out.emplace_back("*.da.liveperson.net");
  return out;
}

}  // namespace lpda::api
