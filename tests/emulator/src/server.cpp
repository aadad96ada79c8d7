#include "lpda/emulator/server.hpp"

#include "lpda/emulator/time_format.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace lpda::emulator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view api_prefix = "/data_access_le/account/";

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> to_bool(std::string_view s) {
  if (s == "1" || s == "true" || s == "on" || s == "yes" || s.empty()) return true;
  if (s == "0" || s == "false" || s == "off" || s == "no") return false;
  return std::nullopt;
}

std::string param(const param_list& q, std::string_view name, std::string fallback = {}) {
  for (const auto& [n, v] : q)
    if (n == name) return v;
  return fallback;
}

bool has_param(const param_list& q, std::string_view name) {
  for (const auto& [n, v] : q)
    if (n == name) return true;
  return false;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string base64_decode(std::string_view in) {
  std::string out(3 * ((in.size() + 3) / 4) + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

const char* kind_name(fault_kind k) {
  switch (k) {
    case fault_kind::none:
      return "none";
    case fault_kind::too_many_requests:
      return "429";
    case fault_kind::internal_error:
      return "500";
    case fault_kind::unavailable:
      return "503";
    case fault_kind::reset:
      return "reset";
    case fault_kind::truncated_gzip:
      return "truncated-gzip";
    case fault_kind::stall:
      return "stall";
    case fault_kind::drip:
      return "drip";
  }
  return "none";
}

const char* empty_name(empty_listing e) {
  switch (e) {
    case empty_listing::not_found_xml:
      return "404";
    case empty_listing::empty_array:
      return "array";
    case empty_listing::missing_file_key:
      return "missing";
  }
  return "404";
}

const char* casing_name(name_casing c) {
  switch (c) {
    case name_casing::example:
      return "example";
    case name_casing::table:
      return "table";
    case name_casing::alternate:
      return "alternate";
  }
  return "example";
}

// --- self-signed certificate (OpenSSL EVP/X509) -------------------------------------------------

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_deleter {
  void operator()(X509* p) const { X509_free(p); }
};

std::pair<std::unique_ptr<EVP_PKEY, pkey_deleter>, std::unique_ptr<X509, x509_deleter>>
make_self_signed() {
  std::unique_ptr<EVP_PKEY, pkey_deleter> key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("self-signed TLS: EC key generation failed");
  std::unique_ptr<X509, x509_deleter> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()),
                   static_cast<long>(system_now_ms() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lpda-emulator"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  char san[] = "DNS:localhost,IP:127.0.0.1,IP:::1";
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san);
  if (ext == nullptr) throw std::runtime_error("self-signed TLS: subjectAltName failed");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("self-signed TLS: signing failed");
  return {std::move(key), std::move(cert)};
}

std::string cert_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// --- replies
// --------------------------------------------------------------------------------------

enum class action { normal, reset, stall, drip };

struct reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  action act = action::normal;
  int stall_ms = 0;
  int drip_bytes = 0;
  int drip_interval_ms = 0;
  int latency_ms = 0;
  std::string served_account;  ///< non-empty: a download to record as served on success
  std::string served_name;
};

std::string head_text(const reply& r, bool keep_alive) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " +
                  std::string(http::obsolete_reason(static_cast<http::status>(r.status))) + "\r\n";
  h += "Server: lpda-emulator\r\n";
  h += "Content-Type: " + r.content_type + "\r\n";
  h += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [n, v] : r.headers) h += n + ": " + v + "\r\n";
  if (!keep_alive) h += "Connection: close\r\n";
  h += "\r\n";
  return h;
}

}  // namespace

// --- option parsing shared by the CLI and /_control
// -----------------------------------------------

std::optional<std::string> set_variant(variants& v, std::string_view name, std::string_view value) {
  auto flag = [&](bool& target) -> std::optional<std::string> {
    const auto b = to_bool(value);
    if (!b)
      return "variant " + std::string(name) + ": expected 0/1, got '" + std::string(value) + "'";
    target = *b;
    return std::nullopt;
  };
  auto number = [&](int& target, int lo, int hi) -> std::optional<std::string> {
    const auto n = to_int(value);
    if (!n || *n < lo || *n > hi)
      return "variant " + std::string(name) + ": expected an integer in [" + std::to_string(lo) +
             ", " + std::to_string(hi) + "], got '" + std::string(value) + "'";
    target = static_cast<int>(*n);
    return std::nullopt;
  };
  if (name == "single-file-as-object") return flag(v.single_file_as_object);
  if (name == "href-without-gz") return flag(v.href_without_gz);
  if (name == "plain-body") return flag(v.plain_body);
  if (name == "multi-member") return flag(v.multi_member);
  if (name == "content-encoding-gzip") return flag(v.content_encoding_gzip);
  if (name == "docs-framing") return flag(v.docs_framing);
  if (name == "filter-on-scope") return flag(v.filter_on_scope);
  if (name == "no-date") return flag(v.no_date);
  if (name == "employee-id-as-long") return flag(v.employee_id_as_long);
  if (name == "extra-fields") return flag(v.extra_fields);
  if (name == "zero-padding") return number(v.zero_padding, 0, 1 << 20);
  if (name == "retention-days") return number(v.retention_days, 0, 100000);
  if (name == "empty") {
    if (value == "404")
      v.empty = empty_listing::not_found_xml;
    else if (value == "array")
      v.empty = empty_listing::empty_array;
    else if (value == "missing")
      v.empty = empty_listing::missing_file_key;
    else
      return "variant empty: expected 404|array|missing, got '" + std::string(value) + "'";
    return std::nullopt;
  }
  if (name == "casing") {
    if (value == "example")
      v.casing = name_casing::example;
    else if (value == "table")
      v.casing = name_casing::table;
    else if (value == "alternate")
      v.casing = name_casing::alternate;
    else
      return "variant casing: expected example|table|alternate, got '" + std::string(value) + "'";
    return std::nullopt;
  }
  return "unknown variant '" + std::string(name) + "'";
}

