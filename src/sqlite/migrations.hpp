#pragma once
// Private to the sqlite module: the per-component migration runner (docs/schema.md, "Schema
// versions").
#include "connection.hpp"
#include "lpda/sqlite/data_type.hpp"

#include <vector>

namespace lpda::sqlite::detail {

// Throws error_exception(store_schema) when the file is from a newer lpda-sync: a user_version
// above latest_schema_version() (or below 0), or a component of `components` with a migration
// numbered above this build's. Reads only, so a refused file is left unchanged.
void refuse_newer(connection& c, const std::vector<const component*>& components);

// Converts a file of the scheme before schema_migrations (one transaction), then applies each
// component's pending migrations in order, one transaction each. A current file takes no write
// lock. Throws error_exception.
void migrate(connection& c, const std::vector<const component*>& components);

}  // namespace lpda::sqlite::detail
