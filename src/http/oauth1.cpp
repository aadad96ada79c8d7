#include "lpda/http/oauth1.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace lpda::http {
namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

}  // namespace

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0F]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<param> parse_form(std::string_view encoded) {
  std::vector<param> out;
  while (!encoded.empty()) {
    const auto amp = encoded.find('&');
    const std::string_view seg = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (seg.empty()) continue;
    const auto eq = seg.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(percent_decode(seg, true), std::string{});
    } else {
      out.emplace_back(percent_decode(seg.substr(0, eq), true),
                       percent_decode(seg.substr(eq + 1), true));
    }
  }
  return out;
}

result<std::string> base_string_uri(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return error(errc::protocol, "not an absolute URL: " + std::string(url));
  const boost::urls::url_view u = *parsed;
  const std::string scheme = to_lower(u.scheme());
  if (scheme != "http" && scheme != "https")
    return error(errc::protocol, "not an http(s) URL: " + std::string(url));
  if (u.encoded_host().empty())
    return error(errc::protocol, "URL without host: " + std::string(url));
  std::string out = scheme + "://" + to_lower(u.encoded_host());
  if (u.has_port()) {
    const std::string_view port = u.port();
    const bool is_default =
        (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!is_default && !port.empty()) {
      out += ':';
      out += port;
    }
  }
  const std::string_view path = u.encoded_path();
  out += path.empty() ? std::string_view("/") : path;
  return out;
}

result<std::string> signature_base_string(std::string_view method, std::string_view url,
                                          const std::vector<param>& oauth_params,
                                          const std::vector<param>& body_params) {
  auto uri = base_string_uri(url);
  if (!uri) return uri.error();
  const boost::urls::url_view u = *boost::urls::parse_uri(url);

  std::vector<std::pair<std::string, std::string>> encoded;
  auto add = [&encoded](const param& p) {
    encoded.emplace_back(percent_encode(p.first), percent_encode(p.second));
  };
  if (u.has_query())
    for (const auto& p : parse_form(u.encoded_query())) add(p);
  for (const auto& p : oauth_params)
    if (p.first != "oauth_signature" && p.first != "realm") add(p);
  for (const auto& p : body_params) add(p);
  std::sort(encoded.begin(), encoded.end());

  std::string normalized;
  for (const auto& [k, v] : encoded) {
    if (!normalized.empty()) normalized += '&';
    normalized += k;
    normalized += '=';
    normalized += v;
  }
  std::string out = to_lower(method);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out += '&';
  out += percent_encode(*uri);
  out += '&';
  out += percent_encode(normalized);
  return out;
}

std::string hmac_sha1_signature(std::string_view base_string, std::string_view consumer_secret,
                                std::string_view token_secret) {
  const std::string key = percent_encode(consumer_secret) + "&" + percent_encode(token_secret);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(base_string.data()), base_string.size(),
           md.data(), &md_len) == nullptr)
    throw std::runtime_error("HMAC-SHA1 failed in OpenSSL");
  return base64(md.data(), md_len);
}

result<std::string> oauth1_authorization(std::string_view method, std::string_view url,
                                         const oauth1_credentials& creds,
                                         const oauth1_nonce_time& nt,
                                         const std::vector<param>& body_params) {
  std::vector<param> oauth = {
      {"oauth_consumer_key", creds.app_key},   {"oauth_nonce", nt.nonce},
      {"oauth_signature_method", "HMAC-SHA1"}, {"oauth_timestamp", std::to_string(nt.timestamp)},
      {"oauth_token", creds.access_token},
  };
  if (nt.include_version) oauth.emplace_back("oauth_version", "1.0");
  auto base = signature_base_string(method, url, oauth, body_params);
  if (!base) return base.error();
  oauth.emplace_back("oauth_signature",
                     hmac_sha1_signature(*base, creds.app_secret, creds.access_token_secret));
  std::sort(oauth.begin(), oauth.end());
  std::string header = "OAuth ";
  bool first = true;
  for (const auto& [k, v] : oauth) {
    if (!first) header += ", ";
    first = false;
    header += k;
    header += "=\"";
    header += percent_encode(v);
    header += '"';
  }
  return header;
}

std::string random_nonce() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed: no entropy for an OAuth nonce");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0x0F]);
  }
  return out;
}

oauth1_signer::oauth1_signer(oauth1_credentials creds, clock_fn clock, nonce_fn nonce)
    : creds_(std::move(creds)), clock_(std::move(clock)), nonce_(std::move(nonce)) {}

result<std::string> oauth1_signer::authorization(std::string_view method,
                                                 std::string_view url) const {
  const oauth1_nonce_time nt{nonce_(), clock_() / 1000, true};
  return oauth1_authorization(method, url, creds_, nt);
}

}  // namespace lpda::http