std::optional<std::string> set_fault(fault_spec& f, std::string_view name, std::string_view value) {
  auto number = [&](int& target) -> std::optional<std::string> {
    const auto n = to_int(value);
    if (!n || *n < 0 || *n > 100'000'000)
      return "fault " + std::string(name) + ": expected a non-negative integer, got '" +
             std::string(value) + "'";
    target = static_cast<int>(*n);
    return std::nullopt;
  };
  if (name == "kind") {
    static const std::pair<std::string_view, fault_kind> kinds[] = {
        {"none", fault_kind::none},          {"429", fault_kind::too_many_requests},
        {"500", fault_kind::internal_error}, {"503", fault_kind::unavailable},
        {"reset", fault_kind::reset},        {"truncated-gzip", fault_kind::truncated_gzip},
        {"stall", fault_kind::stall},        {"drip", fault_kind::drip}};
    for (const auto& [n, k] : kinds)
      if (n == value) {
        f.kind = k;
        return std::nullopt;
      }
    return "fault kind: expected none|429|500|503|reset|truncated-gzip|stall|drip, got '" +
           std::string(value) + "'";
  }
  if (name == "target") {
    if (value == "any")
      f.target = fault_target::any;
    else if (value == "listing")
      f.target = fault_target::listing;
    else if (value == "download")
      f.target = fault_target::download;
    else
      return "fault target: expected any|listing|download, got '" + std::string(value) + "'";
    return std::nullopt;
  }
  if (name == "first") return number(f.first_n);
  if (name == "every") return number(f.every_nth);
  if (name == "retry-after") return number(f.retry_after_s);
  if (name == "stall-ms") return number(f.stall_ms);
  if (name == "drip-bytes") return number(f.drip_bytes);
  if (name == "drip-ms") return number(f.drip_interval_ms);
  if (name == "retry-after-date") {
    const auto b = to_bool(value);
    if (!b) return "fault retry-after-date: expected 0/1";
    f.retry_after_http_date = *b;
    return std::nullopt;
  }
  return "unknown fault setting '" + std::string(name) + "'";
}

std::optional<data_access_auth> parse_data_access_auth(std::string_view s) {
  if (s == "oauth1") return data_access_auth::oauth1;
  if (s == "bearer") return data_access_auth::bearer;
  if (s == "both") return data_access_auth::both;
  return std::nullopt;
}

std::string_view to_string(data_access_auth a) {
  switch (a) {
    case data_access_auth::oauth1:
      return "oauth1";
    case data_access_auth::bearer:
      return "bearer";
    case data_access_auth::both:
      break;
  }
  return "both";
}

// --- the server
// -----------------------------------------------------------------------------------

struct server::impl {
  explicit impl(server_options o) : opts(std::move(o)), gen(opts.data) {}

  server_options opts;
  // Declared before the io_context so it outlives the connections the io_context destroys.
  std::optional<ssl::context> tls;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::optional<net::signal_set> signals;

  mutable std::mutex mu;
  generator gen;
  std::string url;
  std::uint16_t bound_port = 0;
  std::int64_t fault_seen = 0;
  request_counts cnt;
  std::set<std::pair<std::string, std::string>> served;
  // (account, file name) -> the file's bytes, rendered ahead by pregenerate_locked() with the
  // variants of that time; dropped whenever the variants change.
  std::map<std::pair<std::string, std::string>, std::string> pregenerated;
  std::map<std::string, std::chrono::steady_clock::time_point> bearer_tokens;
  std::uint64_t token_serial = 0;
  int revoke_after = 0;  // accepted bearer requests until every token is revoked; 0 = none

  std::int64_t now_locked() const { return opts.now_ms ? *opts.now_ms : system_now_ms(); }

  // The Date header value at the emulator's now; nullopt with the no-date variant.
  std::optional<std::string> date_header() const {
    std::lock_guard lock(mu);
    if (opts.variant.no_date) return std::nullopt;
    return format_http_date(now_locked());
  }

  bool exists_at(const file_info& f, std::int64_t now) const {
    if (f.created_ms > now) return false;
    if (opts.variant.retention_days > 0 &&
        now >= f.created_ms + static_cast<std::int64_t>(opts.variant.retention_days) * day_ms)
      return false;
    return true;
  }

  std::string href_base() const { return opts.href_base.empty() ? url : opts.href_base; }

  reply xml_error(unsigned status, std::string_view message, int code) const {
    reply r;
    r.status = status;
    r.content_type = "application/xml";
    r.body = render_error_xml(message, code, now_locked());
    return r;
  }

  static reply json_reply(std::string body, unsigned status = 200) {
    reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }

  // Decides whether this eligible request is hit by the fault schedule.
  bool fault_hits(bool is_listing, bool is_download) {
    const auto& f = opts.fault;
    if (f.kind == fault_kind::none) return false;
    if (f.target == fault_target::listing && !is_listing) return false;
    if (f.target == fault_target::download && !is_download) return false;
    if (f.kind == fault_kind::truncated_gzip && !is_download) return false;
    const std::int64_t n = ++fault_seen;
    if (f.first_n == 0 && f.every_nth == 0) return true;
    if (f.first_n > 0 && n <= f.first_n) return true;
    return f.every_nth > 0 && n % f.every_nth == 0;
  }

