#include "lpda/sqlite/database.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>

#include <unistd.h>

#include <string>
#include <system_error>

namespace lpda::sqlite {

result<std::uint64_t> snapshot(const std::filesystem::path& source,
                               const std::filesystem::path& target) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec))
    return error(errc::unreadable, source.string() + ": no such database file");
  const std::filesystem::path partial = target.string() + ".partial-" + std::to_string(::getpid());
  std::filesystem::remove(partial, ec);
  try {
    {
      SQLite::Database from(source.string(), SQLite::OPEN_READONLY);
      from.setBusyTimeout(5000);
      SQLite::Database to(partial.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup backup(to, from);
      // All pages in one step: one read transaction on the source, so one consistent state.
      backup.executeStep(-1);
      to.exec("PRAGMA journal_mode = DELETE");
    }
    std::filesystem::rename(partial, target);
    return static_cast<std::uint64_t>(std::filesystem::file_size(target));
  } catch (const SQLite::Exception& e) {
    std::filesystem::remove(partial, ec);
    return error(errc::store_io,
                 "snapshot of " + source.string() + " to " + target.string() + ": " + e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove(partial, ec);
    return error(errc::store_io, "snapshot to " + target.string() + ": " + e.code().message());
  }
}

}  // namespace lpda::sqlite
