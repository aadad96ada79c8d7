#include "test_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <zlib.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace lpda::emulator::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

struct url_parts {
  bool tls = false;
  std::string host, port, target;
};

url_parts split_url(const std::string& url) {
  url_parts u;
  const auto se = url.find("://");
  u.tls = url.substr(0, se) == "https";
  const auto rest = url.substr(se + 3);
  const auto slash = rest.find('/');
  const auto hostport = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  u.port = colon == std::string::npos ? (u.tls ? "443" : "80") : hostport.substr(colon + 1);
  return u;
}

template <class Stream>
void exchange(Stream& stream, const http::request<http::string_body>& req, http_result& out) {
  http::write(stream, req, out.error);
  if (out.error) return;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 32);
  http::read(stream, buf, parser, out.error);
  const auto& msg = parser.get();
  out.status = msg.result_int();
  for (const auto& f : msg) {
    std::string n(f.name_string());
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[n] = std::string(f.value());
  }
  out.body = msg.body();
  out.complete = !out.error && parser.is_done();
}

// RFC 5849 §3.6, written again here so the tests do not trust the emulator's encoder.
std::string enc(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      o.push_back(static_cast<char>(c));
    } else {
      o.push_back('%');
      o.push_back(hex[c >> 4]);
      o.push_back(hex[c & 15]);
    }
  }
  return o;
}

std::string dec(std::string_view s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      o.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      o.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return o;
}

const rapidjson::Value& unwrap(const rapidjson::Value& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return v;
  const std::string k = v.MemberBegin()->name.GetString();
  if (k == "string" || k == "long" || k == "int" || k == "array" || k == "boolean" ||
      k.rfind("com.liveperson.", 0) == 0)
    return v.MemberBegin()->value;
  return v;
}

const rapidjson::Value* field(const rapidjson::Value& obj, std::string_view name) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string_view n(it->name.GetString(), it->name.GetStringLength());
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return &unwrap(it->value);
  }
  throw std::runtime_error("missing field " + std::string(name));
}

std::int64_t num(const rapidjson::Value& obj, std::string_view name) {
  const auto* v = field(obj, name);
  if (!v->IsInt64()) throw std::runtime_error("not an integer: " + std::string(name));
  return v->GetInt64();
}

std::string text(const rapidjson::Value& obj, std::string_view name) {
  const auto* v = field(obj, name);
  if (!v->IsString()) throw std::runtime_error("not a string: " + std::string(name));
  return {v->GetString(), v->GetStringLength()};
}

}  // namespace

http_result request(const std::string& method, const std::string& url,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& body, const std::string& ca_file) {
  const auto t0 = std::chrono::steady_clock::now();
  http_result out;
  const url_parts u = split_url(url);
  http::request<http::string_body> req{http::string_to_verb(method), u.target, 11};
  req.set(http::field::host, u.host + ":" + u.port);
  for (const auto& [n, v] : headers) req.set(n, v);
  if (!body.empty()) req.body() = body;
  req.prepare_payload();
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  const auto eps = resolver.resolve(u.host, u.port);
  if (u.tls) {
    net::ssl::context ctx(net::ssl::context::tls_client);
    if (!ca_file.empty()) {
      ctx.load_verify_file(ca_file);
      ctx.set_verify_mode(net::ssl::verify_peer);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).connect(eps, out.error);
    if (!out.error) stream.handshake(net::ssl::stream_base::client, out.error);
    if (!out.error) exchange(stream, req, out);
  } else {
    beast::tcp_stream stream(ioc);
    stream.connect(eps, out.error);
    if (!out.error) exchange(stream, req, out);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::string oauth_header(const std::string& method, const std::string& url,
                         const std::string& consumer_key, const std::string& consumer_secret,
                         const std::string& token, const std::string& token_secret,
                         const std::string& nonce, const std::string& timestamp) {
  const url_parts u = split_url(url);
  const auto q = u.target.find('?');
  std::vector<std::pair<std::string, std::string>> ps{{"oauth_consumer_key", consumer_key},
                                                      {"oauth_nonce", nonce},
                                                      {"oauth_signature_method", "HMAC-SHA1"},
                                                      {"oauth_timestamp", timestamp},
                                                      {"oauth_token", token},
                                                      {"oauth_version", "1.0"}};
  if (q != std::string::npos) {
    std::string_view qs = std::string_view(u.target).substr(q + 1);
    while (!qs.empty()) {
      const auto amp = qs.find('&');
      const auto kv = qs.substr(0, amp);
      const auto eq = kv.find('=');
      ps.emplace_back(dec(kv.substr(0, eq)),
                      eq == std::string_view::npos ? "" : dec(kv.substr(eq + 1)));
      qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
    }
  }
  std::vector<std::string> encoded;
  for (const auto& [n, v] : ps) encoded.push_back(enc(n) + "=" + enc(v));
  std::sort(encoded.begin(), encoded.end());
  std::string norm;
  for (const auto& e : encoded) norm += (norm.empty() ? "" : "&") + e;
  const bool default_port = (u.tls && u.port == "443") || (!u.tls && u.port == "80");
  const std::string base_uri = (u.tls ? "https://" : "http://") + u.host +
                               (default_port ? "" : ":" + u.port) + u.target.substr(0, q);
  const std::string base = method + "&" + enc(base_uri) + "&" + enc(norm);
  const std::string key = enc(consumer_secret) + "&" + enc(token_secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(base.data()), base.size(), mac, &len);
  std::string b64(64, '\0');
  b64.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len))));
  std::string h = "OAuth oauth_signature=\"" + enc(b64) + "\"";
  for (std::size_t i = 0; i < 6; ++i) h += ", " + ps[i].first + "=\"" + enc(ps[i].second) + "\"";
  return h;
}

