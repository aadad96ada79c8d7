#pragma once
// Test-only schema components for the migration machinery: "rebuild_test" has a table of items
// (migration 1) that migration 2 rebuilds in another key order with a code step, as a real table
// rebuild would (copy in key order with progress, drop, rename). No data type of lpda-sync uses
// them; they reach the store only through these tests.
#include "lpda/sqlite/data_type.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/sqlite/migration.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace lpda::store::test {

inline constexpr const char* rebuild_component = "rebuild_test";

inline constexpr std::string_view rebuild1_items = R"sql(
CREATE TABLE items (
  id      INTEGER PRIMARY KEY,
  account TEXT    NOT NULL,
  at_ms   INTEGER NOT NULL,
  payload BLOB,
  note    TEXT
);
)sql";

// The new table; the code step fills it, then swaps it in.
inline constexpr std::string_view rebuild2_new_table = R"sql(
CREATE TABLE items_by_account (
  account TEXT    NOT NULL,
  at_ms   INTEGER NOT NULL,
  id      INTEGER NOT NULL,
  payload BLOB,
  note    TEXT,
  PRIMARY KEY (account, at_ms, id)
) WITHOUT ROWID;
)sql";

// Rows per progress report of the rebuild.
inline constexpr std::uint64_t rebuild_every = 1000;

inline void rebuild2_copy(lpda::sqlite::migration_context& ctx) {
  const auto total =
      static_cast<std::uint64_t>(ctx.db().execAndGet("SELECT count(*) FROM items").getInt64());
  lpda::sqlite::copy_rows(ctx,
                          "SELECT account, at_ms, id, payload, note FROM items "
                          "ORDER BY account, at_ms, id",
                          "INSERT INTO items_by_account VALUES (?1, ?2, ?3, ?4, ?5)", total, "rows",
                          rebuild_every);
  ctx.db().exec("DROP TABLE items; ALTER TABLE items_by_account RENAME TO items;");
}

// The copy in the file plus its pages in the WAL.
inline std::uint64_t rebuild2_bytes(SQLite::Database& db) {
  return 2 * lpda::sqlite::table_bytes(db, "items");
}

inline constexpr std::array<lpda::sqlite::migration, 1> rebuild_v1{{
    {1, 0, "items", rebuild1_items},
}};

inline constexpr std::array<lpda::sqlite::migration, 2> rebuild_v2{{
    {1, 0, "items", rebuild1_items},
    {2, 0, "items: keyed by account, time, id", rebuild2_new_table, 0, &rebuild2_copy,
     &rebuild2_bytes},
}};

// A data type store holding only `migrations` (its writer is never asked for).
inline lpda::sqlite::data_type_store component_store(
    const char* name, std::span<const lpda::sqlite::migration> migrations) {
  lpda::sqlite::data_type_store t;
  t.data_type = name;
  t.schema = {name, migrations};
  t.make_writer = [](SQLite::Database&) { return std::unique_ptr<lpda::sqlite::record_writer>(); };
  return t;
}

// Opens `s` with the rebuild component at its first or second version.
inline lpda::sqlite::database open_rebuild(const lpda::sqlite::settings& s, int version) {
  return lpda::sqlite::database::open(
      s, {component_store(rebuild_component,
                          version == 1 ? std::span<const lpda::sqlite::migration>(rebuild_v1)
                                       : std::span<const lpda::sqlite::migration>(rebuild_v2))});
}

// Fills the version-1 table with `n` items of two accounts, ids in the opposite order of time,
// with payloads of `payload_bytes` and every seventh note NULL.
inline void fill_items(const std::filesystem::path& path, int n, int payload_bytes = 40) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  SQLite::Transaction tx(db);
  SQLite::Statement st(db,
                       "INSERT INTO items (id, account, at_ms, payload, note) VALUES "
                       "(?1, ?2, ?3, randomblob(?4), CASE WHEN ?1 % 7 = 0 THEN NULL ELSE "
                       "'note ' || ?1 END)");
  for (int i = 1; i <= n; ++i) {
    st.bind(1, i);
    st.bind(2, i % 2 == 0 ? "acct-a" : "acct-b");
    st.bind(3, static_cast<std::int64_t>(1700000000000) + (n - i) * 1000);
    st.bind(4, payload_bytes);
    st.exec();
    st.reset();
  }
  tx.commit();
}

// Every row of `sql` on the file at `p` as "v1|v2|...|" (NULL as "NULL"), for comparing contents.
inline std::vector<std::string> dump(const std::filesystem::path& p, const std::string& sql) {
  SQLite::Database db(p.string(), SQLite::OPEN_READONLY);
  SQLite::Statement st(db, sql);
  std::vector<std::string> rows;
  while (st.executeStep()) {
    std::string row;
    for (int i = 0; i < st.getColumnCount(); ++i)
      row += (st.getColumn(i).isNull() ? std::string("NULL") : st.getColumn(i).getString()) + "|";
    rows.push_back(row);
  }
  return rows;
}

}  // namespace lpda::store::test
