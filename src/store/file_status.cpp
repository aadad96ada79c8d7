#include "lpda/core/enum_names.hpp"
#include "lpda/store/database.hpp"

namespace lpda::store {

namespace {

constexpr auto file_status_names =
    make_enum_names<file_status>({{file_status::pending, "pending"},
                                  {file_status::done, "done"},
                                  {file_status::failed, "failed"},
                                  {file_status::quarantined, "quarantined"}});

}  // namespace

std::string_view to_string(file_status s) noexcept {
  return file_status_names.name(s);
}

std::optional<file_status> parse_file_status(std::string_view s) noexcept {
  return file_status_names.parse(s);
}

}  // namespace lpda::store
