#include "lpda/cli/cli.hpp"

#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/core/version.hpp"
#include "lpda/datatypes/registry.hpp"
#include "report_command.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::cli {
namespace {

// Levenshtein distance, for suggesting the command a typo was meant to be.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "WORD is not a command" for a word CLI11 saw where a subcommand of `parent` belongs, with the
// closest name when it is a likely typo and the full list. `what` is "command" or, e.g.,
// "report command".
std::vector<std::string> subcommand_names(const CLI::App& parent) {
  std::vector<std::string> names;
  for (const auto* sub : parent.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

void print_unknown_command(std::ostream& err, const CLI::App& parent, const std::string& word,
                           const std::string& what) {
  const std::vector<std::string> names = subcommand_names(parent);
  std::string closest;
  std::size_t best = std::string::npos;
  for (const auto& name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best) {
      best = d;
      closest = name;
    }
  }
  err << "lpda-sync: \"" << word << "\" is not a " << what;
  // Two edits cover a swapped pair of letters ("statsu") or a letter too many or too few.
  if (best <= 2 && best < word.size()) err << " (did you mean \"" << closest << "\"?)";
  err << "\n";
  err << (what == "command" ? "Commands:" : "Commands of " + parent.get_name() + ":");
  for (const auto& name : names) err << ' ' << name;
  err << "\nRun with --help for more information.\n";
}

// The first argument CLI11 could not place that is not an option, if any.
std::optional<std::string> first_word(const std::vector<std::string>& remaining) {
  for (const auto& arg : remaining)
    if (!arg.empty() && arg.front() != '-') return arg;
  return std::nullopt;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"lpda-sync: keeps a SQLite database in step with LivePerson's Data Access API"};
  app.set_version_flag("--version", std::string(lpda::version()));
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 some account or file failed (details logged); 64 usage error;\n"
      "65 bad input data; 66 input file missing; 75 temporary failure (network, a locked\n"
      "database, too little free disk); 78 config error or credentials refused.");

  std::string config_path = default_config_path;
  app.add_option("-c,--config", config_path, "the YAML config file")->capture_default_str();

  auto* run_cmd = app.add_subcommand(
      "run",
      "The daemon: poll each enabled account on its interval; SIGHUP reloads the config, "
      "SIGTERM stops");
  run_cmd->fallthrough();

  auto* health_cmd = app.add_subcommand(
      "health", "Exit 0 when the running daemon's /healthz answers 200, else 1 (HEALTHCHECK)");
  health_cmd->fallthrough();

  auto* once_cmd = app.add_subcommand("once", "Poll every enabled account once, then exit");
  once_cmd->fallthrough();

  bool status_json = false;
  auto* status_cmd = app.add_subcommand(
      "status", "Per account: watermark, lag, last poll and success, files and events");
  status_cmd->add_flag("--json", status_json, "print JSON instead of a table");
  status_cmd->fallthrough();

  bool print_config = false;
  auto* validate_cmd = app.add_subcommand(
      "validate-config", "Check the config file; report every problem with its line and column");
  validate_cmd->add_flag("--print", print_config,
                         "print the effective config, defaults filled in, secrets redacted");
  bool no_secrets = false;
  validate_cmd->add_flag("--no-secrets", no_secrets,
                         "check credentials for form only: read no ${ENV} and no *_file (e.g. "
                         "systemd credentials that exist only inside the service)");
  validate_cmd->fallthrough();

  backfill_options backfill_opts;
  auto* backfill_cmd = app.add_subcommand(
      "backfill", "Fetch and store the files of a past range; the watermark is not moved");
  backfill_cmd->add_option("--account", backfill_opts.account, "account id")->required();
  backfill_cmd
      ->add_option("--from", backfill_opts.from,
                   "start: ISO 8601 date (2026-01-01, 2026-01-01T06:00:00Z), epoch ms "
                   "or a duration before now (7d, 12h); at most 29 days back (files are kept "
                   "30 days), an earlier start is moved there")
      ->required();
  backfill_cmd->add_option("--to", backfill_opts.to, "end, same forms (default: now)");
  backfill_cmd->add_flag("--refetch", backfill_opts.refetch,
                         "also fetch files already stored or quarantined");
  backfill_cmd->fallthrough();

  retry_options retry_opts;
  auto* retry_cmd = app.add_subcommand(
      "retry-failed", "Put quarantined files back so the next poll fetches them again");
  retry_cmd->add_option("--account", retry_opts.account, "only this account");
  retry_cmd->add_flag("--now", retry_opts.now, "poll at once instead of waiting for the next poll");
  retry_cmd->fallthrough();

  watermark_options wm_opts;
  auto* wm_cmd = app.add_subcommand("reset-watermark",
                                    "Set an account's watermark to a point in time (or clear it)");
  wm_cmd->add_option("--account", wm_opts.account, "account id")->required();
  wm_cmd->add_option("--data-type", wm_opts.data_type, "data type")->capture_default_str();
  auto* wm_to = wm_cmd->add_option("--to", wm_opts.to,
                                   "ISO 8601 date or date-time, epoch ms, or a duration before now "
                                   "(3d)");
  auto* wm_clear = wm_cmd->add_flag("--clear", wm_opts.clear,
                                    "forget the watermark: the next poll starts at initial_start");
  wm_to->excludes(wm_clear);
  wm_cmd->fallthrough();

