#include "report_command.hpp"

#include "lpda/agent_activity/sqlite/availability.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/core/clock.hpp"
#include "lpda/config/units.hpp"
#include "lpda/report/availability.hpp"

#include <optional>
#include <ostream>
#include <tuple>

namespace lpda::cli {

int report_availability(const std::filesystem::path& database,
                        const report_availability_options& opts, std::int64_t now_ms,
                        std::ostream& out, std::ostream& err) {
  const auto format = report::parse_report_format(opts.format);
  if (!format) {
    err << "lpda-sync report availability: --format \"" << opts.format
        << "\": expected table, csv or json\n";
    return exit_usage;
  }
  store::availability_query q;
  q.account_id = opts.account;
  for (auto [text, target, flag] :
       {std::tuple{&opts.from, &q.from_ms, "--from"}, std::tuple{&opts.to, &q.to_ms, "--to"}}) {
    if (!*text) continue;
    auto t = config::parse_time_argument(**text, now_ms);
    if (!t) {
      err << "lpda-sync report availability: " << flag << ": " << t.error().what() << '\n';
      return exit_usage;
    }
    *target = *t;
  }
  // A database from a newer lpda-sync is refused as the other commands refuse it, with exit 78:
  // a person must pick another binary or file, and a retry would not help.
  auto reader = agent_activity::sqlite::open_availability_reader(database);
  if (!reader) {
    err << "lpda-sync report availability: " << reader.error().what() << '\n';
    const auto code = reader.error().code;
    return input_exit_code(code, exit_partial);
  }
  auto rows = (*reader)->availability(q);
  if (!rows) {
    err << "lpda-sync report availability: " << rows.error().what() << '\n';
    return exit_partial;
  }
  report::write_availability(out, *rows, *format);
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
