#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/metrics/health.hpp"

#include <iostream>
#include <string>

namespace lpda::cli {

int run_health(const std::string& config_path) {
  config::config cfg;
  try {
    cfg =
        config::load_file(config_path, config::process_environment(), config::secrets::syntax_only);
  } catch (const config::config_error& e) {
    std::cerr << e.what() << '\n';
    return exit_partial;  // a health check answers 0 or 1 only
  }
  if (cfg.listen.empty()) {
    std::cerr << "lpda-sync health: no endpoint configured (listen is \"\")\n";
    return exit_partial;
  }
  const auto r = metrics::check_health(cfg.listen, std::chrono::seconds(3));
  std::cerr << "lpda-sync health: http://" << cfg.listen << "/healthz "
            << (r ? std::string("ok") : "failed: " + std::string(r.error().what())) << '\n';
  return r ? exit_ok : exit_partial;
}

}  // namespace lpda::cli