  reply apply_fault(reply ok) {
    const auto& f = opts.fault;
    ++cnt.faults;
    switch (f.kind) {
      case fault_kind::too_many_requests: {
        reply r = xml_error(429, "Too Many Requests", 429);
        r.headers.emplace_back(
            "Retry-After",
            f.retry_after_http_date
                ? format_http_date(system_now_ms() + std::int64_t{f.retry_after_s} * 1000)
                : std::to_string(f.retry_after_s));
        return r;
      }
      case fault_kind::internal_error:
        return xml_error(500, "Internal Server Error", 500);
      case fault_kind::unavailable:
        return xml_error(503, "Service Unavailable", 503);
      case fault_kind::reset:
        ok.act = action::reset;
        break;
      case fault_kind::truncated_gzip:
        ok.body.resize(ok.body.size() / 2);
        break;
      case fault_kind::stall:
        ok.act = action::stall;
        ok.stall_ms = f.stall_ms;
        break;
      case fault_kind::drip:
        ok.act = action::drip;
        ok.drip_bytes = std::max(1, f.drip_bytes);
        ok.drip_interval_ms = f.drip_interval_ms;
        break;
      case fault_kind::none:
        break;
    }
    // A reset, stalled or truncated download is not a served file; a dripped one is.
    if (ok.act != action::drip) ok.served_account.clear();
    return ok;
  }

  // RFC 5849 §3.4.1.3.1: a form-encoded body's parameters are signed too; other bodies (TAP
  // sends "{}" as JSON on GETs) are not.
  static std::string_view form_body(const http::request<http::string_body>& req) {
    const std::string_view ct = req[http::field::content_type];
    if (ct.substr(0, 33) == "application/x-www-form-urlencoded") return req.body();
    return {};
  }

