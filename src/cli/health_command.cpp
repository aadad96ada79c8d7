#include "commands.hpp"
#include "database_lock.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/endpoint/health_probe.hpp"

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
  // A running daemon says in its lock file which address it serves: a reload that could not
  // bind a new `listen` keeps the old one, and the file's address may then be another service.
  std::string listen = cfg.listen;
  const auto daemon = database_lock::holder(cfg.lock_file);
  if (daemon.held && daemon.listen && *daemon.listen != cfg.listen) {
    std::cerr << "lpda-sync health: the running daemon serves "
              << (daemon.listen->empty() ? std::string("no endpoint") : "on " + *daemon.listen)
              << ", not on the config's listen " << (cfg.listen.empty() ? "\"\"" : cfg.listen)
              << " (a reload could not apply it; its log says why)\n";
    listen = *daemon.listen;
  }
  if (listen.empty()) {
    std::cerr << "lpda-sync health: no endpoint configured (listen is \"\")\n";
    return exit_partial;
  }
  const auto r = endpoint::check_health(listen, std::chrono::seconds(3));
  std::cerr << "lpda-sync health: http://" << listen << "/healthz "
            << (r ? std::string("ok") : "failed: " + std::string(r.error().what())) << '\n';
  return r ? exit_ok : exit_partial;
}

}  // namespace lpda::cli
