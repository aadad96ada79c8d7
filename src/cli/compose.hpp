#pragma once
// The composition root's mapping from the whole config to each component's own settings: only
// the cli module sees the whole `config::config`; every component gets its part. For `store:`,
// `client:`, `retry:` and `decode:` the config holds only what the file set; each `*_of` applies
// that over the component's own settings struct, whose defaults are the only defaults.
#include "lpda/api/endpoint.hpp"
#include "lpda/config/config.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/settings.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lpda::cli {

/// The SQLite store's settings from `database` and `store:`.
sqlite::settings store_settings_of(const config::config& c);
/// The per-data-type parts of the SQLite store: one per data type this build syncs.
std::vector<sqlite::data_type_store> sqlite_data_types();
/// Opens (creating and migrating) the config's store with every data type's writer, showing each
/// migration's progress (log lines or a terminal line, and EXTEND_TIMEOUT_USEC under systemd:
/// migration_progress.hpp). Throws `lpda::error_exception` as `sqlite::database::open` does.
std::unique_ptr<store::database> open_store(const config::config& c);
/// The HTTP client's settings: `client:` over `http::client_settings`' defaults.
http::client_settings client_settings_of(const config::config& c);
/// The retry policy: `retry:` over `http::retry_settings`' defaults.
http::retry_settings retry_settings_of(const config::config& c);
/// The decoding limits: `decode:` over `decode::limits`' defaults.
decode::limits decode_limits_of(const config::config& c);
/// `client.clock_skew_warning`, else `sync::account_settings`' default.
std::chrono::milliseconds clock_skew_warning_of(const config::config& c);
/// `c` with every key of `store:`, `client:`, `retry:` and `decode:` set to the value in effect
/// (the file's, else the owning module's default): what `validate-config --print` writes.
config::config effective_config(config::config c);
/// The account's poll settings; `now_ms` resolves a relative `initial_start`.
sync::account_settings account_settings_of(const config::config& c, const config::account& a,
                                           std::int64_t now_ms);
/// The OAuth 2.0 settings of an account with `auth.oauth2` (cache and observer left empty).
http::oauth2_settings oauth2_settings_of(const config::account& a,
                                         const config::oauth2_credentials& o2);
/// The account's Data Access endpoint (base URL, id, allowed hosts).
api::account_endpoint endpoint_of(const config::account& a);
/// The account's auth strategy: OAuth 1.0a signing, or OAuth 2.0 client credentials through
/// `http` sharing `cache` (may be null), with `on_token_fetch` (may be empty) told how each token
/// fetch ended.
std::unique_ptr<http::auth_strategy> make_auth(
    http::client& http, const config::account& a, http::csds_cache* cache,
    std::function<void(const std::string&, http::token_fetch_result)> on_token_fetch);
/// Where downloads are spooled: "<database>.spool" beside the database (same file system, and
/// writable wherever the database is, e.g. systemd's StateDirectory).
std::filesystem::path spool_dir_of(const config::config& c);

}  // namespace lpda::cli
