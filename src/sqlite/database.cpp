// Opening the SQLite store (file mode, pragmas, the schema guard and migrations) and the one
// transaction per file. The ledger and checkpoint operations are in ledger.cpp.
#include "lpda/sqlite/database.hpp"

#include "database_impl.hpp"
#include "migrations.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace lpda::sqlite {
namespace {

// Writes the file's ledger row as done with its counts, in the ingest's transaction.
constexpr std::string_view sql_file_done = R"sql(
INSERT INTO files (account_id, data_type, file_key, name, href, part, scope_start_ms, scope_end_ms,
                   status, bytes, events, events_inserted, attempts, first_seen_ms, updated_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'done', ?9, ?10, ?11, 0, ?12, ?12)
ON CONFLICT DO UPDATE SET
  name = excluded.name, href = excluded.href, part = excluded.part,
  scope_start_ms = excluded.scope_start_ms, scope_end_ms = excluded.scope_end_ms,
  status = 'done', bytes = coalesce(excluded.bytes, files.bytes), events = excluded.events,
  events_inserted = coalesce(files.events_inserted, 0) + excluded.events_inserted,
  updated_ms = excluded.updated_ms
)sql";

}  // namespace

namespace detail {

// Creates a missing database file with exactly `mode` (umask cannot widen it; fchmod narrows
// nothing the caller did not ask for). SQLite later creates -wal and -shm with the main file's
// permission bits. An existing file is left as it is.
void create_with_mode(const std::filesystem::path& path, unsigned mode) {
  const int fd =
      ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) return;
    throw error_exception(error(errc::store_io, "store: cannot create database file " +
                                                    path.string() + ": " + std::strerror(errno)));
  }
  const int rc = ::fchmod(fd, static_cast<mode_t>(mode));
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    throw error_exception(error(errc::store_io, "store: cannot set mode of " + path.string() +
                                                    ": " + std::strerror(saved)));
  }
}

}  // namespace detail

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

