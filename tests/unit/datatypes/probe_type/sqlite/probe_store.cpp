#include "probe_store.hpp"

#include "../probe_type.hpp"
#include "lpda/sqlite/hot_statement.hpp"

#include <SQLiteCpp/Database.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace lpda::test::probe_type::sqlite {
namespace {

using lpda::sqlite::hot_statement;

// Generation 0: builds from before schema_migrations never read this table, so it leaves the
// user_version guard as it is; no legacy_version, so converting an old file runs it.
constexpr std::array<lpda::sqlite::migration, 1> migrations{{
    {1, 0, "probes table", R"sql(
CREATE TABLE probes (
  account_id      TEXT    NOT NULL,
  id              TEXT    NOT NULL,
  value           INTEGER,
  source_file_key TEXT    NOT NULL,
  ingested_at_ms  INTEGER NOT NULL,
  updated_at_ms   INTEGER,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
)sql"},
}};

constexpr lpda::sqlite::component component{name, migrations};

constexpr std::string_view sql_insert = R"sql(
INSERT INTO probes (account_id, id, value, source_file_key, ingested_at_ms, updated_at_ms)
VALUES (?1, ?2, ?3, ?4, ?5, NULL)
ON CONFLICT DO NOTHING
)sql";

constexpr std::string_view sql_update = R"sql(
UPDATE probes SET value = ?3, source_file_key = ?4, updated_at_ms = ?5
WHERE account_id = ?1 AND id = ?2 AND value IS NOT ?3
)sql";

class writer final : public lpda::sqlite::record_writer {
 public:
  explicit writer(SQLite::Database& db)
      : insert_(db.getHandle(), sql_insert), update_(db.getHandle(), sql_update) {}

  result<lpda::sqlite::write_counts> write(const std::string& account, const std::string& file_key,
                                           std::int64_t now_ms, record_source& records) override {
    auto* probes = as_typed<probe>(records);
    if (probes == nullptr)
      return error(errc::config_invalid, std::string(name) + " writer: file " + file_key +
                                             ": the source yields another data type's records");
    lpda::sqlite::write_counts counts;
    for (bool more = true; more;) {
      batch_.clear();
      auto r = probes->next_batch(batch_);
      if (!r) return r.error();
      more = *r;
      for (const auto& p : batch_) {
        ++counts.read;
        for (auto* st : {&insert_, &update_}) {
          st->text(1, account);
          st->text(2, p.id);
          st->opt(3, p.value);
          st->text(4, file_key);
          st->integer(5, now_ms);
        }
        if (insert_.run() == 1)
          ++counts.inserted;
        else
          update_.run();
      }
    }
    return counts;
  }

 private:
  hot_statement insert_;
  hot_statement update_;
  std::vector<probe> batch_;
};

}  // namespace

const lpda::sqlite::component& schema() noexcept {
  return component;
}

lpda::sqlite::data_type_store data_type() {
  lpda::sqlite::data_type_store t;
  t.data_type = name;
  t.schema = component;
  t.make_writer = [](SQLite::Database& db) -> std::unique_ptr<lpda::sqlite::record_writer> {
    return std::make_unique<writer>(db);
  };
  return t;
}

}  // namespace lpda::test::probe_type::sqlite
