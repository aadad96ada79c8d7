#pragma once
// Test-only helpers for the emulator's tests: a plain synchronous Beast client, an independent
// OAuth 1.0a signer, and an independent decoder (zlib + RapidJSON DOM) of served files.
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace lpda::emulator::test {

struct http_result {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;                            ///< what arrived, even when incomplete
  boost::system::error_code error;             ///< first error while reading (or connecting)
  bool complete = false;                       ///< the whole message arrived
  double seconds = 0;                          ///< wall time of the exchange
  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// One request on a fresh connection. `ca_file` (PEM) enables certificate verification for https.
http_result request(const std::string& method, const std::string& url,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    const std::string& body = {}, const std::string& ca_file = {});

/// An `Authorization: OAuth …` value for `method url`, computed by this file's own signer.
std::string oauth_header(const std::string& method, const std::string& url,
                         const std::string& consumer_key, const std::string& consumer_secret,
                         const std::string& token, const std::string& token_secret,
                         const std::string& nonce = "n0nce",
                         const std::string& timestamp = "1700000000");

/// GET signed with the emulator's default credentials (or the given secret).
http_result signed_get(const std::string& url,
                       const std::string& consumer_secret = "emulator-app-secret",
                       const std::string& ca_file = {});

/// Inflates every gzip member; trailing zero bytes after the last member are allowed. Throws
/// std::runtime_error on corrupt or truncated input. `members` receives the member count.
std::string gunzip_all(std::string_view data, int* members = nullptr);

/// A decoded event: natural key + attributes, in the order of the expected NDJSON.
struct row {
  std::string account, session;
  std::int64_t agent = 0, timestamp = 0, type = 0, state = 0, prev_state = 0, prev_conc = 0,
               conc = 0, max_conc = 0, group = 0;
  std::string employee, username, nickname, loginname;
  auto key() const {
    return std::tie(account, session, agent, timestamp, type, state, prev_state, prev_conc, conc);
  }
  bool operator<(const row& o) const { return key() < o.key(); }
  bool operator==(const row& o) const {
    return key() == o.key() && max_conc == o.max_conc && group == o.group &&
           employee == o.employee && username == o.username && nickname == o.nickname &&
           loginname == o.loginname;
  }
};

/// Decodes concatenated JSON documents (NDJSON or pretty-printed), unwrapping Avro unions and
/// matching name fields case-insensitively. Throws on malformed input.
std::vector<row> decode_documents(std::string_view text);

/// Parses the emulator's expected-set NDJSON.
std::vector<row> parse_expected_ndjson(std::string_view text);

/// Epoch ms of "YYYY-MM-DDTHH:MM:SS±hh:mm" (own civil-date arithmetic).
std::int64_t parse_offset_time(std::string_view iso);

}  // namespace lpda::emulator::test
