#pragma once
/// lpda-sync's configuration: the YAML file users edit (see config/lpda-sync.example.yaml and
/// docs/configuration.md), loaded into plain structs with every default filled in.
///
/// Loading validates everything at once — unknown keys at every level, wrong types, bad
/// durations/sizes/enums, out-of-range numbers, duplicate account ids, missing secrets — and
/// throws one `config_error` listing every problem as "FILE:LINE:COLUMN: PATH: message".
/// Only `main` sees the whole `config`; each component receives its own part.
#include "lpda/core/enum_names.hpp"
#include "lpda/core/oauth1_credentials.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lpda::config {

/// Where `${NAME}` references in secrets are looked up. Injected so tests never call setenv.
class environment {
 public:
  /// Returns the variable's value, or nullopt when it is unset.
  using lookup_fn = std::function<std::optional<std::string>(const std::string& name)>;

  explicit environment(lookup_fn lookup) : lookup_(std::move(lookup)) {}

  /// An environment holding exactly the given variables.
  static environment from_map(std::map<std::string, std::string> vars);

  /// The variable's value, or nullopt when it is unset.
  std::optional<std::string> get(const std::string& name) const { return lookup_(name); }

 private:
  lookup_fn lookup_;
};

/// Whether loading reads credentials (see `load_file`). `resolve_without_database` reads them
/// but leaves the database's directory unchecked, for `check`, which never opens the database
/// and must work before systemd first creates the service's StateDirectory.
enum class secrets { resolve, syntax_only, resolve_without_database };

/// The process environment (getenv).
const environment& process_environment();

/// Log verbosity, lowest first.
enum class log_level { trace, debug, info, warn, error, off };

/// Log line format: human text or one JSON object per line.
enum class log_format { text, json };

/// "trace".."off", "text"/"json": the YAML spellings.
inline constexpr auto log_level_names = make_enum_names<log_level>({{log_level::trace, "trace"},
                                                                    {log_level::debug, "debug"},
                                                                    {log_level::info, "info"},
                                                                    {log_level::warn, "warn"},
                                                                    {log_level::error, "error"},
                                                                    {log_level::off, "off"}});
inline constexpr auto log_format_names =
    make_enum_names<log_format>({{log_format::text, "text"}, {log_format::json, "json"}});
std::string_view to_string(log_level l);
std::string_view to_string(log_format f);

/// An instant given in the config file as an ISO 8601 date/date-time, as epoch ms (UTC).
struct absolute_time {
  std::int64_t epoch_ms = 0;
  bool operator==(const absolute_time&) const = default;
};

/// Where a new account's first poll starts: a duration before "now" (e.g. 7d) or an instant.
using start_point = std::variant<std::chrono::milliseconds, absolute_time>;

/// The start of the first window as epoch ms, given the current time `now_ms` (epoch ms).
std::int64_t resolve_start(const start_point& s, std::int64_t now_ms);

/// OAuth 1.0a credentials: app_key, app_secret, access_token, access_token_secret
/// (`lpda::oauth1_credentials`, the type the HTTP client signs with).
using oauth1_credentials = lpda::oauth1_credentials;

/// Where the client id and secret go in the token request: form fields or HTTP Basic.
enum class client_auth { body, basic };

/// How the token endpoint's host is found when no `token_url` is given: LivePerson's Domain API
/// (CSDS, service `sentinel`), the account's region (`va.`/`lo.`/`sy.sentinel.liveperson.net`),
/// or a host named in the config.
enum class token_host_kind { csds, region, host };

/// "body"/"basic", "csds"/"region"/"host": the YAML spellings (a named host is written as itself).
inline constexpr auto client_auth_names =
    make_enum_names<client_auth>({{client_auth::body, "body"}, {client_auth::basic, "basic"}});
inline constexpr auto token_host_kind_names =
    make_enum_names<token_host_kind>({{token_host_kind::csds, "csds"},
                                      {token_host_kind::region, "region"},
                                      {token_host_kind::host, "host"}});
std::string_view to_string(client_auth a);
std::string_view to_string(token_host_kind k);

/// OAuth 2.0 client-credentials grant (RFC 6749 §4.4) the way LivePerson issues it
/// (https://developers.liveperson.com/oauth-2-0-client-credentials.html): with only `client_id`
/// and `client_secret`, the token is fetched from
/// `https://{sentinel}/sentinel/api/v2/account/{id}/app/token?v=2.0` with the credentials in the
/// form body, the sentinel host coming from the Domain API at `csds_url`. An explicit
/// `token_url` replaces all of that (and defaults to HTTP Basic, as before).
struct oauth2_credentials {
  std::string client_id, client_secret;
  std::string token_url;  ///< "" = derived from token_host
  std::optional<std::string> scope;
  token_host_kind token_host = token_host_kind::csds;
  std::string token_host_name;                          ///< with token_host_kind::host: host[:port]
  std::string csds_url = "https://api.liveperson.net";  ///< no trailing slash
  client_auth auth = client_auth::body;  ///< default: body when derived, basic with token_url
  bool operator==(const oauth2_credentials&) const = default;
};

