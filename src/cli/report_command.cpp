#include "report_command.hpp"

#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/core/clock.hpp"
#include "lpda/daemon/availability_report.hpp"

#include <ostream>
#include <tuple>

namespace lpda::cli {

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
    cfg = config::load_file(config_path, config::process_environment(), config::secrets::syntax_only);
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
  return report_availability(cfg.database, opts, system_now_ms(), out, err);
}

}  // namespace lpda::cli