  bool authorized(const http::request<http::string_body>& req, bool is_tls) {
    const std::string_view auth = req[http::field::authorization];
    if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
      if (!opts.oauth2 || opts.da_auth == data_access_auth::oauth1) return false;
      const auto it = bearer_tokens.find(std::string(auth.substr(7)));
      const bool ok = it != bearer_tokens.end() && std::chrono::steady_clock::now() < it->second;
      // A revocation scheduled with revoke-tokens?after=N takes effect after N accepted
      // requests, so a test can revoke the token a running sync holds at a known point.
      if (ok && revoke_after > 0 && --revoke_after == 0) bearer_tokens.clear();
      return ok;
    }
    if (opts.da_auth == data_access_auth::bearer) return false;
    const auto v =
        verify_oauth1(std::string_view(req.method_string()), is_tls ? "https" : "http",
                      req[http::field::host], req.target(), auth, opts.oauth1, form_body(req));
    return v.ok;
  }

  // A new bearer token living opts.oauth2_ttl_s seconds (real clock: token lifetimes are about
  // the client's clock, not the emulator's "now").
  std::string issue_token() {
    char buf[64];
    std::snprintf(
        buf, sizeof buf, "emu-%016llx",
        static_cast<unsigned long long>(
            mix(opts.data.seed, ++token_serial, static_cast<std::uint64_t>(system_now_ms()))));
    bearer_tokens[buf] = std::chrono::steady_clock::now() + std::chrono::seconds(opts.oauth2_ttl_s);
    return buf;
  }

  reply token_endpoint(const http::request<http::string_body>& req) {
    ++cnt.token;
    if (!opts.oauth2) return json_reply(R"({"error":"not_found"})", 404);
    if (req.method() != http::verb::post)
      return json_reply(R"({"error":"invalid_request","error_description":"POST required"})", 405);
    const param_list form = parse_query(req.body());
    if (param(form, "grant_type") != "client_credentials")
      return json_reply(R"({"error":"unsupported_grant_type"})", 400);
    std::string id = param(form, "client_id");
    std::string secret = param(form, "client_secret");
    const std::string_view auth = req[http::field::authorization];
    if (auth.size() > 6 && auth.substr(0, 6) == "Basic ") {
      const std::string pair = base64_decode(auth.substr(6));
      const auto colon = pair.find(':');
      if (colon != std::string::npos) {
        id = percent_decode(pair.substr(0, colon));
        secret = percent_decode(pair.substr(colon + 1));
      }
    }
    if (id != opts.oauth2_client_id || secret != opts.oauth2_client_secret) {
      ++cnt.unauthorized;
      return json_reply(R"({"error":"invalid_client"})", 401);
    }
    const std::string token = issue_token();
    return json_reply(std::string(R"({"access_token":")") + token +
                      R"(","token_type":"Bearer","expires_in":)" +
                      std::to_string(opts.oauth2_ttl_s) + "}");
  }

  // LivePerson's Domain API (CSDS): GET /api/account/{id}/service/{name}/baseURI.json. Only
  // "sentinel" is known here; no authentication, as at LivePerson.
  reply csds(const std::vector<std::string>& parts) {
    ++cnt.csds;
    // parts: "", "api", "account", {id}, "service", {name}, "baseURI.json"
    if (parts.size() != 7 || parts[4] != "service" || parts[6] != "baseURI.json")
      return json_reply(R"({"error":"not found"})", 404);
    const std::string& account = parts[3];
    if (!gen.has_account(account)) return json_reply(R"({"error":"invalid site id"})", 401);
    if (parts[5] != "sentinel") return json_reply(R"({"error":"unknown service"})", 404);
    std::string host = opts.csds_sentinel_host;
    if (host.empty()) host = url.substr(url.find("://") + 3);
    return json_reply(R"({"service":"sentinel","account":")" + account + R"(","baseURI":")" + host +
                      "\"}");
  }

  // LivePerson's Sentinel: POST /sentinel/api/v2/account/{id}/app/token with the client id and
  // secret in a form body only, answering expires_in as a string.
  reply sentinel_token(const http::request<http::string_body>& req,
                       const std::vector<std::string>& parts) {
    ++cnt.token;
    // parts: "", "sentinel", "api", "v2", "account", {id}, "app", "token"
    if (parts.size() != 8 || parts[2] != "api" || parts[3] != "v2" || parts[4] != "account" ||
        parts[6] != "app" || parts[7] != "token")
      return json_reply(R"({"error":"not found"})", 404);
    if (!opts.oauth2) return json_reply(R"({"error":"not_found"})", 404);
    if (req.method() != http::verb::post)
      return json_reply(R"({"error":"invalid_request","error_description":"POST required"})", 405);
    if (req[http::field::content_type].substr(0, 33) != "application/x-www-form-urlencoded")
      return json_reply(R"({"error":"invalid_request","error_description":"form body required"})",
                        400);
    const param_list form = parse_query(req.body());
    if (param(form, "grant_type") != "client_credentials")
      return json_reply(R"({"error":"unsupported_grant_type"})", 400);
    if (param(form, "client_id") != opts.oauth2_client_id ||
        param(form, "client_secret") != opts.oauth2_client_secret || !gen.has_account(parts[5])) {
      ++cnt.unauthorized;
      return json_reply(
          R"({"error":"invalid_client","error_description":"Client authentication failed"})", 401);
    }
    const std::string token = issue_token();
    return json_reply(std::string(R"({"access_token":")") + token +
                      R"(","token_type":"Bearer","expires_in":")" +
                      std::to_string(opts.oauth2_ttl_s) + "\"}");
  }

  int revoke_locked(const std::string& token) {
    if (token.empty()) {
      const int n = static_cast<int>(bearer_tokens.size());
      bearer_tokens.clear();
      return n;
    }
    return static_cast<int>(bearer_tokens.erase(token));
  }

  std::vector<listed_file> listed(const std::string& account, std::int64_t start,
                                  std::int64_t end) {
    std::vector<listed_file> out;
    const std::int64_t now = now_locked();
    for (auto& f : gen.files(account)) {
      if (!exists_at(f, now)) continue;
      const std::int64_t t = opts.variant.filter_on_scope ? f.scope_start_ms : f.created_ms;
      if (t < start || t >= end) continue;
      std::string href = href_base() + std::string(api_prefix) + account + "/le/agentActivity/" +
                         f.name() + (opts.variant.href_without_gz ? "" : ".gz");
      const entry_fault fault = !opts.malformed_entry.empty() && f.name() == opts.malformed_entry
                                    ? opts.malformed_entry_kind
                                    : entry_fault::none;
      out.push_back({std::move(f), std::move(href), fault});
    }
    return out;
  }

  reply api(const http::request<http::string_body>& req, bool is_tls) {
    const std::string_view target = req.target();
    const auto qpos = target.find('?');
    const std::string_view path = target.substr(0, qpos);
    const param_list query =
        qpos == std::string_view::npos ? param_list{} : parse_query(target.substr(qpos + 1));
    const auto parts = split(path.substr(api_prefix.size()), '/');
    if (parts.size() < 2 || parts[1] != "le") return xml_error(404, "Resource not found", 404);
    const std::string& account = parts[0];
    const bool is_base = parts.size() == 2;
    const bool is_listing =
        parts.size() == 3 && (parts[2] == "agentActivity" || parts[2] == "webSession" ||
                              parts[2] == "engagement" || parts[2] == "survey");
    const bool is_schema = parts.size() == 3 && parts[2] == "schema";
    const bool is_download = parts.size() == 4 && parts[2] == "agentActivity";
    if (is_base) ++cnt.base;
    if (is_listing) ++cnt.listing;
    if (is_schema) ++cnt.schema;
    if (is_download) ++cnt.download;
    if (is_download) {
      std::string n = parts[3];
      if (n.size() > 3 && n.compare(n.size() - 3, 3, ".gz") == 0) n.resize(n.size() - 3);
      ++cnt.downloads_by_file[n];
    }
    reply r;
    r.latency_ms = opts.latency_ms;
    if (!authorized(req, is_tls)) {
      ++cnt.unauthorized;
      reply u = xml_error(401, "Unauthorized request", 10);
      u.latency_ms = opts.latency_ms;
      return u;
    }
    if (req.method() != http::verb::get ||
        (is_download && req[http::field::accept] == "application/gzip")) {
      reply e =
          xml_error(400, "This request is not supported, verify request headers and method", 5);
      e.latency_ms = opts.latency_ms;
      return e;
    }
    if (!gen.has_account(account)) {
      reply e = xml_error(403, "Unauthorized request", 10);
      e.latency_ms = opts.latency_ms;
      return e;
    }
    const bool hit =
        (is_base || is_listing || is_schema || is_download) && fault_hits(is_listing, is_download);
    if (is_base) {
      r.body =
          render_base_resource(account, href_base() + std::string(api_prefix) + account + "/le");
    } else if (is_schema) {
      if (param(query, "schemaId").empty()) {
        r = xml_error(400, "schemaId is required", 5);
      } else {
        r.body = agent_activity_schema();
      }
    } else if (is_listing) {
      const auto start = to_int(param(query, "startTime"));
      const auto end = to_int(param(query, "endTime"));
      if (!start || !end) {
        r = xml_error(400, "startTime and endTime are required, in epoch milliseconds", 5);
      } else {
        std::vector<listed_file> files;
        if (parts[2] == "agentActivity") files = listed(account, *start, *end);
        if (files.empty() && opts.variant.empty == empty_listing::not_found_xml) {
          r = xml_error(404, "No Available Files", 404);
        } else {
          r.body = render_listing(account, href_base() + std::string(path), files, opts.variant);
        }
      }
    } else if (is_download) {
      const auto f = gen.find(account, parts[3]);
      if (!f || !exists_at(*f, now_locked())) {
        r = xml_error(404, "File not found", 404);
      } else if (!opts.failing_file.empty() && f->name() == opts.failing_file) {
        ++cnt.faults;
        r = xml_error(500, "Internal Server Error", 500);
      } else {
        r.content_type = "application/octet-stream";
        const auto ahead = pregenerated.find({account, f->name()});
        r.body = ahead != pregenerated.end() ? ahead->second
                                             : render_file(gen.sessions(*f), opts.variant);
        if (opts.variant.content_encoding_gzip) {
          r.body = gzip_member(r.body);
          r.headers.emplace_back("Content-Encoding", "gzip");
        }
        r.served_account = account;
        r.served_name = f->name();
      }
    } else {
      r = xml_error(404, "Resource not found", 404);
    }
    if (hit && r.status == 200)
      r = apply_fault(std::move(r));
    else if (hit && (opts.fault.kind == fault_kind::too_many_requests ||
                     opts.fault.kind == fault_kind::internal_error ||
                     opts.fault.kind == fault_kind::unavailable))
      r = apply_fault(std::move(r));
    r.latency_ms = opts.latency_ms;
    return r;
  }

  std::string state_json() const {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    const auto& v = opts.variant;
    const auto& f = opts.fault;
    w.StartObject();
    w.Key("baseUrl");
    w.String(url);
    w.Key("hrefBase");
    w.String(href_base());
    w.Key("now");
    w.Int64(now_locked());
    w.Key("nowFixed");
    w.Bool(opts.now_ms.has_value());
    w.Key("seed");
    w.Uint64(gen.config().seed);
    w.Key("accounts");
    w.StartArray();
    for (const auto& a : gen.config().accounts) w.String(a);
    w.EndArray();
    w.Key("agents");
    w.Int(gen.config().agents);
    w.Key("from");
    w.Int64(gen.config().from_ms);
    w.Key("hours");
    w.Int(gen.config().hours);
    w.Key("maxParts");
    w.Int(gen.config().max_parts);
    w.Key("latePercent");
    w.Int(gen.config().late_percent);
    w.Key("variants");
    w.StartObject();
    w.Key("single-file-as-object");
    w.Bool(v.single_file_as_object);
    w.Key("empty");
    w.String(empty_name(v.empty));
    w.Key("href-without-gz");
    w.Bool(v.href_without_gz);
    w.Key("plain-body");
    w.Bool(v.plain_body);
    w.Key("multi-member");
    w.Bool(v.multi_member);
    w.Key("zero-padding");
    w.Int(v.zero_padding);
    w.Key("content-encoding-gzip");
    w.Bool(v.content_encoding_gzip);
    w.Key("docs-framing");
    w.Bool(v.docs_framing);
    w.Key("casing");
    w.String(casing_name(v.casing));
    w.Key("retention-days");
    w.Int(v.retention_days);
    w.Key("filter-on-scope");
    w.Bool(v.filter_on_scope);
    w.Key("no-date");
    w.Bool(v.no_date);
    w.Key("employee-id-as-long");
    w.Bool(v.employee_id_as_long);
    w.Key("extra-fields");
    w.Bool(v.extra_fields);
    w.EndObject();
    w.Key("fault");
    w.StartObject();
    w.Key("kind");
    w.String(kind_name(f.kind));
    w.Key("target");
    w.String(f.target == fault_target::any       ? "any"
             : f.target == fault_target::listing ? "listing"
                                                 : "download");
    w.Key("first");
    w.Int(f.first_n);
    w.Key("every");
    w.Int(f.every_nth);
    w.Key("seen");
    w.Int64(fault_seen);
    w.EndObject();
    w.Key("latencyMs");
    w.Int(opts.latency_ms);
    w.Key("failingFile");
    w.String(opts.failing_file);
    w.Key("malformedEntry");
    w.String(opts.malformed_entry);
    w.Key("malformedEntryKind");
    w.String(std::string(entry_fault_name(opts.malformed_entry_kind)));
    w.Key("dataAccessAuth");
    w.String(std::string(to_string(opts.da_auth)));
    w.Key("oauth2Ttl");
    w.Int(opts.oauth2_ttl_s);
    w.Key("tokens");
    w.Int(static_cast<int>(bearer_tokens.size()));
    w.EndObject();
    return {sb.GetString(), sb.GetSize()};
  }

  std::string counts_json() const {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartObject();
    const std::pair<const char*, std::int64_t> fields[] = {
        {"total", cnt.total},       {"base", cnt.base},       {"listing", cnt.listing},
        {"download", cnt.download}, {"schema", cnt.schema},   {"token", cnt.token},
        {"csds", cnt.csds},         {"control", cnt.control}, {"unauthorized", cnt.unauthorized},
        {"faults", cnt.faults}};
    for (const auto& [n, v] : fields) {
      w.Key(n);
      w.Int64(v);
    }
    w.Key("downloadsByFile");
    w.StartObject();
    for (const auto& [n, v] : cnt.downloads_by_file) {
      w.Key(n.c_str(), static_cast<rapidjson::SizeType>(n.size()));
      w.Int64(v);
    }
    w.EndObject();
    w.Key("served");
    w.Int64(static_cast<std::int64_t>(served.size()));
    w.EndObject();
    return {sb.GetString(), sb.GetSize()};
  }

  std::string files_json(const std::string& account, bool all) const {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    const std::int64_t now = now_locked();
    w.StartArray();
    for (const auto& f : gen.files(account)) {
      const bool avail = exists_at(f, now);
      if (!all && !avail) continue;
      w.StartObject();
      w.Key("name");
      w.String(f.name());
      w.Key("scopeStart");
      w.Int64(f.scope_start_ms);
      w.Key("scopeEnd");
      w.Int64(f.scope_end_ms);
      w.Key("part");
      w.Int(f.part);
      w.Key("created");
      w.Int64(f.created_ms);
      w.Key("late");
      w.Bool(f.late);
      w.Key("available");
      w.Bool(avail);
      w.EndObject();
    }
    w.EndArray();
    return {sb.GetString(), sb.GetSize()};
  }

  pregenerate_result pregenerate_locked() {
    const auto t0 = std::chrono::steady_clock::now();
    pregenerated.clear();
    pregenerate_result r;
    const std::int64_t now = now_locked();
    for (const auto& account : gen.config().accounts)
      for (const auto& f : gen.files(account)) {
        if (!exists_at(f, now)) continue;
        std::string body = render_file(gen.sessions(f), opts.variant);
        ++r.files;
        r.bytes += static_cast<std::int64_t>(body.size());
        pregenerated.emplace(std::pair{account, f.name()}, std::move(body));
      }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  std::string expected_locked(std::string_view format, std::string_view which) const {
    if (format != "ndjson" && format != "csv")
      throw std::invalid_argument("expected: format must be ndjson or csv");
    if (which != "available" && which != "served" && which != "all")
      throw std::invalid_argument("expected: files must be available, served or all");
    std::vector<expected_event> events;
    const std::int64_t now = now_locked();
    for (const auto& account : gen.config().accounts) {
      for (const auto& f : gen.files(account)) {
        if (which == "available" && !exists_at(f, now)) continue;
        if (which == "served" && served.count({account, f.name()}) == 0) continue;
        collect_expected(f, gen.sessions(f), events);
      }
    }
    sort_unique(events);
    return format == "csv" ? render_expected_csv(events) : render_expected_ndjson(events);
  }

  reply control(const http::request<http::string_body>& req) {
    ++cnt.control;
    const std::string_view target = req.target();
    const auto qpos = target.find('?');
    const std::string cmd(target.substr(10, qpos == std::string_view::npos ? qpos : qpos - 10));
    param_list q =
        qpos == std::string_view::npos ? param_list{} : parse_query(target.substr(qpos + 1));
    if (req.method() == http::verb::post) {
      auto form = parse_query(req.body());
      q.insert(q.end(), form.begin(), form.end());
    }
    auto bad = [](const std::string& msg) {
      return json_reply("{\"error\":\"" + msg + "\"}", 400);
    };
    try {
      if (cmd == "state") return json_reply(state_json());
      if (cmd == "counts") return json_reply(counts_json());
      if (cmd == "reset-counts") {
        cnt = request_counts{};
        return json_reply(counts_json());
      }
      if (cmd == "now") {
        if (has_param(q, "live")) {
          opts.now_ms.reset();
        } else if (has_param(q, "advance")) {
          const auto d = to_int(param(q, "advance"));
          if (!d) return bad("now: advance must be milliseconds");
          opts.now_ms = now_locked() + *d;
        } else {
          const auto t = parse_time_arg(param(q, "set"));
          if (!t) return bad("now: set must be epoch ms or YYYY-MM-DDTHH:MM:SSZ");
          opts.now_ms = *t;
        }
        return json_reply(state_json());
      }
      if (cmd == "variant") {
        variants v = opts.variant;
        for (const auto& [n, val] : q) {
          if (n == "late-percent" || n == "late-min-hours" || n == "late-max-hours") continue;
          if (auto err = set_variant(v, n, val)) return bad(*err);
        }
        if (has_param(q, "late-percent") || has_param(q, "late-min-hours") ||
            has_param(q, "late-max-hours")) {
          const auto p =
              to_int(param(q, "late-percent", std::to_string(gen.config().late_percent)));
          const auto lo =
              to_int(param(q, "late-min-hours", std::to_string(gen.config().late_min_hours)));
          const auto hi =
              to_int(param(q, "late-max-hours", std::to_string(gen.config().late_max_hours)));
          if (!p || !lo || !hi) return bad("variant: late-* must be integers");
          gen.set_late(static_cast<int>(*p), static_cast<int>(*lo), static_cast<int>(*hi));
        }
        opts.variant = v;
        pregenerated.clear();
        return json_reply(state_json());
      }
      if (cmd == "fault") {
        fault_spec f;  // a fresh schedule: unspecified settings take their defaults
        for (const auto& [n, val] : q)
          if (auto err = lpda::emulator::set_fault(f, n, val)) return bad(*err);
        opts.fault = f;
        fault_seen = 0;
        return json_reply(state_json());
      }
      if (cmd == "latency") {
        const auto ms = to_int(param(q, "ms"));
        if (!ms || *ms < 0) return bad("latency: ms must be a non-negative integer");
        opts.latency_ms = static_cast<int>(*ms);
        return json_reply(state_json());
      }
      if (cmd == "fail-file") {
        std::string n = param(q, "name");
        if (n.size() > 3 && n.compare(n.size() - 3, 3, ".gz") == 0) n.resize(n.size() - 3);
        opts.failing_file = n;
        return json_reply(state_json());
      }
      if (cmd == "malformed-entry") {
        std::string n = param(q, "name");
        if (n.size() > 3 && n.compare(n.size() - 3, 3, ".gz") == 0) n.resize(n.size() - 3);
        const auto kind = parse_entry_fault(param(q, "kind", "no-href"));
        if (!kind || *kind == entry_fault::none)
          return bad("malformed-entry: kind must be no-href|bad-name|scope-mismatch|not-object");
        opts.malformed_entry = n;
        opts.malformed_entry_kind = *kind;
        return json_reply(state_json());
      }
      if (cmd == "data-access-auth") {
        const auto a = parse_data_access_auth(param(q, "mode"));
        if (!a) return bad("data-access-auth: mode must be oauth1, bearer or both");
        opts.da_auth = *a;
        return json_reply(state_json());
      }
      if (cmd == "oauth2-ttl") {
        const auto ttl = to_int(param(q, "s"));
        if (!ttl || *ttl < 0) return bad("oauth2-ttl: s must be a non-negative integer");
        opts.oauth2_ttl_s = static_cast<int>(*ttl);
        return json_reply(state_json());
      }
      if (cmd == "revoke-tokens") {
        if (has_param(q, "after")) {
          const auto n = to_int(param(q, "after"));
          if (!n || *n < 1) return bad("revoke-tokens: after must be a positive integer");
          revoke_after = static_cast<int>(*n);
          return json_reply("{\"revoked\":0}");
        }
        return json_reply("{\"revoked\":" + std::to_string(revoke_locked(param(q, "token"))) + "}");
      }
      if (cmd == "add-hours") {
        const auto n = to_int(param(q, "n", "1"));
        if (!n || *n < 0) return bad("add-hours: n must be a non-negative integer");
        gen.add_hours(static_cast<int>(*n));
        return json_reply(state_json());
      }
      if (cmd == "add-file") {
        const std::string account = param(q, "account", gen.config().accounts.front());
        const auto scope = parse_time_arg(param(q, "scope"));
        const auto created = has_param(q, "created") ? parse_time_arg(param(q, "created"))
                                                     : std::optional<std::int64_t>(now_locked());
        const auto sessions = to_int(param(q, "sessions", "3"));
        if (!scope || !created || !sessions) return bad("add-file: scope, created, sessions");
        if (!gen.has_account(account)) return bad("add-file: unknown account");
        const auto f = gen.add_file(account, *scope, *created, static_cast<int>(*sessions));
        return json_reply("{\"name\":\"" + f.name() +
                          "\",\"created\":" + std::to_string(f.created_ms) + "}");
      }
      if (cmd == "pregenerate") {
        const auto p = pregenerate_locked();
        return json_reply("{\"files\":" + std::to_string(p.files) +
                          ",\"bytes\":" + std::to_string(p.bytes) +
                          ",\"seconds\":" + std::to_string(p.seconds) + "}");
      }
      if (cmd == "files") {
        return json_reply(
            files_json(param(q, "account", gen.config().accounts.front()), has_param(q, "all")));
      }
      if (cmd == "expected") {
        const std::string format = param(q, "format", "ndjson");
        std::string body = expected_locked(format, param(q, "files", "available"));
        const std::string out = param(q, "out");
        if (!out.empty()) {
          std::ofstream f(out, std::ios::binary | std::ios::trunc);
          f.write(body.data(), static_cast<std::streamsize>(body.size()));
          if (!f) return bad("expected: cannot write " + out);
          return json_reply("{\"written\":" + std::to_string(body.size()) + "}");
        }
        reply r = json_reply(std::move(body));
        r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
        return r;
      }
    } catch (const std::exception& e) {
      return bad(e.what());
    }
    return json_reply(R"({"error":"unknown control command"})", 404);
  }

  reply handle(const http::request<http::string_body>& req, bool loopback, bool is_tls) {
    std::lock_guard lock(mu);
    ++cnt.total;
    const std::string_view target = req.target();
    if (target.substr(0, 10) == "/_control/") {
      if (!loopback) return json_reply(R"({"error":"control is loopback-only"})", 403);
      return control(req);
    }
    if (target == "/oauth2/token" || target.substr(0, 14) == "/oauth2/token?")
      return token_endpoint(req);
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.substr(0, 13) == "/api/account/") return csds(split(path, '/'));
    if (path.substr(0, 10) == "/sentinel/") return sentinel_token(req, split(path, '/'));
    if (target.substr(0, api_prefix.size()) == api_prefix) return api(req, is_tls);
    return xml_error(404, "Resource not found", 404);
  }

  void mark_served(const reply& r) {
    if (r.served_account.empty()) return;
    std::lock_guard lock(mu);
    served.emplace(r.served_account, r.served_name);
  }
};

