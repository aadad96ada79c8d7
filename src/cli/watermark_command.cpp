#include "commands.hpp"
#include "compose.hpp"
#include "database_lock.hpp"
#include "logging.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/config/units.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/window.hpp"

#include <iostream>

namespace lpda::cli {

int run_reset_watermark(const watermark_options& opts) {
  if (opts.clear == !opts.to.empty()) {
    std::cerr << "lpda-sync reset-watermark: give exactly one of --to T and --clear\n";
    return exit_usage;
  }
  config::config cfg;
  if (auto rc = load_config_without_secrets(opts.config_path, cfg, std::cerr)) return *rc;
  setup_logging(cfg.log);  // a migration at open logs its progress on stderr
  const std::int64_t now = system_now_ms();
  std::optional<std::int64_t> to;
  if (!opts.clear) {
    auto t = config::parse_time_argument(opts.to, now);
    if (!t) {
      std::cerr << "lpda-sync reset-watermark: --to: " << t.error().what() << '\n';
      return exit_usage;
    }
    to = *t;
    if (*to > now) {
      std::cerr << "lpda-sync reset-watermark: --to " << format_iso8601_ms(*to)
                << " is in the future; polls would list nothing until then\n";
      return exit_usage;
    }
    // Accepted (a person may mean it), but no poll lists further back than the retention.
    if (*to < now - sync::retention_ms)
      std::cerr << "lpda-sync reset-watermark: warning: --to " << format_iso8601_ms(*to)
                << " is more than 29 days back; polls start at most 29 days back (from "
                << format_iso8601_ms(now - sync::retention_ms)
                << " now), because the Data Access API keeps files for 30 days\n";
  }
  bool known = false;
  for (const auto& a : cfg.accounts) known = known || a.id == opts.account;
  if (!known) {
    std::cerr << "lpda-sync reset-watermark: account " << opts.account << " is not in "
              << opts.config_path << '\n';
    return exit_usage;
  }
  // A running daemon would move the watermark again at the end of its poll in flight, so the
  // reset takes the daemon's lock for its write, and a daemon holding it refuses the reset.
  auto lock = database_lock::acquire(cfg.lock_file, cfg.database, "reset-watermark");
  if (!lock) {
    std::cerr << "lpda-sync reset-watermark: " << lock.error().what() << '\n';
    return database_lock::exit_code_for(lock.error());
  }
  try {
    auto db = open_store(cfg);
    auto r = db->reset_watermark(opts.account, opts.data_type, to, now);
    if (!r) {
      std::cerr << "lpda-sync reset-watermark: " << r.error().what() << '\n';
      return exit_code_for_store_error(r.error());
    }
  } catch (const error_exception& e) {
    std::cerr << "lpda-sync reset-watermark: " << cfg.database << ": " << e.what() << '\n';
    return exit_code_for_store_error(e.err());
  }
  std::cout << "account " << opts.account << " " << opts.data_type << ": watermark "
            << (to ? "set to " + format_iso8601_ms(*to)
                   : std::string("cleared (next poll starts at "
                                 "initial_start)"))
            << '\n';
  return exit_ok;
}

}  // namespace lpda::cli
