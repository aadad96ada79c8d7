#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/metrics/health.hpp"

#include <exception>
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
  // As metrics::check_health, but saying why a check failed (no daemon, wrong port, not ready).
  std::string why;
  try {
    const auto r = metrics::probe(cfg.listen, "/healthz", std::chrono::seconds(3));
    if (!r)
      why = r.error().what();
    else if (r->status != 200)
      why = "HTTP " + std::to_string(r->status);
  } catch (const std::exception& e) {
    why = e.what();
  }
  std::cerr << "lpda-sync health: http://" << cfg.listen << "/healthz "
            << (why.empty() ? "ok" : "failed: " + why) << '\n';
  return why.empty() ? exit_ok : exit_partial;
}

}  // namespace lpda::cli
