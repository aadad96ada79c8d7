#include "commands.hpp"
#include "compose.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "sync_context.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace lpda::cli {

int run_retry_failed(const retry_options& opts) {
  config::config cfg;
  if (auto rc = load_config(opts.config_path, cfg)) return *rc;
  int rc = exit_ok;
  auto ctx = sync_context::open(cfg, rc);
  if (!ctx) return rc;
  std::optional<std::string_view> account;
  if (opts.account) {
    bool known = false;
    for (const auto& a : cfg.accounts) known = known || a.id == *opts.account;
    if (!known) {
      std::cerr << "lpda-sync retry-failed: account " << *opts.account << " is not in "
                << opts.config_path << '\n';
      return exit_usage;
    }
    account = *opts.account;
  }
  auto& db = ctx->store().database_unsafe();  // nothing else runs yet
  auto quarantined = db.list_files(account, store::file_status::quarantined);
  if (!quarantined) {
    spdlog::error("{}", quarantined.error().what());
    return exit_code_for_store_error(quarantined.error());
  }
  for (const auto& f : *quarantined)
    spdlog::info("account={} data_type={} file={}: back to pending (was quarantined: {})",
                 f.account_id, f.data_type, f.key, f.last_error.value_or("?"));
  auto reset = db.reset_quarantined(account, system_now_ms());
  if (!reset) {
    spdlog::error("{}", reset.error().what());
    return exit_code_for_store_error(reset.error());
  }
  std::cout << *reset << " quarantined file(s) reset; "
            << (opts.now ? "fetching them now" : "the next poll fetches them") << '\n';
  if (!opts.now) return exit_ok;
  // A poll fetches pending files from the ledger's href, wherever the window is.
  if (!ctx->add_accounts(opts.account)) return exit_usage;
  return poll_accounts_once(*ctx);
}

}  // namespace lpda::cli
