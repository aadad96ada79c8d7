#pragma once
// `lpda-sync report availability`: a thin adapter from the command line and the config to
// lpda::report's availability report (lpda/report/availability.hpp).
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace lpda::cli {

/// Options of `report availability`, as typed on the command line.
struct report_availability_options {
  std::optional<std::string> account;  ///< --account ID
  std::optional<std::string>
      from;  ///< --from T: ISO date/date-time with zone, epoch ms, or a duration back from now
  std::optional<std::string> to;  ///< --to T (exclusive), same forms
  std::string format = "table";   ///< --format table|csv|json
};

/// `lpda-sync report availability [--account ID] [--from T] [--to T] [--format F]`: loads the
/// config for the database path, then prints the report on `out`. Exit codes
/// (lpda/cli/exit_codes.hpp): 0 success; 64 bad --from/--to/--format; 66 no database yet;
/// 78 config error, or a database from a newer lpda-sync (its schema version or a component's
/// migration is newer than this build's; read without writing, the file is left unchanged);
/// 1 other database failures. Diagnostics on `err`.
int run_report_availability(const std::string& config_path, const report_availability_options& opts,
                            std::ostream& out, std::ostream& err);

/// The same for a given database file and "now" (epoch ms, for durations in --from/--to):
/// everything but loading the config; the same exit codes but 78 only for a newer schema.
int report_availability(const std::filesystem::path& database,
                        const report_availability_options& opts, std::int64_t now_ms,
                        std::ostream& out, std::ostream& err);

}  // namespace lpda::cli
