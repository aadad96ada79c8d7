// `lpda-sync migrate`: the store's pending migrations by hand, e.g. before starting an upgraded
// daemon on a database of gigabytes, so a long migration does not run inside the service's start.
#include "commands.hpp"
#include "compose.hpp"
#include "database_lock.hpp"
#include "logging.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/sqlite/database.hpp"
#include "migration_progress.hpp"

#include <spdlog/fmt/fmt.h>

#include <filesystem>
#include <iostream>
#include <vector>

namespace lpda::cli {
namespace {

// A migration that could not run: 78 when a person must act (a database from a newer lpda-sync,
// a bad setting), 75 for what may clear by itself or by freeing space (locked, full, I/O).
int exit_code_for_migration(const error& e) {
  const auto* kind = traits_of(e.code);
  if (kind == nullptr) return exit_partial;
  if (kind->exit_code == exit_config) return exit_config;
  if (kind->scope == failure_scope::poll) return exit_temp_fail;
  return exit_partial;
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

int dry_run(const config::config& cfg, std::ostream& out, std::ostream& err) {
  auto pending = sqlite::pending_migrations(cfg.database, sqlite_data_types());
  if (!pending) {
    err << "lpda-sync migrate: " << pending.error().what() << '\n';
    return exit_code_for_migration(pending.error());
  }
  if (pending->empty()) {
    out << "database " << cfg.database << ": up to date\n";
    return exit_ok;
  }
  const auto dir = std::filesystem::absolute(cfg.database).parent_path();
  const auto free = sqlite::free_disk_bytes(dir);
  out << "database " << cfg.database
      << (std::filesystem::exists(cfg.database) ? "" : " (not created yet)") << ": "
      << pending->size() << " pending migration(s)";
  if (free) out << "; " << *free << " bytes (" << gib(*free) << ") free in " << dir.string();
  out << '\n';
  for (const auto& m : *pending) {
    out << "  " << migration_label(m.component, m.number, m.description);
    if (m.bytes_needed > 0)
      out << ": needs about " << m.bytes_needed << " bytes (" << gib(m.bytes_needed)
          << ") of free disk" << (free && *free < m.bytes_needed ? ", MORE THAN IS FREE" : "");
    out << '\n';
  }
  return exit_ok;
}

}  // namespace

int run_migrate(const migrate_options& opts, std::ostream& out, std::ostream& err) {
  config::config cfg;
  if (auto rc = load_config_without_secrets(opts.config_path, cfg, err)) return *rc;
  setup_logging(cfg.log);
  const auto dir = std::filesystem::path(cfg.database).parent_path();
  std::error_code dir_ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, dir_ec)) {
    err << "lpda-sync migrate: the directory " << dir.string() << " of " << cfg.database
        << " does not exist (create it, or fix `database` in " << cfg.source.string() << ")\n";
    return exit_config;
  }
  if (opts.dry_run) return dry_run(cfg, out, err);

  // The daemon migrates at its start and then writes; one migrating process per database.
  auto lock = database_lock::acquire(cfg.lock_file, cfg.database, "migrate");
  if (!lock) {
    err << "lpda-sync migrate: " << lock.error().what() << '\n';
    return database_lock::exit_code_for(lock.error());
  }
  struct applied {
    std::string label;
    double seconds;
  };
  std::vector<applied> done;
  auto s = store_settings_of(cfg);
  s.on_migration = [report = migration_reporter(process_migration_sinks()),
                    &done](const sqlite::migration_event& e) {
    report(e);
    if (e.what == sqlite::migration_event::kind::finished && !e.applied_elsewhere)
      done.push_back({migration_label(e.component, e.number, e.description),
                      static_cast<double>(e.elapsed.count()) / 1000.0});
  };
  try {
    auto db = sqlite::database::open(s, sqlite_data_types());
  } catch (const error_exception& e) {
    err << "lpda-sync migrate: " << e.what() << '\n';
    for (const auto& a : done) err << "  applied before: " << a.label << '\n';
    return exit_code_for_migration(e.err());
  }
  if (done.empty()) {
    out << "database " << cfg.database << ": up to date\n";
    return exit_ok;
  }
  out << "database " << cfg.database << ": applied " << done.size() << " migration(s)\n";
  for (const auto& a : done)
    out << "  " << a.label << fmt::format(" in {:.1f} s", a.seconds) << '\n';
  return exit_ok;
}

}  // namespace lpda::cli
