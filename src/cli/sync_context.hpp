#pragma once
// What every syncing command (once, backfill, retry-failed --now, run) builds from the config:
// the store worker, the io_context with the HTTP client, and one runtime per enabled account.
#include "lpda/api/data_access_client.hpp"
#include "lpda/config/config.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/observer.hpp"
#include "lpda/sync/account_sync.hpp"
#include "lpda/sync/store_worker.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lpda::cli {

/// One account's collaborators, built from its config.
struct account_runtime {
  config::account account;
  std::unique_ptr<http::auth_strategy> auth;
  std::unique_ptr<api::data_access_client> client;
  sync::account_settings settings;
};

/// Loads the config at `config_path` and sets up logging. Returns the exit code to stop with
/// (78 on a config error, with every problem printed on stderr) or nullopt on success.
std::optional<int> load_config(const std::string& config_path, config::config& out);

/// The store worker, the network io_context and HTTP client, and the account runtimes.
/// Destruction order matters: the store thread is joined (`shutdown`) before the io_context
/// and the coroutines it owns go away.
class sync_context {
 public:
  /// Opens the database and builds the client. Returns nullopt and logs on failure, with the
  /// exit code in `exit_code`.
  static std::unique_ptr<sync_context> open(const config::config& cfg, int& exit_code);
  ~sync_context();

  /// Builds runtimes for the enabled accounts (all of them, or only `only_account`).
  /// Returns false (and logs) when `only_account` names no configured account.
  bool add_accounts(const std::optional<std::string>& only_account);
  /// Builds the runtime of one account (enabled or not).
  std::unique_ptr<account_runtime> make_runtime(const config::account& a);

  /// Waits for queued store work and stops the store thread.
  void shutdown();

  const config::config& cfg() const { return cfg_; }
  /// Replaces the config used for new account runtimes (a reload). The database, the HTTP
  /// client's settings and the spool stay as opened.
  void set_config(const config::config& c) { cfg_ = c; }
  boost::asio::io_context& io() { return io_; }
  sync::store_worker& store() { return *store_; }
  http::client& http() { return *http_; }
  std::vector<std::unique_ptr<account_runtime>>& accounts() { return accounts_; }
  /// Called with (account id, how it ended) after every OAuth 2.0 token fetch of the runtimes
  /// built from now on (metrics).
  void set_token_observer(std::function<void(const std::string&, http::token_fetch_result)> f) {
    token_observer_ = std::move(f);
  }

 private:
  explicit sync_context(const config::config& cfg) : cfg_(cfg) {}
  config::config cfg_;
  std::optional<sync::store_worker> store_;
  boost::asio::io_context io_;
  std::unique_ptr<http::client> http_;
  std::vector<std::unique_ptr<account_runtime>> accounts_;
  http::csds_cache csds_;  // the Domain API's answers, kept across reloads
  std::function<void(const std::string&, http::token_fetch_result)> token_observer_;
};

/// Logs an attempt that will be retried (warn), so a long retry sequence is not silent.
void log_http_attempt(const http::request_event& e);

/// Logs one poll report at info (warn when something failed).
void log_report(const sync::poll_report& r);

/// The exit code for a set of reports: 0 all ok; 78 when credentials or a token were refused
/// (401/403) for some account; else 75 when only temporary failures (network, throttling, 5xx, a
/// busy store) stopped polls; 1 otherwise.
int exit_code_for(const std::vector<sync::poll_report>& reports, bool any_crash);

/// Removes partial downloads left in the spool by a killed process (not the quarantine).
void clean_spool(const std::filesystem::path& spool_dir);

}  // namespace lpda::cli
