#include "migrations.hpp"

#include "lpda/sqlite/migration.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

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

std::string migration_name(const detail::pending& p) {
  return "migration " + std::to_string(p.m->number) + " of " + std::string(p.comp->name) + " (" +
         std::string(p.m->description) + ")";
}

// The directory holding the database file: its file system takes the migration's pages (the
// file and its WAL).
std::filesystem::path directory_of(const std::filesystem::path& db_path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(db_path, ec);
  if (ec) abs = db_path;
  auto dir = abs.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

// Refuses (errc::store_full) to start `p` when its estimate exceeds the free disk of the
// database's directory. `first`: nothing has been written yet by this open.
void check_free_disk(detail::connection& c, const detail::pending& p, bool first) {
  if (p.bytes_needed == 0) return;
  const auto dir = directory_of(c.config().path);
  std::uint64_t free = 0;
  if (c.config().free_disk_for_tests) {
    free = *c.config().free_disk_for_tests;
  } else {
    auto f = free_disk_bytes(dir);
    if (!f) throw error_exception(f.error());
    free = *f;
  }
  if (free >= p.bytes_needed) return;
  throw error_exception(
      error(errc::store_full,
            "store " + c.config().path.string() + ": " + migration_name(p) + " needs about " +
                std::to_string(p.bytes_needed) + " bytes of free disk, and " + dir.string() +
                " has " + std::to_string(free) + " bytes free; " +
                (first ? std::string("nothing was changed")
                       : std::string("the migrations before it were applied, this one was not "
                                     "started")) +
                ". Free space on that file system (or move the database to a larger one) and start "
                "lpda-sync again"));
}

// One migration as the observer sees it: its events, and the heartbeat from SQLite's progress
// handler while it runs (https://www.sqlite.org/c3ref/progress_handler.html: called every N
// virtual machine instructions, also inside one long statement).
class migration_run {
 public:
  migration_run(detail::connection& c, const detail::pending& p)
      : c_(c), p_(p), started_(std::chrono::steady_clock::now()), last_event_(started_) {
    if (!c_.config().on_migration) return;
    emit(migration_event::kind::started);
    sqlite3_progress_handler(c_.db().getHandle(), 1000, &migration_run::on_sqlite_progress, this);
  }
  ~migration_run() {
    if (!c_.config().on_migration) return;
    sqlite3_progress_handler(c_.db().getHandle(), 0, nullptr, nullptr);
    if (!finished_) emit(migration_event::kind::failed);
  }
  migration_run(const migration_run&) = delete;
  migration_run& operator=(const migration_run&) = delete;

  void progress(std::uint64_t done, std::uint64_t total, std::string_view unit) {
    done_ = done;
    total_ = total;
    unit_ = unit;
    emit(migration_event::kind::progress);
  }

  void finish(bool applied_elsewhere) {
    if (!c_.config().on_migration) return;
    sqlite3_progress_handler(c_.db().getHandle(), 0, nullptr, nullptr);
    finished_ = true;
    applied_elsewhere_ = applied_elsewhere;
    emit(migration_event::kind::finished);
  }

 private:
  // Never throws: it may run inside SQLite (the progress handler) or in a destructor.
  void emit(migration_event::kind what) noexcept {
    const auto& observer = c_.config().on_migration;
    if (!observer) return;
    last_event_ = std::chrono::steady_clock::now();
    migration_event e;
    e.what = what;
    e.component = p_.comp->name;
    e.number = p_.m->number;
    e.description = p_.m->description;
    e.bytes_needed = p_.bytes_needed;
    e.done = done_;
    e.total = total_;
    e.unit = unit_;
    e.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(last_event_ - started_);
    e.applied_elsewhere = applied_elsewhere_;
    try {
      observer(e);
    } catch (...) {
      // An observer's failure must not roll back the migration it watches.
    }
  }

  static int on_sqlite_progress(void* self) {
    auto* run = static_cast<migration_run*>(self);
    if (std::chrono::steady_clock::now() - run->last_event_ >= run->c_.config().migration_heartbeat)
      run->emit(migration_event::kind::heartbeat);
    return 0;  // non-zero would interrupt the statement
  }

  detail::connection& c_;
  const detail::pending& p_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_event_;
  std::uint64_t done_ = 0;
  std::uint64_t total_ = 0;
  std::string unit_;
  bool finished_ = false;
  bool applied_elsewhere_ = false;
};

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
    if (auto e = component_error(c.db(), c.config().path, *comp)) throw error_exception(*e);
}

