// The core component of the SQLite schema: the file ledger and the checkpoints. Its first three
// migrations are the core's statements of the global migrations 1, 3 and 4 from before
// `schema_migrations`, kept verbatim (docs/schema.md, "Schema versions").
#include "lpda/sqlite/data_type.hpp"

#include <array>

namespace lpda::sqlite {
namespace {

// Times are integer epoch ms UTC.
constexpr std::string_view core1_ledger = R"sql(
CREATE TABLE files (
  account_id      TEXT    NOT NULL,
  data_type       TEXT    NOT NULL,
  file_key        TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  href            TEXT    NOT NULL,
  part            INTEGER NOT NULL,
  scope_start_ms  INTEGER NOT NULL,
  scope_end_ms    INTEGER NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'quarantined')),
  bytes           INTEGER,
  events          INTEGER,
  events_inserted INTEGER,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error_code TEXT,
  last_error      TEXT,
  first_seen_ms   INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, data_type, file_key)
) WITHOUT ROWID;
CREATE INDEX files_by_status ON files (status, account_id, data_type);

CREATE TABLE checkpoints (
  account_id      TEXT    NOT NULL,
  data_type       TEXT    NOT NULL,
  watermark_ms    INTEGER,
  last_poll_ms    INTEGER,
  last_poll_ok    INTEGER,
  last_success_ms INTEGER,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, data_type)
) WITHOUT ROWID;
)sql";

// The clocks as the last poll saw them (docs/schema.md): the server's time from the Date header
// of its answers, and how far the host's clock was from it. NULL when the poll had no usable
// Date header.
constexpr std::string_view core2_clock = R"sql(
ALTER TABLE checkpoints ADD COLUMN server_time_ms INTEGER;
ALTER TABLE checkpoints ADD COLUMN clock_skew_ms INTEGER;
)sql";

// Each account's last poll error and since when it has failed (for `status`).
// `last_error_since_ms` is the end of the first poll of the current run of failed polls.
constexpr std::string_view core3_last_error = R"sql(
ALTER TABLE checkpoints ADD COLUMN last_error TEXT;
ALTER TABLE checkpoints ADD COLUMN last_error_since_ms INTEGER;
)sql";

constexpr std::array<migration, 3> core_migrations{{
    {1, 1, "tables: files, checkpoints", core1_ledger, 1},
    {2, 3, "checkpoints: server_time_ms, clock_skew_ms", core2_clock, 3},
    {3, 4, "checkpoints: last_error, last_error_since_ms", core3_last_error, 4},
}};

constexpr component core{"core", core_migrations};

}  // namespace

const component& core_component() noexcept {
  return core;
}

}  // namespace lpda::sqlite
