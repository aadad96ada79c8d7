#pragma once
// The test-only data type's part of the SQLite store, written the way a real type's `sqlite/`
// folder is (src/agent_activity/sqlite): a schema component named after the type and a writer
// that upserts its records on their natural key. The composition root would hand it to
// `lpda::sqlite::database::open` beside Agent Activity's part.
#include "lpda/sqlite/data_type.hpp"

namespace lpda::test::probe_type::sqlite {

/// The component "probeType": migration 1, table `probes` keyed by (account_id, id).
const lpda::sqlite::component& schema() noexcept;

/// `schema()` and a writer that upserts a file's probes: a new id is inserted, a repeated one
/// updates `value` (and `source_file_key`, `updated_at_ms`) only when the value differs.
lpda::sqlite::data_type_store data_type();

}  // namespace lpda::test::probe_type::sqlite