void refuse_read_only_pending(connection& c, const std::vector<const component*>& components) {
  // A file this user may only read (a BI group's member running `status`) cannot be migrated:
  // say so rather than fail on the first write.
  // A file before schema_migrations needs its conversion, a write, even with nothing pending.
  if (sqlite3_db_readonly(c.db().getHandle(), "main") == 1 &&
      (!c.db().tableExists("schema_migrations") || !plan(c, components, false).empty()))
    throw error_exception(error(
        errc::store_schema,
        "store " + c.config().path.string() +
            ": this lpda-sync must update the database's schema first, and this user may only "
            "read the file; run lpda-sync once as the user that writes it (e.g. start the "
            "service), then read it again"));
}

std::vector<pending> plan(connection& c, const std::vector<const component*>& components,
                          bool estimate) {
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
  // Before the conversion to schema_migrations, a file at user_version N applied exactly the
  // migrations whose legacy_version is 1..N.
  const bool converted = db.tableExists("schema_migrations");
  const int legacy = converted ? 0 : c.user_version();
  // Pending migrations in order of generation across components (a migration of generation 0
  // takes its predecessor's in the component): so at every instant a kill may leave, the file
  // holds every migration of the generations up to its user_version, which is all a build from
  // before schema_migrations checks. Stable: a component's own order is kept.
  std::vector<pending> todo;
  for (const component* comp : components) {
    const int applied = converted ? last_applied(db, *comp) : 0;
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
      const bool done =
          converted ? m.number <= applied : m.legacy_version != 0 && m.legacy_version <= legacy;
      if (!done) todo.push_back({comp, &m, order, 0});
    }
  }
  std::stable_sort(todo.begin(), todo.end(),
                   [](const pending& a, const pending& b) { return a.order < b.order; });
  for (auto& p : todo)
    if (estimate && p.m->bytes_needed != nullptr) p.bytes_needed = p.m->bytes_needed(db);
  return todo;
}

