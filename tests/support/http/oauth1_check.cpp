#include "oauth1_check.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace lpda::test::http {
namespace {

std::string enc(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      o += ch;
    } else {
      o += '%';
      o += hex[c >> 4];
      o += hex[c & 15];
    }
  }
  return o;
}

std::string dec(const std::string& s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      o += s[i] == '+' ? ' ' : s[i];
    }
  }
  return o;
}

}  // namespace

std::map<std::string, std::string> oauth_fields(const std::string& header) {
  std::map<std::string, std::string> f;
  std::size_t pos = header.find(' ');
  while (pos != std::string::npos && pos < header.size()) {
    const auto eq = header.find("=\"", pos);
    if (eq == std::string::npos) break;
    std::string name = header.substr(pos, eq - pos);
    while (!name.empty() && (name.front() == ' ' || name.front() == ',')) name.erase(0, 1);
    const auto end = header.find('"', eq + 2);
    f[name] = dec(header.substr(eq + 2, end - eq - 2));
    pos = end + 1;
  }
  return f;
}

bool verify_oauth1(const std::string& header, const std::string& method,
                   const std::string& base_uri,
                   const std::vector<std::pair<std::string, std::string>>& query,
                   const std::string& consumer_secret, const std::string& token_secret) {
  if (header.rfind("OAuth ", 0) != 0) return false;
  auto f = oauth_fields(header);
  std::vector<std::pair<std::string, std::string>> params(query.begin(), query.end());
  for (const auto& [k, v] : f)
    if (k != "oauth_signature" && k != "realm") params.emplace_back(k, v);
  for (auto& [k, v] : params) {
    k = enc(k);
    v = enc(v);
  }
  std::sort(params.begin(), params.end());
  std::string norm;
  for (const auto& [k, v] : params) norm += (norm.empty() ? "" : "&") + k + "=" + v;
  const std::string base = method + "&" + enc(base_uri) + "&" + enc(norm);
  const std::string key = enc(consumer_secret) + "&" + enc(token_secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(base.data()), base.size(), md, &len);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return f["oauth_signature"] == reinterpret_cast<const char*>(b64);
}

std::pair<std::string, std::vector<std::pair<std::string, std::string>>> split_target(
    const std::string& target) {
  const auto q = target.find('?');
  std::vector<std::pair<std::string, std::string>> params;
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
      const auto amp = rest.find('&', start);
      const std::string seg =
          rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!seg.empty()) {
        const auto eq = seg.find('=');
        params.emplace_back(dec(seg.substr(0, eq)),
                            eq == std::string::npos ? "" : dec(seg.substr(eq + 1)));
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  return {target.substr(0, q), params};
}

}  // namespace lpda::test::http
