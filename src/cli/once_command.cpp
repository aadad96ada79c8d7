#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "sync_context.hpp"

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace lpda::cli {
namespace asio = boost::asio;
namespace {

struct poll_slot {
  account_runtime* rt = nullptr;
  std::vector<sync::poll_report> reports;
  std::optional<std::string> crash;  // an exception that escaped the poll (a bug)
};

asio::awaitable<void> poll_one(poll_slot* slot, sync::store_worker* store) {
  slot->reports =
      co_await sync::poll_account(*slot->rt->client, *store, slot->rt->settings, system_now_ms);
}

}  // namespace

int poll_accounts_once(sync_context& ctx) {
  std::vector<poll_slot> slots;
  for (auto& rt : ctx.accounts()) slots.push_back({rt.get(), {}, {}});
  for (auto& slot : slots) {
    poll_slot* p = &slot;
    asio::co_spawn(ctx.io(), poll_one(p, &ctx.store()), [p](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        p->crash = ex.what();
      }
    });
  }
  ctx.io().run();
  ctx.io().restart();
  ctx.shutdown();

  std::vector<sync::poll_report> all;
  bool crash = false;
  for (const auto& slot : slots) {
    if (slot.crash) {
      spdlog::error("account={}: poll aborted: {}", slot.rt->settings.account_id, *slot.crash);
      crash = true;
    }
    for (const auto& r : slot.reports) {
      log_report(r);
      all.push_back(r);
    }
  }
  return exit_code_for(all, crash);
}

int run_once(const std::string& config_path) {
  config::config cfg;
  if (auto rc = load_config(config_path, cfg)) return *rc;
  int rc = exit_ok;
  auto ctx = sync_context::open(cfg, rc);
  if (!ctx) return rc;
  ctx->add_accounts(std::nullopt);
  return poll_accounts_once(*ctx);
}

}  // namespace lpda::cli
