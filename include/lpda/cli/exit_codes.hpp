#pragma once
/// Process exit codes of `lpda-sync`, the same for every command (sysexits.h values where one
/// fits).
#include "lpda/core/error_kind.hpp"

namespace lpda::cli {
inline constexpr int exit_ok = 0;                       ///< success
inline constexpr int exit_partial = exit_code_failure;  ///< some account or file failed (logged)
inline constexpr int exit_usage = 64;                   ///< EX_USAGE: bad command line
inline constexpr int exit_data = 65;                    ///< EX_DATAERR: bad input data
inline constexpr int exit_no_input =
    exit_code_no_input;  ///< EX_NOINPUT: input file missing or unreadable
/// EX_TEMPFAIL: temporary failure (network, a locked database)
inline constexpr int exit_temp_fail = exit_code_temporary;
/// EX_CONFIG: configuration error, credentials refused, a database newer than this binary
inline constexpr int exit_config = exit_code_config;
static_assert(exit_partial == 1 && exit_no_input == 66 && exit_temp_fail == 75 &&
              exit_config == 78);
}  // namespace lpda::cli