http_result signed_get(const std::string& url, const std::string& consumer_secret,
                       const std::string& ca_file) {
  return request(
      "GET", url,
      {{"Authorization", oauth_header("GET", url, "emulator-app-key", consumer_secret,
                                      "emulator-access-token", "emulator-access-token-secret")}},
      {}, ca_file);
}

std::string gunzip_all(std::string_view data, int* members) {
  std::string out;
  int count = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (std::all_of(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end(),
                    [](char c) { return c == '\0'; }))
      break;
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + pos));
    zs.avail_in = static_cast<uInt>(data.size() - pos);
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      out.append(buf, sizeof buf - zs.avail_out);
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    const auto consumed = zs.total_in;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("gzip member corrupt or truncated");
    pos += consumed;
    ++count;
  }
  if (members != nullptr) *members = count;
  return out;
}

std::vector<row> decode_documents(std::string_view txt) {
  std::vector<row> rows;
  std::string buf(txt);
  std::size_t pos = 0;
  while (true) {
    while (pos < buf.size() && std::isspace(static_cast<unsigned char>(buf[pos]))) ++pos;
    if (pos >= buf.size()) break;
    rapidjson::Document doc;
    rapidjson::StringStream ss(buf.c_str() + pos);
    doc.ParseStream<rapidjson::kParseStopWhenDoneFlag>(ss);
    if (doc.HasParseError()) throw std::runtime_error("bad JSON at byte " + std::to_string(pos));
    pos += ss.Tell();
    const auto& meta = *field(doc, "metaData");
    const std::string account = text(meta, "accountId");
    const auto& records = *field(doc, "recordCollection");
    for (const auto& rec : records.GetArray()) {
      const auto& body = *field(rec, "body");
      const auto& header = *field(body, "header");
      const std::string session = text(header, "agentSessionId");
      for (const auto& e : field(body, "agentSessionsData")->GetArray()) {
        row r;
        r.account = account;
        r.session = session;
        r.agent = num(e, "agentID");
        r.timestamp = num(e, "timestamp");
        r.type = num(e, "type");
        r.state = num(e, "state");
        r.prev_state = num(e, "prevState");
        r.prev_conc = num(e, "prevConcurrentEng");
        r.conc = num(e, "concurrentEng");
        r.max_conc = num(e, "maxConcurrentEng");
        r.group = num(e, "agentGroupID");
        // agentEmployeeId: a string, or a long (stored as its decimal text), or null (absent).
        const auto* emp = field(e, "agentEmployeeId");
        r.employee = emp->IsString()  ? std::string(emp->GetString(), emp->GetStringLength())
                     : emp->IsInt64() ? std::to_string(emp->GetInt64())
                     : emp->IsNull()  ? std::string{}
                                      : throw std::runtime_error("agentEmployeeId: bad type");
        r.username = text(e, "agentUsername");
        r.nickname = text(e, "agentNickname");
        r.loginname = text(e, "agentLoginname");
        rows.push_back(std::move(r));
      }
    }
  }
  return rows;
}

std::vector<row> parse_expected_ndjson(std::string_view txt) {
  std::vector<row> rows;
  std::size_t pos = 0;
  while (pos < txt.size()) {
    auto nl = txt.find('\n', pos);
    if (nl == std::string_view::npos) nl = txt.size();
    const std::string line(txt.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) continue;
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError()) throw std::runtime_error("bad expected line: " + line);
    row r;
    r.account = d["account"].GetString();
    r.session = d["agentSessionId"].GetString();
    r.agent = d["agentID"].GetInt64();
    r.timestamp = d["timestamp"].GetInt64();
    r.type = d["type"].GetInt64();
    r.state = d["state"].GetInt64();
    r.prev_state = d["prevState"].GetInt64();
    r.prev_conc = d["prevConcurrentEng"].GetInt64();
    r.conc = d["concurrentEng"].GetInt64();
    r.max_conc = d["maxConcurrentEng"].GetInt64();
    r.group = d["agentGroupID"].GetInt64();
    r.employee = d["agentEmployeeId"].GetString();
    r.username = d["agentUsername"].GetString();
    r.nickname = d["agentNickname"].GetString();
    r.loginname = d["agentLoginname"].GetString();
    rows.push_back(std::move(r));
  }
  return rows;
}

std::int64_t parse_offset_time(std::string_view iso) {
  // Howard Hinnant's days_from_civil, restated.
  auto i = [&](std::size_t p, std::size_t n) { return std::stoi(std::string(iso.substr(p, n))); };
  if (iso.size() != 25) throw std::runtime_error("unexpected time: " + std::string(iso));
  int y = i(0, 4);
  const int m = i(5, 2), d = i(8, 2), hh = i(11, 2), mm = i(14, 2), ss = i(17, 2);
  const int sign = iso[19] == '-' ? -1 : 1;
  const int oh = i(20, 2), om = i(23, 2);
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  const std::int64_t local = ((days * 24 + hh) * 60 + mm) * 60 + ss;
  return (local - sign * (oh * 3600 + om * 60)) * 1000;
}

}  // namespace lpda::emulator::test
