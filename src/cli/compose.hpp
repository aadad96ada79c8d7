#pragma once
// The composition root's mapping from the whole config to each component's own settings: only
// the cli module sees the whole `config::config`; every component gets its part.
#include "lpda/config/config.hpp"
#include "lpda/http/settings.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"

#include <filesystem>

namespace lpda::cli {

store::settings store_settings_of(const config::config& c);
http::client_settings client_settings_of(const config::config& c);
http::retry_settings retry_settings_of(const config::config& c);
/// The account's poll settings; `now_ms` resolves a relative `initial_start`.
sync::account_settings account_settings_of(const config::config& c, const config::account& a,
                                           std::int64_t now_ms);
/// Where downloads are spooled: "<database>.spool" beside the database (same file system, and
/// writable wherever the database is, e.g. systemd's StateDirectory).
std::filesystem::path spool_dir_of(const config::config& c);

}  // namespace lpda::cli
