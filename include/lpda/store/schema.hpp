#pragma once
/// The store's numbered schema migrations (`PRAGMA user_version` = number of the last one
/// applied). docs/schema.md describes the resulting tables and views for readers of the database.
#include <span>
#include <string_view>

namespace lpda::store {

/// One step of the schema. Applied in order, each in its own transaction together with
/// `PRAGMA user_version = version`.
struct migration {
  int version;                   ///< 1, 2, ...: the user_version after this step
  std::string_view description;  ///< one line, for logs
  std::string_view sql;          ///< statements run by `sqlite3_exec`
};

/// Every migration, ascending by version; the last one's version is `latest_schema_version()`.
std::span<const migration> migrations() noexcept;

}  // namespace lpda::store
