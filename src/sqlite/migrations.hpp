#pragma once
// Private to the sqlite module: the per-component migration runner (docs/schema.md, "Schema
// versions").
#include "connection.hpp"
#include "lpda/sqlite/data_type.hpp"

#include <cstdint>
#include <vector>

namespace lpda::sqlite::detail {

// Throws error_exception(store_schema) when the file is from a newer lpda-sync: a user_version
// above latest_schema_version() (or below 0), or a component of `components` with a migration
// numbered above this build's; or when it holds tables but is not an lpda-sync file. Reads only,
// so a refused file is left unchanged.
void refuse_newer(connection& c, const std::vector<const component*>& components);

// Throws error_exception(store_schema) when the connection may only read the file and a
// migration is pending: the message tells the user to let the writer migrate it first.
void refuse_read_only_pending(connection& c, const std::vector<const component*>& components);

// A migration the file lacks, with its estimate of the free disk it needs (0: no check).
struct pending {
  const component* comp;
  const migration* m;
  int order;  // its generation, or its predecessor's for generation 0
  std::uint64_t bytes_needed;
};

// The migrations the file lacks, in the order `migrate` applies them, each with its
// `bytes_needed` computed on the file now when `estimate`. Reads only. Throws
// error_exception(config_invalid) for a component whose generations are out of order or above this
// build's, SQLite::Exception for SQLite failures.
std::vector<pending> plan(connection& c, const std::vector<const component*>& components,
                          bool estimate);

// Converts a file of the scheme before schema_migrations (one transaction), then applies each
// component's pending migrations in order, one transaction each, telling the settings'
// `on_migration` about each. Refuses with errc::store_full, before anything is written, when a
// pending migration needs more free disk than the database's directory has (and before each
// later migration, when free space has shrunk below its need meanwhile). A current file takes no
// write lock. Throws error_exception.
void migrate(connection& c, const std::vector<const component*>& components);

}  // namespace lpda::sqlite::detail
