#pragma once
// lpda-emulator's server: a local HTTP(S) stand-in for LivePerson's Data Access API
// (https://developers.liveperson.com/data-access-api-overview.html). Beast stays in server.cpp.
#include "lpda/emulator/generator.hpp"
#include "lpda/emulator/oauth1.hpp"
#include "lpda/emulator/render.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::emulator {

/// What a fault does to the requests it hits.
enum class fault_kind {
  none,
  too_many_requests,  ///< 429 + Retry-After (seconds, or an HTTP-date)
  internal_error,     ///< 500 + XML error body
  unavailable,        ///< 503 + XML error body
  reset,              ///< headers and half the body, then a TCP RST (SO_LINGER 0)
  truncated_gzip,     ///< downloads only: 200 with the first half of the file bytes
  stall,              ///< headers and half the body, then silence for stall_ms, then a RST
  drip,               ///< the whole response in drip_bytes chunks every drip_interval_ms
};

/// Which requests a fault may hit.
enum class fault_target { any, listing, download };

/// A deterministic fault schedule. Each request of `target` (after authentication) counts as one
/// eligible request; it is hit when it is among the first `first_n` eligible requests, or is a
/// multiple of `every_nth`; with both 0 every eligible request is hit. Setting a fault resets
/// the count.
struct fault_spec {
  fault_kind kind = fault_kind::none;
  fault_target target = fault_target::any;
  int first_n = 0;
  int every_nth = 0;
  int retry_after_s = 1;               ///< 429: Retry-After delta-seconds
  bool retry_after_http_date = false;  ///< 429: Retry-After as an IMF-fixdate (real clock + s)
  int stall_ms = 30'000;
  int drip_bytes = 64;
  int drip_interval_ms = 20;
};

/// Which credentials the Data Access endpoints accept (the token and Domain API endpoints are
/// unaffected): OAuth 1.0a signatures only, OAuth 2.0 bearer tokens only, or either. Whether
/// LivePerson's Data Access hosts accept bearer tokens is documented nowhere, so tests need all
/// three answers.
enum class data_access_auth { oauth1, bearer, both };

/// "oauth1", "bearer", "both" → the mode; nullopt otherwise.
std::optional<data_access_auth> parse_data_access_auth(std::string_view s);
std::string_view to_string(data_access_auth a);

/// Request counters (read with server::counts or GET /_control/counts).
struct request_counts {
  std::int64_t total = 0;         ///< every request, control included
  std::int64_t base = 0;          ///< …/le
  std::int64_t listing = 0;       ///< …/le/{dataType}?startTime&endTime
  std::int64_t download = 0;      ///< …/le/agentActivity/{file}
  std::int64_t schema = 0;        ///< …/le/schema
  std::int64_t token = 0;  ///< POST /oauth2/token and …/sentinel/api/v2/account/{id}/app/token
  std::int64_t csds = 0;   ///< GET /api/account/{id}/service/{name}/baseURI.json
  std::int64_t control = 0;       ///< /_control/…
  std::int64_t unauthorized = 0;  ///< answered 401
  std::int64_t faults = 0;        ///< hit by the fault schedule or the failing file
  std::map<std::string, std::int64_t> downloads_by_file;  ///< file name (no .gz) → GETs
};

/// Everything the emulator is started with (lpda-emulator's options map 1:1 onto this).
struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;     ///< 0 = any free port
  std::string tls_cert_file;  ///< PEM; with tls_key_file serves HTTPS
  std::string tls_key_file;
  bool tls_self_signed = false;  ///< HTTPS with a P-256 certificate for localhost/127.0.0.1
  std::string tls_cert_out;      ///< writes the self-signed certificate (PEM) here
  std::string href_base;         ///< scheme://host[:port] of hrefs; "" = the server's own URL
  oauth1_credentials oauth1{"emulator-app-key", "emulator-app-secret", "emulator-access-token",
                            "emulator-access-token-secret"};
  bool oauth2 = true;  ///< POST /oauth2/token and Bearer tokens
  std::string oauth2_client_id = "emulator-client";
  std::string oauth2_client_secret = "emulator-client-secret";
  int oauth2_ttl_s = 3600;  ///< expires_in of issued tokens
  /// The Domain API's `baseURI` for service sentinel; "" = this server's own host:port.
  std::string csds_sentinel_host;
  data_access_auth da_auth = data_access_auth::both;
  generator_config data;
  variants variant;
  fault_spec fault;
  int latency_ms = 0;                  ///< added before every Data Access response
  std::string failing_file;            ///< downloads of this file name answer 500 until cleared
  std::string malformed_entry;         ///< listings corrupt this file's entry ("" = none)
  entry_fault malformed_entry_kind = entry_fault::no_href;  ///< how malformed_entry is corrupted
  std::optional<std::int64_t> now_ms;  ///< fixed "now"; nullopt = the system clock
  bool handle_signals = false;         ///< run() returns on SIGINT/SIGTERM
};

