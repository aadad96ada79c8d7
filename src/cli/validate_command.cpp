#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"

#include <ostream>

namespace lpda::cli {

int run_validate_config(const std::string& config_path, bool print, bool no_secrets,
                        std::ostream& out, std::ostream& err) {
  try {
    const auto cfg = config::load_file(
        config_path, config::process_environment(),
        no_secrets ? config::secrets::syntax_only : config::secrets::resolve);
    if (print) {
      out << config::to_yaml(cfg);
    } else {
      std::size_t enabled = 0;
      for (const auto& a : cfg.accounts) enabled += a.enabled ? 1 : 0;
      out << config_path << ": valid (" << cfg.accounts.size()
          << (cfg.accounts.size() == 1 ? " account, " : " accounts, ") << enabled
          << " enabled)\n";
    }
    return exit_ok;
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
}

}  // namespace lpda::cli
