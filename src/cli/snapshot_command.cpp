#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/sqlite/database.hpp"

#include <ostream>

namespace lpda::cli {

int run_snapshot(const std::string& config_path, const std::string& target, std::ostream& out,
                 std::ostream& err) {
  config::config cfg;
  if (auto rc = load_config_without_secrets(config_path, cfg, err)) return *rc;
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