namespace {

net::awaitable<void> wait_ms(int ms) {
  net::steady_timer t(co_await net::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(ms));
  co_await t.async_wait(use_tuple);
}

template <class Stream>
void hard_reset(Stream& stream) {
  auto& sock = beast::get_lowest_layer(stream).socket();
  boost::system::error_code ec;
  sock.set_option(net::socket_base::linger(true, 0), ec);
  sock.close(ec);
}

template <class Stream>
net::awaitable<void> serve_stream(server::impl* self, Stream& stream, bool is_tls, bool loopback) {
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
    auto [rec, rn] = co_await http::async_read(stream, buf, parser, use_tuple);
    if (rec) co_return;
    const auto req = parser.release();
    reply r = self->handle(req, loopback, is_tls);
    if (r.latency_ms > 0) co_await wait_ms(r.latency_ms);
    // RFC 9110 §6.6.1: an origin server with a clock sends Date; the emulator's clock is its
    // "now" (fixed or the system's), the time that decides which files exist.
    if (const auto date = self->date_header()) r.headers.emplace_back("Date", *date);
    const bool keep = req.keep_alive() && r.act == action::normal;
    const std::string head = head_text(r, keep);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(600));
    if (r.act == action::normal) {
      const std::array<net::const_buffer, 2> bufs{net::buffer(head), net::buffer(r.body)};
      auto [wec, wn] = co_await net::async_write(stream, bufs, use_tuple);
      if (wec) co_return;
      self->mark_served(r);
    } else if (r.act == action::reset || r.act == action::stall) {
      const std::array<net::const_buffer, 2> bufs{net::buffer(head),
                                                  net::buffer(r.body.data(), r.body.size() / 2)};
      auto [wec, wn] = co_await net::async_write(stream, bufs, use_tuple);
      if (wec) co_return;
      if (r.act == action::stall) co_await wait_ms(r.stall_ms);
      hard_reset(stream);
      co_return;
    } else {
      const std::string all = head + r.body;
      for (std::size_t pos = 0; pos < all.size();) {
        const std::size_t n = std::min(all.size() - pos, static_cast<std::size_t>(r.drip_bytes));
        auto [wec, wn] =
            co_await net::async_write(stream, net::buffer(all.data() + pos, n), use_tuple);
        if (wec) co_return;
        pos += n;
        if (pos < all.size()) co_await wait_ms(r.drip_interval_ms);
      }
      self->mark_served(r);
    }
    if (!keep) {
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        boost::system::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      } else {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
        co_await stream.async_shutdown(use_tuple);
      }
      co_return;
    }
  }
}

