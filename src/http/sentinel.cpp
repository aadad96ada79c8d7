#include "lpda/http/sentinel.hpp"

#include "lpda/core/text.hpp"
#include "lpda/http/hosts.hpp"
#include "lpda/http/oauth1.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace lpda::http {
namespace {

constexpr std::string_view sentinel_suffix = "*.sentinel.liveperson.net";

// A Domain API baseURI is "host" or "host:port"; anything with a scheme, a path, user
// information or spaces is not, and would let an answer smuggle a URL into the token request.
bool bare_host_port(std::string_view s) {
  if (s.empty() || s.size() > 260) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

std::string_view region_sentinel_host(std::string_view region) {
  if (region == "us") return "va.sentinel.liveperson.net";
  if (region == "uk") return "lo.sentinel.liveperson.net";
  if (region == "apac") return "sy.sentinel.liveperson.net";
  return {};
}

std::string csds_lookup_url(std::string_view csds_url, std::string_view account_id,
                            std::string_view service) {
  while (!csds_url.empty() && csds_url.back() == '/') csds_url.remove_suffix(1);
  return std::string(csds_url) + "/api/account/" + percent_encode(account_id) + "/service/" +
         percent_encode(service) + "/baseURI.json?version=1.0";
}

result<std::string> parse_csds_answer(std::string_view body, std::string_view service) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return error(errc::bad_field, std::string("Domain API answer is not JSON: ") +
                                      rapidjson::GetParseError_En(doc.GetParseError()) +
                                      " at byte " + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject()) return error(errc::bad_field, "Domain API answer is not a JSON object");
  const rapidjson::Value* entry = nullptr;
  const auto matches = [&](const rapidjson::Value& v) {
    if (!v.IsObject()) return false;
    const auto s = v.FindMember("service");
    return s != v.MemberEnd() && s->value.IsString() &&
           std::string_view(s->value.GetString(), s->value.GetStringLength()) == service;
  };
  if (const auto list = doc.FindMember("baseURIs"); list != doc.MemberEnd()) {
    if (list->value.IsArray())
      for (const auto& v : list->value.GetArray())
        if (matches(v)) entry = &v;
  } else if (matches(doc)) {
    entry = &doc;
  } else if (doc.FindMember("service") == doc.MemberEnd() && doc.HasMember("baseURI")) {
    entry = &doc;  // a single answer that leaves the service out is still the one asked for
  }
  if (entry == nullptr)
    return error(errc::bad_field,
                 "Domain API answer has no entry for service \"" + std::string(service) + "\"");
  const auto uri = entry->FindMember("baseURI");
  if (uri == entry->MemberEnd() || !uri->value.IsString() || uri->value.GetStringLength() == 0)
    return error(errc::bad_field,
                 "Domain API answer for service \"" + std::string(service) + "\" has no baseURI");
  std::string host(uri->value.GetString(), uri->value.GetStringLength());
  if (!bare_host_port(host))
    return error(errc::bad_field, "Domain API baseURI \"" + escape_text(host) +
                                      "\" is not a host name (expected e.g. "
                                      "va.sentinel.liveperson.net)");
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

std::string sentinel_token_url(std::string_view scheme, std::string_view host,
                               std::string_view account_id) {
  return std::string(scheme) + "://" + std::string(host) + "/sentinel/api/v2/account/" +
         percent_encode(account_id) + "/app/token?v=2.0";
}

std::optional<std::string> secret_destination_refused(std::string_view url,
                                                      std::string_view explicit_token_url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::string("not an absolute URL");
  std::string scheme(parsed->scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string host(parsed->encoded_host());
  if (scheme != "http" && scheme != "https") return "the scheme " + scheme + " is not http(s)";
  if (!explicit_token_url.empty()) {
    const auto named = boost::urls::parse_uri(explicit_token_url);
    if (named && host_allowed(host, {std::string(named->encoded_host())})) return std::nullopt;
  }
  if (is_loopback_host(host)) return std::nullopt;
  if (!host_allowed(host, {std::string(sentinel_suffix)}))
    return escape_text(host) + " is not under " + std::string(sentinel_suffix);
  if (scheme != "https") return "plain http to " + escape_text(host);
  return std::nullopt;
}

std::optional<std::string> csds_cache::find(const std::string& csds_url,
                                            const std::string& account_id) const {
  std::lock_guard lock(mu_);
  const auto it = hosts_.find({csds_url, account_id});
  if (it == hosts_.end()) return std::nullopt;
  return it->second;
}

void csds_cache::store(const std::string& csds_url, const std::string& account_id,
                       std::string host) {
  std::lock_guard lock(mu_);
  hosts_[{csds_url, account_id}] = std::move(host);
}

}  // namespace lpda::http
