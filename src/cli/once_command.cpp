#include "commands.hpp"
#include "compose.hpp"
#include "logging.hpp"
#include "lpda/api/data_access_client.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"
#include "lpda/sync/store_worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <variant>

namespace lpda::cli {
namespace asio = boost::asio;
namespace {

// One account's collaborators for a poll, built from its config.
struct account_runtime {
  std::unique_ptr<http::auth_strategy> auth;
  std::unique_ptr<api::data_access_client> client;
  sync::account_settings settings;
  std::vector<sync::poll_report> reports;
  std::optional<std::string> crash;  // an exception that escaped the poll (a bug)
};

std::unique_ptr<http::auth_strategy> make_auth(http::client& http, const config::account& a) {
  if (const auto* o1 = std::get_if<config::oauth1_credentials>(&a.auth)) {
    return std::make_unique<http::oauth1_auth>(http::oauth1_signer(http::oauth1_credentials{
        o1->app_key, o1->app_secret, o1->access_token, o1->access_token_secret}));
  }
  const auto& o2 = std::get<config::oauth2_credentials>(a.auth);
  http::oauth2_settings s;
  s.token_url = o2.token_url;
  s.client_id = o2.client_id;
  s.client_secret = o2.client_secret;
  s.scope = o2.scope.value_or("");
  return std::make_unique<http::oauth2_client_credentials>(http, std::move(s));
}

asio::awaitable<void> poll_one(account_runtime* rt, sync::store_worker* store) {
  rt->reports = co_await sync::poll_account(*rt->client, *store, rt->settings, system_now_ms);
}

bool temporary(const lpda::error& e) {
  return e.code == make_error_code(errc::network) || e.code == make_error_code(errc::timeout) ||
         e.code == make_error_code(errc::throttled) ||
         e.code == make_error_code(errc::server_error) ||
         e.code == make_error_code(errc::store_busy);
}

void log_report(const sync::poll_report& r) {
  const auto wm = r.watermark_after ? format_iso8601_ms(*r.watermark_after) : std::string("none");
  const auto msg = fmt::format(
      "account={} data_type={}: {} files listed, {} already stored, {} stored ({} events, {} new, "
      "{} bytes), {} failed, {} quarantined; watermark {}",
      r.account_id, r.data_type, r.files_listed, r.files_skipped, r.files_done, r.events_read,
      r.events_inserted, r.bytes_downloaded, r.files_failed, r.files_quarantined, wm);
  if (r.ok()) spdlog::info("{}", msg);
  else spdlog::warn("{}{}", msg, r.error ? "; poll stopped: " + r.error->what() : std::string());
}

}  // namespace

int run_once(const std::string& config_path) {
  config::config cfg;
  try {
    cfg = config::load_file(config_path);
  } catch (const config::config_error& e) {
    std::cerr << e.what() << '\n';
    return exit_config;
  }
  setup_logging(cfg.log);

  std::optional<sync::store_worker> store;
  try {
    store.emplace(store::database::open(store_settings_of(cfg)));
  } catch (const error_exception& e) {
    spdlog::error("database {}: {}", cfg.database, e.what());
    return e.err().code == make_error_code(errc::store_busy) ? exit_temp_fail : exit_partial;
  }

  asio::io_context io;
  std::unique_ptr<http::client> http;
  try {
    http = std::make_unique<http::client>(io.get_executor(), client_settings_of(cfg),
                                          retry_settings_of(cfg));
  } catch (const error_exception& e) {
    spdlog::error("HTTP client: {}", e.what());
    return exit_config;
  }

  const std::int64_t now = system_now_ms();
  std::vector<std::unique_ptr<account_runtime>> runtimes;
  for (const auto& a : cfg.accounts) {
    if (!a.enabled) continue;
    auto rt = std::make_unique<account_runtime>();
    rt->auth = make_auth(*http, a);
    api::account_endpoint ep;
    ep.base_url = config::effective_base_url(a);
    ep.account_id = a.id;
    ep.allowed_hosts = config::effective_allowed_hosts(a);
    rt->client = std::make_unique<api::data_access_client>(*http, *rt->auth, std::move(ep));
    rt->settings = account_settings_of(cfg, a, now);
    runtimes.push_back(std::move(rt));
  }

  for (auto& rt : runtimes) {
    account_runtime* p = rt.get();
    asio::co_spawn(io, poll_one(p, &*store), [p](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        p->crash = ex.what();
      }
    });
  }
  io.run();
  store->join();

  bool any_failure = false;
  bool only_temporary = true;
  for (const auto& rt : runtimes) {
    if (rt->crash) {
      spdlog::error("account={}: poll aborted: {}", rt->settings.account_id, *rt->crash);
      any_failure = true;
      only_temporary = false;
    }
    for (const auto& r : rt->reports) {
      log_report(r);
      if (r.ok()) continue;
      any_failure = true;
      if (!r.error || !temporary(*r.error) || r.files_failed || r.files_quarantined)
        only_temporary = false;
    }
  }
  if (!any_failure) return exit_ok;
  return only_temporary ? exit_temp_fail : exit_partial;
}

}  // namespace lpda::cli