void migrate(connection& c, const std::vector<const component*>& components) {
  auto& db = c.db();
  // Computed before anything is written, so a refusal for want of disk leaves the file exactly
  // as it was, not converted and with none of the pending migrations applied.
  const std::vector<pending> todo = plan(c, components, true);
  for (const auto& p : todo) check_free_disk(c, p, true);
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
  bool first = true;
  for (const auto& p : todo) {
    // Free space may have shrunk since (the migrations before this one, other writers).
    if (!first) check_free_disk(c, p, false);
    first = false;
    const auto* comp = p.comp;
    const auto* m = p.m;
    const std::string name(comp->name);
    migration_run run(c, p);
    bool elsewhere = false;
    auto r = c.write("migration " + std::to_string(m->number) + " of " + name, [&] {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      elsewhere = last_applied(db, *comp) >= m->number;
      if (elsewhere) return;
      db.exec(std::string(m->sql));
      if (m->run != nullptr) {
        migration_context ctx(
            db, [&run](std::uint64_t done, std::uint64_t total, std::string_view unit) {
              run.progress(done, total, unit);
            });
        m->run(ctx);
      }
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
    if (!r) {
      // SQLITE_FULL: the database's file system, or the one under SQLite's temporary directory
      // where a rebuild's sort spills (the free-disk check sees only the former).
      if (std::string_view(r.error().what()).find("database or disk is full") !=
          std::string_view::npos)
        throw error_exception(error(
            errc::store_full,
            std::string(r.error().what()) +
                "; rolled back, nothing was changed. Free disk where the database is, and where "
                "SQLite keeps temporary files ($SQLITE_TMPDIR, else /var/tmp, /usr/tmp or /tmp), "
                "then run it again"));
      throw error_exception(r.error());
    }
    run.finish(elsewhere);
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

namespace lpda::sqlite {

namespace {

struct finalize {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using raw_statement = std::unique_ptr<sqlite3_stmt, finalize>;

raw_statement prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  if (const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
      rc != SQLITE_OK) {
    sqlite3_finalize(st);
    throw SQLite::Exception(db, rc);
  }
  return raw_statement(st);
}

}  // namespace

// Through the C API: a row's values go from one statement to the other as they are (type and
// bytes), without a conversion through C++ types, which SQLiteCpp's statements would need.
std::uint64_t copy_rows(migration_context& ctx, std::string_view select_sql,
                        std::string_view insert_sql, std::uint64_t total, std::string_view unit,
                        std::uint64_t every) {
  sqlite3* db = ctx.db().getHandle();
  const auto from = prepare(db, select_sql);
  const auto to = prepare(db, insert_sql);
  const int columns = sqlite3_column_count(from.get());
  if (sqlite3_bind_parameter_count(to.get()) != columns)
    throw SQLite::Exception(
        "copy_rows: the INSERT takes " + std::to_string(sqlite3_bind_parameter_count(to.get())) +
            " parameters, the SELECT yields " + std::to_string(columns) + " columns",
        SQLITE_MISUSE);
  if (every == 0) every = 1;
  std::uint64_t done = 0;
  for (;;) {
    const int rc = sqlite3_step(from.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw SQLite::Exception(db, rc);
    for (int i = 0; i < columns; ++i)
      if (const int b = sqlite3_bind_value(to.get(), i + 1, sqlite3_column_value(from.get(), i));
          b != SQLITE_OK)
        throw SQLite::Exception(db, b);
    if (const int w = sqlite3_step(to.get()); w != SQLITE_DONE) throw SQLite::Exception(db, w);
    sqlite3_reset(to.get());
    if (++done % every == 0) ctx.progress(done, total, unit);
  }
  if (done % every != 0 || done == 0) ctx.progress(done, total, unit);
  return done;
}

std::uint64_t table_bytes(SQLite::Database& db, std::string_view name) {
  SQLite::Statement st(db,
                       "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?1 AND "
                       "aggregate = TRUE");
  const std::string n(name);
  st.bind(1, n);
  st.executeStep();
  return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
}

result<std::uint64_t> free_disk_bytes(const std::filesystem::path& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0)
    return error(errc::store_io,
                 "cannot read the free disk of " + dir.string() + ": " + std::strerror(errno));
  return static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
}

result<std::vector<planned_migration>> pending_migrations(
    const std::filesystem::path& path, const std::vector<data_type_store>& data_types) {
  std::vector<const component*> components{&core_component()};
  for (const auto& t : data_types) components.push_back(&t.schema);
  std::vector<planned_migration> out;
  std::error_code fs_ec;
  if (!std::filesystem::exists(path, fs_ec)) {
    // A new file gets every migration, on empty tables.
    settings s;
    s.path = ":memory:";
    detail::connection c(s, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& p : detail::plan(c, components, false))
      out.push_back({std::string(p.comp->name), p.m->number, std::string(p.m->description), 0});
    return out;
  }
  settings s;
  s.path = path;
  try {
    detail::connection c(s, SQLite::OPEN_READONLY);
    detail::refuse_newer(c, components);
    for (const auto& p : detail::plan(c, components, true))
      out.push_back(
          {std::string(p.comp->name), p.m->number, std::string(p.m->description), p.bytes_needed});
    return out;
  } catch (const error_exception& e) {
    return e.err();
  } catch (const SQLite::Exception& e) {
    return error(detail::is_busy(e) ? errc::store_busy : errc::store_io,
                 "store " + path.string() + ": " + e.what());
  }
}

}  // namespace lpda::sqlite
