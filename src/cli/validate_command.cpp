#include "commands.hpp"
#include "compose.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"

#include <ostream>
#include <variant>

namespace lpda::cli {

int run_validate_config(const std::string& config_path, bool print, bool no_secrets,
                        std::ostream& out, std::ostream& err) {
  try {
    const auto cfg =
        config::load_file(config_path, config::process_environment(),
                          no_secrets ? config::secrets::syntax_only : config::secrets::resolve);
    if (print) {
      out << config::to_yaml(effective_config(cfg));
      // How each OAuth 2.0 token URL will be found, as YAML comments so the output still loads.
      for (const auto& a : cfg.accounts)
        if (const auto* o2 = std::get_if<config::oauth2_credentials>(&a.auth))
          out << "# account " << a.id << ": OAuth 2.0 token URL: "
              << http::describe_token_source(oauth2_settings_of(a, *o2)) << '\n';
    } else {
      std::size_t enabled = 0;
      for (const auto& a : cfg.accounts) enabled += a.enabled ? 1 : 0;
      out << config_path << ": valid (" << cfg.accounts.size()
          << (cfg.accounts.size() == 1 ? " account, " : " accounts, ") << enabled << " enabled)\n";
    }
    return exit_ok;
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
}

}  // namespace lpda::cli
