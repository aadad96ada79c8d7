#include "lpda/emulator/oauth1.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace lpda::emulator {
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

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  return diff == 0;
}

}  // namespace

std::string percent_encode(std::string_view raw) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() * 3);
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view encoded, bool plus_is_space) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%' && i + 2 < encoded.size()) {
      const int hi = hex_value(encoded[i + 1]);
      const int lo = hex_value(encoded[i + 2]);
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

param_list parse_query(std::string_view query) {
  param_list out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(percent_decode(part), std::string{});
    } else {
      out.emplace_back(percent_decode(part.substr(0, eq)), percent_decode(part.substr(eq + 1)));
    }
  }
  return out;
}

std::string base_string_uri(std::string_view scheme, std::string_view host, std::string_view path) {
  const std::string s = lower(scheme);
  std::string h = lower(host);
  const auto colon = h.rfind(':');
  if (colon != std::string::npos && h.find(']', colon) == std::string::npos) {
    const std::string port = h.substr(colon + 1);
    if ((s == "http" && port == "80") || (s == "https" && port == "443")) h.resize(colon);
  }
  std::string p(path.empty() ? std::string_view{"/"} : path);
  return s + "://" + h + p;
}

std::string normalize_parameters(const param_list& params) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(params.size());
  for (const auto& [n, v] : params) enc.emplace_back(percent_encode(n), percent_encode(v));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [n, v] : enc) {
    if (!out.empty()) out.push_back('&');
    out += n;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string signature_base_string(std::string_view method, std::string_view base_uri,
                                  const param_list& params) {
  std::string m(method);
  std::transform(m.begin(), m.end(), m.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return m + "&" + percent_encode(base_uri) + "&" + percent_encode(normalize_parameters(params));
}

std::string hmac_sha1_base64(std::string_view key, std::string_view text) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac,
           &mac_len) == nullptr)
    throw std::runtime_error("HMAC-SHA1 failed in OpenSSL");
  std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<std::size_t>(n));
  return b64;
}

std::string signing_key(std::string_view consumer_secret, std::string_view token_secret) {
  return percent_encode(consumer_secret) + "&" + percent_encode(token_secret);
}

std::optional<param_list> parse_oauth_header(std::string_view authorization) {
  authorization = trim(authorization);
  if (authorization.size() < 6 || lower(authorization.substr(0, 5)) != "oauth" ||
      (authorization[5] != ' ' && authorization[5] != '\t'))
    return std::nullopt;
  std::string_view rest = authorization.substr(6);
  param_list out;
  while (true) {
    rest = trim(rest);
    if (rest.empty()) break;
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = percent_decode(trim(rest.substr(0, eq)), false);
    rest = trim(rest.substr(eq + 1));
    if (rest.empty() || rest.front() != '"') return std::nullopt;
    const auto close = rest.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    out.emplace_back(name, percent_decode(rest.substr(1, close - 1), false));
    rest = trim(rest.substr(close + 1));
    if (rest.empty()) break;
    if (rest.front() != ',') return std::nullopt;
    rest.remove_prefix(1);
  }
  return out;
}

verify_result verify_oauth1(std::string_view method, std::string_view scheme, std::string_view host,
                            std::string_view target, std::string_view authorization,
                            const oauth1_credentials& creds, std::string_view form_body) {
  auto header = parse_oauth_header(authorization);
  if (!header) return {false, "no OAuth Authorization header"};
  std::string signature;
  std::string consumer_key;
  std::string token;
  std::string method_name;
  param_list params;
  for (auto& [n, v] : *header) {
    if (n == "realm") continue;
    if (n == "oauth_signature") {
      signature = v;
      continue;
    }
    if (n == "oauth_consumer_key") consumer_key = v;
    if (n == "oauth_token") token = v;
    if (n == "oauth_signature_method") method_name = v;
    params.emplace_back(n, v);
  }
  if (signature.empty()) return {false, "oauth_signature missing"};
  if (method_name != "HMAC-SHA1") return {false, "oauth_signature_method is not HMAC-SHA1"};
  if (consumer_key != creds.consumer_key) return {false, "unknown oauth_consumer_key"};
  if (token != creds.token) return {false, "unknown oauth_token"};
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos)
    for (auto& p : parse_query(target.substr(q + 1))) params.push_back(std::move(p));
  if (!form_body.empty())
    for (auto& p : parse_query(form_body)) params.push_back(std::move(p));
  const std::string base =
      signature_base_string(method, base_string_uri(scheme, host, path), params);
  const std::string expected =
      hmac_sha1_base64(signing_key(creds.consumer_secret, creds.token_secret), base);
  if (!equal_constant_time(expected, signature)) return {false, "signature mismatch"};
  return {true, {}};
}

std::string sign_oauth1(std::string_view method, std::string_view url,
                        const oauth1_credentials& creds, std::string_view nonce,
                        std::string_view timestamp) {
  const auto scheme_end = url.find("://");
  const std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  const std::string_view target =
      slash == std::string_view::npos ? std::string_view{"/"} : rest.substr(slash);
  param_list oauth{{"oauth_consumer_key", creds.consumer_key},
                   {"oauth_nonce", std::string(nonce)},
                   {"oauth_signature_method", "HMAC-SHA1"},
                   {"oauth_timestamp", std::string(timestamp)},
                   {"oauth_token", creds.token},
                   {"oauth_version", "1.0"}};
  param_list all = oauth;
  const auto q = target.find('?');
  if (q != std::string_view::npos)
    for (auto& p : parse_query(target.substr(q + 1))) all.push_back(std::move(p));
  const std::string sig = hmac_sha1_base64(
      signing_key(creds.consumer_secret, creds.token_secret),
      signature_base_string(method, base_string_uri(scheme, host, target.substr(0, q)), all));
  std::string header = "OAuth ";
  oauth.emplace_back("oauth_signature", sig);
  bool first = true;
  for (const auto& [n, v] : oauth) {
    if (!first) header += ", ";
    first = false;
    header += percent_encode(n) + "=\"" + percent_encode(v) + "\"";
  }
  return header;
}

}  // namespace lpda::emulator