/// One LivePerson account to keep in step.
struct account {
  std::string id;  ///< the account (site) id exactly as written, e.g. "012345" stays "012345"
  bool enabled = true;
  std::optional<std::string> region;    ///< us | uk | apac
  std::optional<std::string> domain;    ///< a host name, overrides region
  std::optional<std::string> base_url;  ///< "http(s)://host[:port]", no path; overrides both
  /// Hosts that may receive credentials; empty: the API client's default, the account's own
  /// host and "*.da.liveperson.net" (`api::default_allowed_hosts`).
  std::vector<std::string> allowed_hosts;
  std::variant<oauth1_credentials, oauth2_credentials> auth;
  std::chrono::milliseconds poll_interval{}, overlap{}, max_window{};
  start_point initial_start;
  int quarantine_after = 0;  ///< failed polls before a file is quarantined (≥ 1)
  std::chrono::milliseconds backoff_max{};
  std::vector<std::string> data_types;  ///< each one of `datatypes::known_names()` (the registry)
  /// How each credential was written, by key ("app_key", …, "client_secret"): "file:<path>"
  /// for `<key>_file`, "env:<NAME>" for "${NAME}", "inline" for a literal; `to_yaml` shows the
  /// first two as written and only redacts literals.
  std::map<std::string, std::string> credential_origins;
  bool operator==(const account&) const = default;
};

/// The Data Access base URL of an account: `base_url` if set, else "https://" + domain, else
/// the region's host — us → va.da.liveperson.net, uk → lo.da.liveperson.net,
/// apac → sy.da.liveperson.net (https://developers.liveperson.com/data-access-api-overview.html).
std::string effective_base_url(const account& a);

/// `store:` as the file sets it. Each key is nullopt when the file leaves it out: the store's own
/// settings (`sqlite::settings`) hold the defaults, and the composition root applies these over
/// them (`cli/compose.cpp`).
struct store_settings {
  std::optional<std::string> synchronous;  ///< "normal" or "full" (PRAGMA synchronous)
  std::optional<unsigned> file_mode;       ///< permission bits for a new database file
  bool operator==(const store_settings&) const = default;
};

/// `log:`
struct log_settings {
  log_level level = log_level::info;
  log_format format = log_format::text;
  bool operator==(const log_settings&) const = default;
};

/// `client:` as the file sets it; nullopt: left out. The defaults are those of
/// `http::client_settings` (and `sync::account_settings` for `clock_skew_warning`), applied by
/// the composition root.
struct client_settings {
  std::optional<std::string> ca_file;  ///< PEM bundle; empty: the system store
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<std::chrono::milliseconds> tls_handshake_timeout;
  std::optional<std::chrono::milliseconds> io_timeout;       ///< longest silence within a request
  std::optional<std::chrono::milliseconds> request_timeout;  ///< whole request, body included
  std::optional<int> max_concurrent_downloads;
  std::optional<int> max_per_host;
  std::optional<bool> allow_insecure_http;  ///< plain http to hosts other than loopback
  /// Host and server clocks further apart than this (the server's from its `Date` header) are a
  /// warning in the log and in `status`.
  std::optional<std::chrono::milliseconds> clock_skew_warning;
  bool operator==(const client_settings&) const = default;
};

/// `retry:` as the file sets it — retries within one request (LivePerson's retry policy:
/// https://developers.liveperson.com/retry-policy-recommendations.html); the defaults are
/// `http::retry_settings`'s.
struct retry_settings {
  std::optional<int> max_attempts;  ///< tries per request, the first included (≥ 1)
  /// Wait before retry n (1-based) is delays[min(n, size) - 1]; never empty when set.
  std::optional<std::vector<std::chrono::milliseconds>> delays;
  std::optional<std::chrono::milliseconds> max_retry_after;  ///< cap on an honoured Retry-After
  bool operator==(const retry_settings&) const = default;
};

/// `decode:` as the file sets it — limits against gzip bombs and monster documents; the defaults
/// are `decode::limits`'s.
struct decode_settings {
  std::optional<std::uint64_t> max_inflated_bytes;  ///< per file
  std::optional<std::uint64_t> max_document_bytes;  ///< per JSON document
  std::optional<int> read_ahead_batches;            ///< batches decoded ahead on a thread; 0 = none
  bool operator==(const decode_settings&) const = default;
};

