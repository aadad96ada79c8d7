#include "lpda/store/database.hpp"

namespace lpda::store {

std::string_view to_string(file_status s) noexcept {
  switch (s) {
    case file_status::pending:
      return "pending";
    case file_status::done:
      return "done";
    case file_status::failed:
      return "failed";
    case file_status::quarantined:
      return "quarantined";
  }
  return "pending";
}

std::optional<file_status> parse_file_status(std::string_view s) noexcept {
  for (auto st :
       {file_status::pending, file_status::done, file_status::failed, file_status::quarantined}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace lpda::store
