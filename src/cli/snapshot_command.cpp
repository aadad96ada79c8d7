#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/core/paths.hpp"
#include "lpda/sqlite/database.hpp"

#include <ostream>
#include <string>

namespace lpda::cli {

int run_snapshot(const std::string& config_path, const std::string& target, std::ostream& out,
                 std::ostream& err) {
  config::config cfg;
  if (auto rc = load_config_without_secrets(config_path, cfg, err)) return *rc;
  // The copy replaces FILE: never the database, a file SQLite keeps beside it, the lock or the
  // config (a live database overwritten under the daemon is corrupted).
  for (const std::string& taken : {cfg.database, cfg.database + "-wal", cfg.database + "-shm",
                                   cfg.database + "-journal", cfg.lock_file, config_path}) {
    if (!taken.empty() && same_path(taken, target)) {
      err << "lpda-sync snapshot: " << target << " is " << taken
          << ", a file lpda-sync uses; write the snapshot to a path of its own\n";
      return exit_usage;
    }
  }
  auto bytes = sqlite::snapshot(cfg.database, target);
  if (!bytes) {
    err << "lpda-sync snapshot: " << bytes.error().what() << '\n';
    return input_exit_code(bytes.error().code, exit_partial);
  }
  out << "snapshot of " << cfg.database << " written to " << target << " (" << *bytes
      << " bytes)\n";
  return exit_ok;
}

}  // namespace lpda::cli