bool is_loopback(const tcp::endpoint& ep) {
  const auto a = ep.address();
  if (a.is_loopback()) return true;
  return a.is_v6() && a.to_v6().is_v4_mapped() &&
         net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback();
}

net::awaitable<void> serve_plain(server::impl* self, tcp::socket sock) {
  boost::system::error_code ec;
  const auto peer = sock.remote_endpoint(ec);
  if (ec) co_return;
  beast::tcp_stream stream(std::move(sock));
  co_await serve_stream(self, stream, false, is_loopback(peer));
}

net::awaitable<void> serve_tls(server::impl* self, tcp::socket sock) {
  boost::system::error_code ec;
  const auto peer = sock.remote_endpoint(ec);
  if (ec) co_return;
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *self->tls);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (hec) co_return;
  co_await serve_stream(self, stream, true, is_loopback(peer));
}

net::awaitable<void> accept_loop(server::impl* self) {
  for (;;) {
    auto [ec, sock] = co_await self->acceptor.async_accept(use_tuple);
    if (ec) {
      if (!self->acceptor.is_open()) co_return;
      continue;
    }
    if (self->tls) {
      net::co_spawn(self->ioc, serve_tls(self, std::move(sock)), net::detached);
    } else {
      net::co_spawn(self->ioc, serve_plain(self, std::move(sock)), net::detached);
    }
  }
}

}  // namespace

