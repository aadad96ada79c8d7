#pragma once
// Logging set-up for every command: spdlog to stderr, as text (journald adds its own timestamps
// when stderr is the journal) or as JSON lines for log collectors.
#include "lpda/config/config.hpp"

namespace lpda::cli {

/// Installs the default logger on stderr with the config's level and format. Under systemd
/// (JOURNAL_STREAM set) text lines carry no timestamp, since journald adds one.
void setup_logging(const config::log_settings& settings);

}  // namespace lpda::cli
