#pragma once
// Test-only helpers. Nothing here is used by the daemon.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::test {

/// Directory of the copied fixtures (tests/data), from $LPDA_TEST_DATA or the source tree.
std::filesystem::path data_dir();

/// Directory of the built executables (lpda-sync, lpda-emulator), from $LPDA_BIN_DIR.
std::filesystem::path bin_dir();

/// Reads a whole (small) file; throws std::runtime_error naming the path.
std::string read_file(const std::filesystem::path& p);

/// Writes bytes to a file, replacing it; throws on failure.
void write_file(const std::filesystem::path& p, std::string_view bytes);

/// A fresh directory under $TMPDIR removed (recursively) at destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// One gzip member of `data` (zlib deflate with a gzip wrapper), independent of lpda's inflater.
std::string gzip(std::string_view data, int level = 6);

/// Runs a command line through /bin/sh, returns its exit status (or 128+signal) and captures
/// stdout and stderr into the given strings.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};
run_result run_command(const std::string& command_line);

/// Runs `fn` in a forked child that has dropped to `uid` and `gid` (no supplementary groups) and
/// returns the text it returned, e.g. to check what another user may read. Needs root; the text
/// is "cannot change user" when the child could not.
std::string run_as(uid_t uid, gid_t gid, const std::function<std::string()>& fn);

}  // namespace lpda::test