server::server(server_options options) : impl_(std::make_unique<impl>(std::move(options))) {
  const auto& o = impl_->opts;
  if (o.data.accounts.empty()) throw std::invalid_argument("at least one account is required");
  if (o.tls_cert_file.empty() != o.tls_key_file.empty())
    throw std::invalid_argument("--tls-cert and --tls-key go together");
}

server::~server() {
  stop();
}

void server::start() {
  auto& s = *impl_;
  if (!s.opts.tls_cert_file.empty() || s.opts.tls_self_signed) {
    s.tls.emplace(ssl::context::tls_server);
    s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3);
    if (!s.opts.tls_cert_file.empty()) {
      s.tls->use_certificate_chain_file(s.opts.tls_cert_file);
      s.tls->use_private_key_file(s.opts.tls_key_file, ssl::context::pem);
    } else {
      auto [key, cert] = make_self_signed();
      if (SSL_CTX_use_certificate(s.tls->native_handle(), cert.get()) != 1 ||
          SSL_CTX_use_PrivateKey(s.tls->native_handle(), key.get()) != 1)
        throw std::runtime_error("self-signed TLS: cannot load the generated pair");
      if (!s.opts.tls_cert_out.empty()) {
        std::ofstream out(s.opts.tls_cert_out, std::ios::trunc);
        out << cert_pem(cert.get());
        if (!out) throw std::runtime_error("cannot write " + s.opts.tls_cert_out);
      }
    }
  }
  const tcp::endpoint ep(net::ip::make_address(s.opts.address), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(net::socket_base::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen();
  s.bound_port = s.acceptor.local_endpoint().port();
  const auto addr = s.acceptor.local_endpoint().address();
  const std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  {
    std::lock_guard lock(s.mu);
    s.url =
        std::string(s.tls ? "https" : "http") + "://" + host + ":" + std::to_string(s.bound_port);
  }
  net::co_spawn(s.ioc, accept_loop(&s), net::detached);
  if (s.opts.handle_signals) {
    s.signals.emplace(s.ioc, SIGINT, SIGTERM);
    s.signals->async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) stop();
    });
  }
}