/// `defaults:` — the values accounts fall back to.
struct account_defaults {
  bool enabled = true;
  std::chrono::milliseconds poll_interval{15 * 60'000};
  std::chrono::milliseconds overlap{12 * 3'600'000};
  std::chrono::milliseconds max_window{24 * 3'600'000};
  start_point initial_start{std::chrono::milliseconds{7LL * 24 * 3'600'000}};
  int quarantine_after = 5;
  std::chrono::milliseconds backoff_max{3'600'000};
  std::vector<std::string> data_types{"agentActivity"};
  bool operator==(const account_defaults&) const = default;
};

/// The whole configuration, defaults filled in — except `store`, `client`, `retry` and `decode`,
/// which hold what the file set; their defaults belong to the modules that use them.
struct config {
  std::string database;  ///< SQLite file path (required)
  /// Downloads in flight and quarantined bodies; default `<database>.spool`.
  std::string spool_dir;
  /// The lock that keeps one `lpda-sync run` per database (it names the holder); default
  /// `<database>.lock`.
  std::string lock_file;
  store_settings store;
  log_settings log;
  std::string listen = "127.0.0.1:9464";  ///< "host:port" or "[v6]:port"; "" = no endpoint
  client_settings client;
  retry_settings retry;
  decode_settings decode;
  account_defaults defaults;
  std::vector<account> accounts;  ///< at least one; ids unique
  std::filesystem::path source;   ///< the file (or source name) it was loaded from
  bool operator==(const config&) const = default;
};

/// A host and port split from a `listen` value.
struct host_port {
  std::string host;  ///< without brackets for IPv6
  std::uint16_t port = 0;
  bool operator==(const host_port&) const = default;
};

/// Splits "host:port" / "[v6addr]:port" (port 0–65535); nullopt when malformed.
std::optional<host_port> split_host_port(std::string_view text);

/// One problem found while loading.
struct diagnostic {
  std::string path;     ///< YAML path, e.g. "accounts[1].auth.oauth1.app_key"; "" for the document
  int line = 0;         ///< 1-based; 0 when unknown (e.g. the file could not be read)
  int column = 0;       ///< 1-based; 0 when unknown
  std::string message;  ///< never contains a secret
  bool operator==(const diagnostic&) const = default;
};

/// Thrown by `load_file` / `load_string` with every problem found.
/// `what()` is the diagnostics one per line, each "FILE:LINE:COLUMN: PATH: message" (the
/// "PATH: " part is left out when the path is empty, "LINE:COLUMN:" when the line is unknown).
class config_error : public std::runtime_error {
 public:
  config_error(std::string source, std::vector<diagnostic> diagnostics, bool file_unreadable);

  const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }
  const std::string& source() const noexcept { return source_; }
  /// True when the config file itself is missing or unreadable (the CLI maps this to
  /// "input missing" rather than "bad configuration" if it wishes).
  bool file_unreadable() const noexcept { return file_unreadable_; }

 private:
  std::string source_;
  std::vector<diagnostic> diagnostics_;
  bool file_unreadable_;
};

/// Reads and validates the YAML file at `path`. `${NAME}` secrets come from `env`; `*_file`
/// secrets are read from the named files (relative paths relative to the working directory).
/// Throws `config_error` with all problems (or with `file_unreadable()` set when `path`
/// cannot be read).
///
/// With `secrets::syntax_only` no environment variable or secret file is read: credentials are
/// checked for form only (one of `x` / `x_file`, a well-formed `${NAME}`, a non-empty path) and
/// hold their reference text ("${NAME}", or the file's path). For commands that never talk to the
/// API (status, report, reset-watermark, health), which must work from an operator's shell where
/// systemd credentials do not exist.
config load_file(const std::filesystem::path& path, const environment& env = process_environment(),
                 secrets mode = secrets::resolve);

/// Like `load_file` for YAML text; `source_name` appears in messages and in `config::source`.
config load_string(std::string_view yaml, std::string_view source_name, const environment& env,
                   secrets mode = secrets::resolve);

/// What `to_yaml` writes for a literal credential. Loading refuses it as a credential value
/// (an error naming the key), so printed text used as a config fails at once, not with a 401.
inline constexpr std::string_view redacted_placeholder = "***";

/// The configuration as YAML: every key the file set, and every default of the sections whose
/// defaults live here (`validate-config --print` first fills `store`, `client` and `retry` from
/// their modules' defaults, `cli::effective_config`, so it writes every key). Credentials (the four
/// OAuth 1.0a values, client_id and client_secret) are shown as they were written when that is a
/// reference — `<key>_file: path` or "${NAME}" — and as "***" when they were literal values;
/// token_url, token_host, csds_url, client_auth and scope are shown. `load_string(to_yaml(c), ...)`
/// gives `c` again, except for literal credentials (which must be filled in again: "***" is
/// refused) and `source`.
std::string to_yaml(const config& c);

}  // namespace lpda::config
