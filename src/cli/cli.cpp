#include "lpda/cli/cli.hpp"

#include "lpda/cli/exit_codes.hpp"
#include "lpda/core/version.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace lpda::cli {

int run(int argc, char** argv) {
  CLI::App app{"lpda-sync: keeps a SQLite database in step with LivePerson's Data Access API"};
  app.set_version_flag("--version", std::string(lpda::version()));
  app.require_subcommand(0, 1);
  app.footer(
      "Exit codes: 0 success; 1 some account or file failed; 64 usage error; 65 bad input data;\n"
      "66 input file missing; 75 temporary failure (network); 78 config error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_usage;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return exit_usage;
  }
  return exit_ok;
}

}  // namespace lpda::cli
