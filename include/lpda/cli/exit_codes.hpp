#pragma once
/// Process exit codes of `lpda-sync`, the same for every command (sysexits.h values where one fits).
namespace lpda::cli {
inline constexpr int exit_ok = 0;           ///< success
inline constexpr int exit_partial = 1;      ///< some account or file failed (details logged)
inline constexpr int exit_usage = 64;       ///< EX_USAGE: bad command line
inline constexpr int exit_data = 65;        ///< EX_DATAERR: bad input data
inline constexpr int exit_no_input = 66;    ///< EX_NOINPUT: input file missing or unreadable
inline constexpr int exit_temp_fail = 75;   ///< EX_TEMPFAIL: temporary failure (network)
inline constexpr int exit_config = 78;      ///< EX_CONFIG: configuration error
}  // namespace lpda::cli
