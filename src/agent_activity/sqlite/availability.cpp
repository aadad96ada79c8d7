#include "lpda/agent_activity/sqlite/availability.hpp"

#include "lpda/agent_activity/sqlite/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace lpda::agent_activity::sqlite {
namespace {

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

class reader final : public availability_reader {
 public:
  reader(std::filesystem::path path, std::unique_ptr<SQLite::Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  result<std::vector<availability_row>> availability(const availability_query& query) override {
    try {
      SQLite::Statement has_view(
          *db_,
          "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = "
          "'agent_daily_availability'");
      if (!has_view.executeStep() || has_view.getColumn(0).getInt64() == 0)
        return lpda::error(
            errc::store_schema,
            path_.string() +
                ": no agent_daily_availability view (not an lpda-sync database, or "
                "one older than schema version 2; run the daemon once to migrate it)");
      SQLite::Statement q(*db_, R"sql(
      SELECT v.account_id, v.agent_id, a.agent_username, a.agent_nickname, v.day_utc,
             v.day_start_ms, v.logged_in_ms, v.online_ms, v.away_ms, v.back_soon_ms, v.chats
      FROM agent_daily_availability AS v
      LEFT JOIN agents AS a ON a.account_id = v.account_id AND a.agent_id = v.agent_id
      WHERE (?1 IS NULL OR v.account_id = ?1)
        AND (?2 IS NULL OR v.day_start_ms + 86400000 > ?2)
        AND (?3 IS NULL OR v.day_start_ms < ?3)
      ORDER BY v.account_id, v.day_start_ms, v.agent_id)sql");
      if (query.account_id) q.bind(1, *query.account_id);
      if (query.from_ms) q.bind(2, static_cast<std::int64_t>(*query.from_ms));
      if (query.to_ms) q.bind(3, static_cast<std::int64_t>(*query.to_ms));
      std::vector<availability_row> rows;
      while (q.executeStep()) {
        availability_row r;
        r.account_id = q.getColumn(0).getString();
        r.agent_id = q.getColumn(1).getInt64();
        r.agent_username = optional_text(q.getColumn(2));
        r.agent_nickname = optional_text(q.getColumn(3));
        r.day_utc = q.getColumn(4).getString();
        r.day_start_ms = q.getColumn(5).getInt64();
        r.logged_in_ms = q.getColumn(6).getInt64();
        r.online_ms = q.getColumn(7).getInt64();
        r.away_ms = q.getColumn(8).getInt64();
        r.back_soon_ms = q.getColumn(9).getInt64();
        r.chats = q.getColumn(10).getInt64();
        rows.push_back(std::move(r));
      }
      return rows;
    } catch (const SQLite::Exception& e) {
      return lpda::error(errc::store_io, path_.string() + ": availability report: " + e.what());
    }
  }

 private:
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace

result<std::unique_ptr<availability_reader>> open_availability_reader(
    const std::filesystem::path& database) {
  auto db = lpda::sqlite::open_read_only(database);
  if (!db) return db.error();
  if (auto newer = lpda::sqlite::check_not_newer(**db, database, schema()); !newer)
    return newer.error();
  return std::make_unique<reader>(database, std::move(*db));
}

result<std::vector<availability_row>> query_availability(const std::filesystem::path& database,
                                                         const availability_query& query) {
  auto r = open_availability_reader(database);
  if (!r) return r.error();
  return (*r)->availability(query);
}

}  // namespace lpda::agent_activity::sqlite
