#pragma once
/// The `lpda-sync` command line: parses arguments with CLI11 and runs one command.
namespace lpda::cli {
/// Runs `lpda-sync` with the process arguments; returns the process exit code (exit_codes.hpp).
int run(int argc, char** argv);
}  // namespace lpda::cli