std::string server::base_url() const {
  std::lock_guard lock(impl_->mu);
  return impl_->url;
}

std::uint16_t server::port() const {
  return impl_->bound_port;
}

void server::run() {
  impl_->ioc.run();
}

void server::run_in_background() {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void server::stop() {
  auto& s = *impl_;
  net::post(s.ioc, [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
    if (s.signals) s.signals->cancel(ec);
    s.ioc.stop();
  });
  if (s.thread.joinable() && s.thread.get_id() != std::this_thread::get_id()) s.thread.join();
}

std::int64_t server::now_ms() const {
  std::lock_guard lock(impl_->mu);
  return impl_->now_locked();
}

void server::set_now_ms(std::optional<std::int64_t> now) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.now_ms = now;
}

void server::set_variants(const variants& v) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.variant = v;
  impl_->pregenerated.clear();
}

pregenerate_result server::pregenerate() {
  std::lock_guard lock(impl_->mu);
  return impl_->pregenerate_locked();
}

variants server::current_variants() const {
  std::lock_guard lock(impl_->mu);
  return impl_->opts.variant;
}

void server::set_fault(const fault_spec& f) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.fault = f;
  impl_->fault_seen = 0;
}

void server::set_latency_ms(int ms) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.latency_ms = ms;
}

void server::set_failing_file(std::string name) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.failing_file = std::move(name);
}

void server::set_malformed_entry(std::string name, entry_fault kind) {
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) name.resize(name.size() - 3);
  std::lock_guard lock(impl_->mu);
  impl_->opts.malformed_entry = std::move(name);
  impl_->opts.malformed_entry_kind = kind;
}

void server::add_hours(int n) {
  std::lock_guard lock(impl_->mu);
  impl_->gen.add_hours(n);
}

file_info server::add_file(const std::string& account, std::int64_t scope_ms,
                           std::int64_t created_ms, int sessions) {
  std::lock_guard lock(impl_->mu);
  return impl_->gen.add_file(account, scope_ms, created_ms, sessions);
}

void server::set_late(int percent, int min_hours, int max_hours) {
  std::lock_guard lock(impl_->mu);
  impl_->gen.set_late(percent, min_hours, max_hours);
}

void server::set_data_access_auth(data_access_auth a) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.da_auth = a;
}

void server::set_oauth2_ttl_s(int seconds) {
  std::lock_guard lock(impl_->mu);
  impl_->opts.oauth2_ttl_s = seconds;
}

int server::revoke_tokens(const std::string& token) {
  std::lock_guard lock(impl_->mu);
  return impl_->revoke_locked(token);
}

request_counts server::counts() const {
  std::lock_guard lock(impl_->mu);
  return impl_->cnt;
}

std::vector<file_info> server::files(const std::string& account, bool all) const {
  std::lock_guard lock(impl_->mu);
  std::vector<file_info> out;
  const std::int64_t now = impl_->now_locked();
  for (auto& f : impl_->gen.files(account))
    if (all || impl_->exists_at(f, now)) out.push_back(std::move(f));
  return out;
}

std::string server::expected(std::string_view format, std::string_view which) const {
  std::lock_guard lock(impl_->mu);
  return impl_->expected_locked(format, which);
}

}  // namespace lpda::emulator