namespace {

// SQLITE_BUSY while opening, outside a migration's transaction: the open is retried whole.
struct open_busy {
  error err;
};

// One try at opening, pragmas and migrations (see database::open).
std::unique_ptr<database::impl> open_once(const settings& s,
                                          const std::vector<data_type_store>& data_types) {
  using impl = database::impl;
  std::unique_ptr<impl> p;
  try {
    // NOMUTEX: one thread owns the connection (see the class comment), so SQLite's own
    // per-call locking is pure overhead.
    p = std::make_unique<impl>(s, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
    p->types_ = data_types;
    std::vector<const component*> components{&core_component()};
    for (const auto& t : p->types_) components.push_back(&t.schema);
    auto& db = p->conn_.db();
    // Refuse a newer schema before anything writes to the file (journal_mode=WAL would).
    detail::refuse_newer(p->conn_, components);
    detail::refuse_read_only_pending(p->conn_, components);
    // A new, empty file gets 4 KiB pages (only possible before WAL is on and a table exists).
    // Each file's sessions land at a few places in the middle of the events table; every such
    // place rewrites its leaf's neighbours and the interior pages above it in the file's commit,
    // and those writes scale with the page size. Measured on the realistic scenario
    // (docs/benchmarks.md): bytes written 3.34 x the database with 8 KiB pages, 2.92 x with
    // 4 KiB, same database size, no slower.
    if (p->conn_.user_version() == 0 &&
        db.execAndGet("SELECT count(*) FROM sqlite_master").getInt() == 0) {
      db.exec("PRAGMA page_size = 4096");
    }
    if (db.execAndGet("PRAGMA journal_mode = WAL").getString() != "wal") {
      throw error_exception(
          error(errc::store_io, "store " + s.path.string() + ": cannot enable WAL mode"));
    }
    // Keep the -wal and -shm files when the connection closes (the WAL is emptied, not
    // deleted): a reader that may not write the directory — a BI tool in the database's group,
    // with `file_mode` 0640 — can open a WAL database only while they exist
    // (https://www.sqlite.org/wal.html#readonly), also while the daemon is stopped.
    int persist_wal = 1;
    sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA cache_size = -" + std::to_string(s.cache_kib));
    db.exec(s.synchronous == synchronous_mode::full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");
    // Checkpoint once the WAL holds `checkpoint_kib`: pages that many commits change (interior
    // pages, sessions, a leaf's neighbours) are copied into the database once per checkpoint, not
    // once per commit's share of SQLite's default 1,000 pages.
    const int page_kib = std::max(1, db.execAndGet("PRAGMA page_size").getInt() / 1024);
    db.exec("PRAGMA wal_autocheckpoint = " +
            std::to_string(std::max(1, s.checkpoint_kib / page_kib)));
    // A WAL grown past that (one large transaction, e.g. a table rebuild) is cut back to it once
    // a checkpoint has emptied it, and to nothing when the last connection closes (the file is
    // kept, see above), instead of keeping its largest size on disk for good.
    db.exec("PRAGMA journal_size_limit = " + std::to_string(std::int64_t{s.checkpoint_kib} * 1024));
    detail::migrate(p->conn_, components);
    // Temporary storage in memory from here on: a multi-row upsert inside the file's transaction
    // keeps a statement journal (to undo that one statement), which SQLite otherwise spills to a
    // temporary file (`etilqs_*`) once it passes 64 KiB — thousands of writes per file for
    // nothing, since a crash discards it. A statement journal holds only the pages one statement
    // changed (a few per 64 rows). Set after the migrations: a rebuild's sort may be larger than
    // memory should hold, and spills to temporary files as it should.
    db.exec("PRAGMA temp_store = MEMORY");
    for (const auto& t : p->types_) p->writers_.push_back(t.make_writer(db));
  } catch (const SQLite::Exception& e) {
    error err(detail::is_busy(e) ? errc::store_busy : errc::store_io,
              "store " + s.path.string() + ": cannot open: " + e.what());
    if (detail::is_busy(e)) throw open_busy{std::move(err)};
    throw error_exception(std::move(err));
  }
  return p;
}

}  // namespace

database database::open(const settings& s, std::vector<data_type_store> data_types) {
  if ((s.file_mode & ~0777U) != 0 || (s.file_mode & 0007U) != 0) {
    throw error_exception(
        error(errc::config_invalid, "store: file_mode must not give permissions to others (got " +
                                        std::to_string(s.file_mode) + " decimal)"));
  }
  std::set<std::string> names;
  for (const auto& t : data_types) {
    if (!names.insert(t.data_type).second || t.schema.name != t.data_type || !t.make_writer)
      throw error_exception(error(errc::config_invalid,
                                  "store: data type " + t.data_type +
                                      " is given twice, without a writer, or under another name"));
  }
  detail::create_with_mode(s.path, s.file_mode);
  // Two processes opening one new file at the same instant: switching to WAL needs an exclusive
  // lock that SQLite may refuse at once (SQLITE_BUSY without the busy handler, to avoid a
  // deadlock). The open is then retried whole, like a transaction.
  // (A migration's own transactions retry on their own.)
  auto backoff = s.busy_backoff;
  for (int attempt = 0;; ++attempt) {
    try {
      return database(open_once(s, data_types));
    } catch (const open_busy& e) {
      if (attempt >= s.busy_retries) throw error_exception(e.err);
      detail::sleep_backoff(s, backoff);
    }
  }
}

const std::filesystem::path& database::path() const noexcept {
  return impl_->conn_.config().path;
}

int database::schema_version() {
  try {
    return impl_->conn_.user_version();
  } catch (const SQLite::Exception& e) {
    throw error_exception(impl_->conn_.sqlite_error(e, "schema version"));
  }
}

result<store::ingest_summary> database::ingest_file(std::string_view account,
                                                    std::string_view data_type,
                                                    const data_file& file, record_source& records,
                                                    std::int64_t now_ms,
                                                    std::optional<std::int64_t> file_bytes) {
  using namespace detail;
  auto& d = *impl_;
  auto& c = d.conn_;
  record_writer* writer = nullptr;
  for (std::size_t i = 0; i < d.types_.size(); ++i)
    if (d.types_[i].data_type == data_type) writer = d.writers_[i].get();
  if (writer == nullptr) {
    std::string known;
    for (const auto& t : d.types_) known += (known.empty() ? "" : ", ") + t.data_type;
    return error(errc::config_invalid,
                 "store " + c.config().path.string() + ": file " + file.key +
                     ": no writer for data type " + std::string(data_type) +
                     " (this store writes: " + (known.empty() ? "none" : known) + ")");
  }
  const std::string acc(account);
  const std::string type(data_type);
  const auto started = std::chrono::steady_clock::now();
  auto backoff = c.config().busy_backoff;
  for (int attempt = 0;; ++attempt) {
    bool consumed = false;
    try {
      SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
      consumed = true;
      auto counts = writer->write(acc, file.key, now_ms, records);
      if (!counts) return counts.error();
      store::ingest_summary sum;
      sum.events_read = counts->read;
      sum.events_inserted = counts->inserted;
      sum.events_updated = sum.events_read - sum.events_inserted;

      auto& f = c.stmt(sql_file_done);
      reset_guard g(f);
      bind_file(f, acc, type, file);
      bind_opt(f, 9, file_bytes);
      bind_int(f, 10, static_cast<std::int64_t>(sum.events_read));
      bind_int(f, 11, static_cast<std::int64_t>(sum.events_inserted));
      bind_int(f, 12, now_ms);
      f.exec();
      tx.commit();
      sum.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
      return sum;
    } catch (const SQLite::Exception& e) {
      // Once records were taken from the source they cannot be replayed: report, the caller
      // retries the file later. Before that, the whole transaction is simply run again.
      if (is_busy(e) && !consumed && attempt < c.config().busy_retries) {
        c.sleep_backoff(backoff);
        continue;
      }
      return c.sqlite_error(e, "ingest of file " + file.key);
    }
  }
}

}  // namespace lpda::sqlite
