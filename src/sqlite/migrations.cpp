#include "migrations.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace lpda::sqlite {
namespace {

// The largest user_version this build writes and opens: the global version of the last migration
// before schema_migrations, which a converted file keeps. Raised together with the first migration
// that builds without schema_migrations must not read past (`migration::generation`).
constexpr int format_generation = 4;

// The scheme's own table, created with the conversion (it cannot be a migration of a component:
// it records them).
constexpr std::string_view sql_create_schema_migrations = R"sql(
CREATE TABLE schema_migrations (
  component     TEXT    NOT NULL,
  number        INTEGER NOT NULL,
  applied_at_ms INTEGER NOT NULL,
  description   TEXT    NOT NULL,
  PRIMARY KEY (component, number)
) WITHOUT ROWID;
)sql";

constexpr std::string_view sql_record_migration = R"sql(
INSERT INTO schema_migrations (component, number, applied_at_ms, description)
VALUES (?1, ?2, ?3, ?4)
)sql";

constexpr std::string_view sql_last_migration = R"sql(
SELECT coalesce(max(number), 0) FROM schema_migrations WHERE component = ?1
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int last_known(const component& c) {
  return c.migrations.empty() ? 0 : c.migrations.back().number;
}

// The newest migration of `c` the file records; 0 without schema_migrations or any row of `c`.
int last_applied(SQLite::Database& db, const component& c) {
  if (!db.tableExists("schema_migrations")) return 0;
  SQLite::Statement st(db, std::string(sql_last_migration));
  const std::string name(c.name);
  st.bind(1, name);
  st.executeStep();
  return st.getColumn(0).getInt();
}

std::optional<error> user_version_error(int found, const std::filesystem::path& path) {
  if (found < 0)
    return error(errc::store_schema,
                 "store " + path.string() + ": database schema version " + std::to_string(found) +
                     " is not one lpda-sync writes; is this an lpda-sync database?");
  if (found > format_generation)
    return error(errc::store_schema,
                 "store " + path.string() + ": database schema version " + std::to_string(found) +
                     " is newer than this lpda-sync knows (" + std::to_string(format_generation) +
                     "); use a newer lpda-sync or another database file");
  return std::nullopt;
}

std::optional<error> component_error(SQLite::Database& db, const std::filesystem::path& path,
                                     const component& c) {
  const int found = last_applied(db, c);
  if (found <= last_known(c)) return std::nullopt;
  return error(errc::store_schema,
               "store " + path.string() + ": database schema of " + std::string(c.name) +
                   " is at migration " + std::to_string(found) +
                   ", newer than this lpda-sync knows (" + std::to_string(last_known(c)) +
                   "); use a newer lpda-sync or another database file");
}

}  // namespace

int latest_schema_version() noexcept {
  return format_generation;
}

