#include "report_command.hpp"

#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/core/clock.hpp"
#include "lpda/daemon/availability_report.hpp"
#include "lpda/store/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <ostream>
#include <system_error>
#include <tuple>

namespace lpda::cli {
namespace {

// `PRAGMA user_version` of an existing database file, read without writing anything (a report
// may run as a user who can only read the file). nullopt when the file is missing or cannot be
// read: the report's own query then says why.
std::optional<int> schema_version_of(const std::filesystem::path& database) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(database, ec)) return std::nullopt;
  try {
    SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    return db.execAndGet("PRAGMA user_version").getInt();
  } catch (const SQLite::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

int report_availability(const std::filesystem::path& database,
                        const report_availability_options& opts, std::int64_t now_ms,
                        std::ostream& out, std::ostream& err) {
  const auto format = daemon::parse_report_format(opts.format);
  if (!format) {
    err << "lpda-sync report availability: --format \"" << opts.format
        << "\": expected table, csv or json\n";
    return exit_usage;
  }
  daemon::availability_query q;
  q.account_id = opts.account;
  for (auto [text, target, flag] :
       {std::tuple{&opts.from, &q.from_ms, "--from"}, std::tuple{&opts.to, &q.to_ms, "--to"}}) {
    if (!*text) continue;
    auto t = daemon::parse_time_argument(**text, now_ms);
    if (!t) {
      err << "lpda-sync report availability: " << flag << ": " << t.error().what() << '\n';
      return exit_usage;
    }
    *target = *t;
  }
  // The other commands refuse a database from a newer lpda-sync when the store opens it; the
  // report reads the views directly, so it checks the same thing first. Exit 78 as they do: a
  // person must pick another binary or file, and a retry would not help.
  if (const auto version = schema_version_of(database);
      version && *version > store::latest_schema_version()) {
    err << "lpda-sync report availability: " << database.string() << ": database schema version "
        << *version << " is newer than this lpda-sync knows (" << store::latest_schema_version()
        << "); use a newer lpda-sync or another database file\n";
    return exit_config;
  }
  auto rows = daemon::query_availability(database, q);
  if (!rows) {
    err << "lpda-sync report availability: " << rows.error().what() << '\n';
    return rows.error().code == make_error_code(errc::unreadable) ? exit_no_input : exit_partial;
  }
  daemon::write_availability(out, *rows, *format);
  out.flush();
  return out ? exit_ok : exit_partial;
}

int run_report_availability(const std::string& config_path, const report_availability_options& opts,
                            std::ostream& out, std::ostream& err) {
  config::config cfg;
  try {
    cfg =
        config::load_file(config_path, config::process_environment(), config::secrets::syntax_only);
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
  if (opts.account) {
    // Still reported: the database may hold an account a newer config no longer lists.
    bool known = false;
    for (const auto& a : cfg.accounts) known = known || a.id == *opts.account;
    if (!known)
      err << "lpda-sync report availability: account " << *opts.account << " is not in "
          << config_path << "; reporting what the database holds for it\n";
  }
  return report_availability(cfg.database, opts, system_now_ms(), out, err);
}

}  // namespace lpda::cli