/// Applies one variant by name (the names of lpda-emulator's options without "--", e.g.
/// "single-file-as-object" = "1", "empty" = "404|array|missing", "casing" =
/// "example|table|alternate", "late-percent" = "20"). Returns an error message, or nullopt.
std::optional<std::string> set_variant(variants& v, std::string_view name, std::string_view value);

/// Parses fault settings (kind, target, first, every, retry-after, retry-after-date, stall-ms,
/// drip-bytes, drip-ms) into `f`. Returns an error message, or nullopt.
std::optional<std::string> set_fault(fault_spec& f, std::string_view name, std::string_view value);

/// What server::pregenerate did: files rendered, their bytes as served, and how long it took.
struct pregenerate_result {
  std::int64_t files = 0;
  std::int64_t bytes = 0;
  double seconds = 0;
};

/// The emulator. start() binds; run() or run_in_background() serves on one io_context thread.
/// Control methods are thread-safe.
class server {
 public:
  /// Throws std::invalid_argument for bad options.
  explicit server(server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the listener and prepares TLS. Throws std::runtime_error (bind, certificate).
  void start();
  /// "http(s)://address:port" (valid after start()).
  std::string base_url() const;
  std::uint16_t port() const;
  /// Serves in the calling thread until stop() (or a signal with handle_signals).
  void run();
  /// Serves in a thread owned by the server; stop() or the destructor joins it.
  void run_in_background();
  void stop();

  /// "Now" in epoch ms: the fixed value, or the system clock.
  std::int64_t now_ms() const;
  /// Fixes "now" (epoch ms), or returns to the system clock with nullopt.
  void set_now_ms(std::optional<std::int64_t> now);
  /// Replaces every variant at once (see variants for the defaults); drops pregenerated files.
  void set_variants(const variants& v);
  /// Renders every file that exists now (all accounts) with the current variants and keeps its
  /// bytes in memory, so their downloads cost no generation (benchmarks time the client, not
  /// the emulator). Files added or created later are generated per request as before; a
  /// variant change drops the rendered files.
  pregenerate_result pregenerate();
  variants current_variants() const;
  /// Replaces the fault schedule and resets its count of eligible requests.
  void set_fault(const fault_spec& f);
  /// Delay (ms) before every Data Access response; 0 = none.
  void set_latency_ms(int ms);
  /// Downloads of this file name (".gz" or not) answer 500 until set to "".
  void set_failing_file(std::string name);
  /// Listings render the entry of this file name (".gz" or not) corrupted as `kind` until set to
  /// "" (the file stays downloadable at its usual href).
  void set_malformed_entry(std::string name, entry_fault kind);
  /// Extends the scope range by `n` hours (generator::add_hours).
  void add_hours(int n);
  /// Adds a part file (generator::add_file). Throws std::invalid_argument for an unknown account.
  file_info add_file(const std::string& account, std::int64_t scope_ms, std::int64_t created_ms,
                     int sessions);
  /// Late files: share in percent and delay range in hours (generator::set_late).
  void set_late(int percent, int min_hours, int max_hours);
  /// Which credentials the Data Access endpoints accept from now on.
  void set_data_access_auth(data_access_auth a);
  /// expires_in (s) of tokens issued from now on.
  void set_oauth2_ttl_s(int seconds);
  /// Revokes every bearer token issued so far (`token` empty) or that one; a revoked token is
  /// answered 401 like an expired one. Returns how many were revoked.
  int revoke_tokens(const std::string& token = {});
  /// A snapshot of the request counters.
  request_counts counts() const;

  /// Files of `account` that exist at now (created ≤ now, not past retention), or with `all`
  /// every generated file.
  std::vector<file_info> files(const std::string& account, bool all = false) const;

  /// The expected set as text. `format`: "ndjson" or "csv"; `which`: "available" (every file that
  /// exists now, all accounts), "served" (files downloaded completely with 200), or "all".
  /// Throws std::invalid_argument for other values.
  std::string expected(std::string_view format, std::string_view which) const;

  struct impl;  ///< implementation (Beast types stay in server.cpp)

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::emulator