namespace detail {

void refuse_newer(connection& c, const std::vector<const component*>& components) {
  const int found = c.user_version();
  if (auto e = user_version_error(found, c.config().path)) throw error_exception(*e);
  // Every lpda-sync file past its first migration has a user_version above 0 or
  // schema_migrations: one with neither that holds tables is another program's, and migrating it
  // would add ours beside them. One statement, so one snapshot: another process may be creating
  // this file's first tables right now.
  if (found == 0 &&
      c.db().execAndGet("SELECT (SELECT user_version FROM pragma_user_version) = 0 AND NOT EXISTS "
                        "(SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations') AND EXISTS "
                        "(SELECT 1 FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')")
              .getInt() != 0)
    throw error_exception(
        error(errc::store_schema, "store " + c.config().path.string() +
                                      ": the file holds tables but is not an lpda-sync database "
                                      "(user_version 0, no schema_migrations); point database at "
                                      "a file of its own"));
  for (const component* comp : components)
    if (auto e = component_error(c.db(), c.config().path, *comp))
      throw error_exception(*e);  // A file this user may only read (a BI group's member running
                                  // `status`) cannot be migrated:
  // say so rather than fail on the first write.
  if (sqlite3_db_readonly(c.db().getHandle(), "main") == 1) {
    bool pending = !c.db().tableExists("schema_migrations");
    for (const component* comp : components)
      pending = pending || last_applied(c.db(), *comp) < last_known(*comp);
    if (pending)
      throw error_exception(error(
          errc::store_schema,
          "store " + c.config().path.string() +
              ": this lpda-sync must update the database's schema first, and this user may only "
              "read the file; run lpda-sync once as the user that writes it (e.g. start the "
              "service), then read it again"));
  }
}

void migrate(connection& c, const std::vector<const component*>& components) {
  auto& db = c.db();
  for (const component* comp : components) {
    for (const auto& m : comp->migrations) {
      if (m.generation > format_generation)
        throw error_exception(
            error(errc::config_invalid, "store: migration " + std::to_string(m.number) + " of " +
                                            std::string(comp->name) + " needs schema generation " +
                                            std::to_string(m.generation) + ", above this build's"));
    }
  }
  // A current schema needs no write lock: readers (status, report) must not wait on, or be
  // refused by, a writer's long transaction just to learn nothing is to migrate.
  if (!db.tableExists("schema_migrations")) {
    // The conversion: a file at user_version N applied exactly the migrations whose
    // legacy_version is 1..N (the global versions 1..4 map onto the first migrations of core and
    // agentActivity), recorded here with the conversion's time; every other migration runs below.
    // One transaction: a kill leaves the file as it was.
    auto r = c.write("conversion to schema_migrations", [&] {
      if (db.tableExists("schema_migrations")) return;  // another process converted meanwhile
      const int found = c.user_version();
      db.exec(std::string(sql_create_schema_migrations));
      const std::int64_t at = now_ms();
      for (const component* comp : components) {
        const std::string name(comp->name);
        for (const auto& m : comp->migrations) {
          if (m.legacy_version == 0 || m.legacy_version > found) continue;
          auto& st = c.stmt(sql_record_migration);
          reset_guard g(st);
          bind_text(st, 1, name);
          st.bind(2, m.number);
          bind_int(st, 3, at);
          st.bind(4, std::string(m.description));
          st.exec();
        }
      }
    });
    if (!r) throw error_exception(r.error());
  }
  // Pending migrations in order of generation across components (a migration of generation 0
  // takes its predecessor's in the component): so at every instant a kill may leave, the file
  // holds every migration of the generations up to its user_version, which is all a build from
  // before schema_migrations checks. Stable: a component's own order is kept.
  struct pending {
    const component* comp;
    const migration* m;
    int order;
  };
  std::vector<pending> todo;
  for (const component* comp : components) {
    const int applied = last_applied(db, *comp);
    int order = 0;
    for (const auto& m : comp->migrations) {
      if (m.generation > 0) {
        if (m.generation < order)
          throw error_exception(error(errc::config_invalid, "store: migration " +
                                                                std::to_string(m.number) + " of " +
                                                                std::string(comp->name) +
                                                                " has a generation below an "
                                                                "earlier one's"));
        order = m.generation;
      }
      if (m.number > applied) todo.push_back({comp, &m, order});
    }
  }
  std::stable_sort(todo.begin(), todo.end(),
                   [](const pending& a, const pending& b) { return a.order < b.order; });
  for (const auto& [comp, m, order] : todo) {
    const std::string name(comp->name);
    auto r = c.write("migration " + std::to_string(m->number) + " of " + name, [&] {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (last_applied(db, *comp) >= m->number) return;
      db.exec(std::string(m->sql));
      auto& st = c.stmt(sql_record_migration);
      reset_guard g(st);
      bind_text(st, 1, name);
      st.bind(2, m->number);
      bind_int(st, 3, now_ms());
      st.bind(4, std::string(m->description));
      st.exec();
      if (c.user_version() < m->generation)
        db.exec("PRAGMA user_version = " + std::to_string(m->generation));
    });
    if (!r) throw error_exception(r.error());
  }
}

}  // namespace detail

result<void> check_not_newer(SQLite::Database& db, const std::filesystem::path& path,
                             const component& c) {
  try {
    if (auto e = component_error(db, path, c)) return *e;
    return {};
  } catch (const SQLite::Exception& e) {
    return error(errc::store_io, path.string() + ": schema_migrations: " + e.what());
  }
}

result<std::unique_ptr<SQLite::Database>> open_read_only(const std::filesystem::path& path) {
  std::error_code fs_ec;
  if (!std::filesystem::is_regular_file(path, fs_ec))
    return error(errc::unreadable, path.string() + ": no such database file");
  try {
    auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY);
    db->setBusyTimeout(5000);
    // Only a newer file is refused here; anything else is left to the reads themselves (a file
    // that is not lpda-sync's lacks their tables).
    if (const int found = db->execAndGet("PRAGMA user_version").getInt(); found > 0)
      if (auto e = user_version_error(found, path)) return *e;
    if (auto e = component_error(*db, path, core_component())) return *e;
    return db;
  } catch (const SQLite::Exception& e) {
    return error(errc::store_io, path.string() + ": " + e.what());
  }
}

}  // namespace lpda::sqlite