  report_availability_options report_opts;
  auto* report_cmd = app.add_subcommand("report", "Reports from the database");
  report_cmd->require_subcommand(1);
  report_cmd->fallthrough();
  auto* availability_cmd = report_cmd->add_subcommand(
      "availability", "Per agent and UTC day: logged-in, online, away and back-soon time, chats");
  availability_cmd->add_option("--account", report_opts.account, "only this account");
  availability_cmd->add_option("--from", report_opts.from,
                               "first day: ISO 8601 date or date-time, epoch ms, or a duration "
                               "before now (7d)");
  availability_cmd->add_option("--to", report_opts.to, "end (exclusive), same forms");
  availability_cmd->add_option("--format", report_opts.format, "output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  availability_cmd->fallthrough();

  check_options check_opts;
  auto* check_cmd = app.add_subcommand(
      "check",
      "Prove that the credentials and the account work, step by step: connect, token or "
      "signing, base resource, listings (never opens the database)");
  check_cmd->add_option("--account", check_opts.account,
                        "only this account (default: every "
                        "enabled account)");
  check_cmd->add_option("--hours", check_opts.hours, "list the files of the last N hours")
      ->capture_default_str();
  check_cmd->add_flag("--download-one", check_opts.download_one,
                      "also download one listed file (to a temporary directory)");
  check_cmd->fallthrough();
  migrate_options migrate_opts;
  auto* migrate_cmd = app.add_subcommand(
      "migrate",
      "Apply the database's pending schema migrations now, with progress (e.g. before starting "
      "an upgraded daemon on a large database); run and once do it at start otherwise");
  migrate_cmd->add_flag("--dry-run", migrate_opts.dry_run,
                        "list the pending migrations and the free disk each needs; change "
                        "nothing");
  migrate_cmd->fallthrough();

  std::string snapshot_target;
  auto* snapshot_cmd = app.add_subcommand(
      "snapshot", "Write a consistent copy of the database to FILE (for BI tools and backups)");
  snapshot_cmd->add_option("FILE", snapshot_target, "the copy to write (replaced)")->required();
  snapshot_cmd->fallthrough();

  decode_options decode_opts;
  auto* decode_cmd = app.add_subcommand(
      "decode",
      "Decode one Data Access file (gzip or plain JSON) and print one line per record "
      "(for Agent Activity, per event); needs no config");
  decode_cmd->add_option("FILE", decode_opts.file, "the file to decode")->required();
  decode_cmd->add_option("--format", decode_opts.format, "output format")
      ->check(CLI::IsMember({"ndjson", "csv"}))
      ->capture_default_str();
  decode_opts.data_type = std::string(datatypes::default_name);
  decode_cmd->add_option("--data-type", decode_opts.data_type, "the file's data type")
      ->check(CLI::IsMember(datatypes::known_names()))
      ->capture_default_str();
  // `--config` may follow any command (README); decode reads no config, so it is accepted there
  // and ignored rather than refused.
  decode_cmd->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A word in a command's place that names none would only get CLI11's "A subcommand is
    // required"; CLI11 keeps such a word in `remaining()` (subcommands fall through to the top).
    if (e.get_exit_code() != 0) {
      const auto stray = first_word(app.remaining());
      if (stray && app.get_subcommands().empty()) {
        print_unknown_command(std::cerr, app, *stray, "command");
        return exit_usage;
      }
      if (stray && report_cmd->parsed() && report_cmd->get_subcommands().empty()) {
        print_unknown_command(std::cerr, *report_cmd, *stray, "report command");
        return exit_usage;
      }
      if (!stray && report_cmd->parsed() && report_cmd->get_subcommands().empty()) {
        std::cerr << "lpda-sync report: name the report:";
        for (const auto& name : subcommand_names(*report_cmd)) std::cerr << ' ' << name;
        std::cerr << "\nRun with --help for more information.\n";
        return exit_usage;
      }
    }
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }

  if (decode_cmd->parsed()) return run_decode(decode_opts, std::cout, std::cerr);
  if (validate_cmd->parsed())
    return run_validate_config(config_path, print_config, no_secrets, std::cout, std::cerr);
  if (run_cmd->parsed()) return run_daemon(config_path);
  if (check_cmd->parsed()) {
    check_opts.config_path = config_path;
    return run_check(check_opts, std::cout, std::cerr);
  }
  if (health_cmd->parsed()) return run_health(config_path);
  if (wm_cmd->parsed()) {
    wm_opts.config_path = config_path;
    return run_reset_watermark(wm_opts);
  }
  if (once_cmd->parsed()) return run_once(config_path);
  if (availability_cmd->parsed())
    return run_report_availability(config_path, report_opts, std::cout, std::cerr);
  if (status_cmd->parsed()) return run_status(config_path, status_json, std::cout, std::cerr);
  if (migrate_cmd->parsed()) {
    migrate_opts.config_path = config_path;
    return run_migrate(migrate_opts, std::cout, std::cerr);
  }
  if (snapshot_cmd->parsed())
    return run_snapshot(config_path, snapshot_target, std::cout, std::cerr);
  if (backfill_cmd->parsed()) {
    backfill_opts.config_path = config_path;
    return run_backfill(backfill_opts);
  }
  if (retry_cmd->parsed()) {
    retry_opts.config_path = config_path;
    return run_retry_failed(retry_opts);
  }
  std::cerr << app.help();
  return exit_usage;
}

}  // namespace lpda::cli
