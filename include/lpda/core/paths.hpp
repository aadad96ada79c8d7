#pragma once
/// Whether two paths name one file, for the checks that keep lpda-sync from writing over a file
/// it does not own (a `lock_file` or `spool_dir` that is the database, a snapshot written over
/// it).
#include <filesystem>

namespace lpda {

/// True when `a` and `b` name the same file: the same existing file (through links, `..` or
/// another spelling, st_dev/st_ino), or, when either does not exist, the same absolute path
/// once `.`/`..`, symbolic links of the existing prefix and a trailing `/` are resolved. Relative
/// paths are taken from the working directory. Never throws.
bool same_path(const std::filesystem::path& a, const std::filesystem::path& b) noexcept;

}  // namespace lpda
