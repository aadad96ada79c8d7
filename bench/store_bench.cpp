// Store throughput: 1,000,000 generated Agent Activity events in files of 10,000, ingested
// through lpda::store::database (event upsert + agents + sessions + ledger, one transaction per
// file) — fresh, re-ingested unchanged, and re-ingested with a changed attribute (every row a
// conflict) — beside a raw INSERT of the same rows into a table without a key, one transaction
// per file. Prints rows/s side by side and the database size per million events.
//   store_bench [total events] [events per file] [directory]
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/agent_activity/event.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <time.h>
#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

// Hands out pre-cut batches by swapping them into the caller's vector, so the timed ingest
// measures the store, not copies of events (the decoder's own cost is decode_bench's business).
class batch_source final : public lpda::agent_activity::event_source {
 public:
  explicit batch_source(const std::vector<lpda::agent_activity::event>& events,
                        std::size_t batch = 1024) {
    for (std::size_t i = 0; i < events.size(); i += batch) {
      batches_.emplace_back(
          events.begin() + static_cast<std::ptrdiff_t>(i),
          events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + batch)));
    }
  }
  lpda::result<bool> read_batch(std::vector<lpda::agent_activity::event>& out) override {
    out.clear();
    if (next_ == batches_.size()) return false;
    out.swap(batches_[next_++]);
    return true;
  }

 private:
  std::vector<std::vector<lpda::agent_activity::event>> batches_;
  std::size_t next_ = 0;
};

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// File `index`: sessions of 20 events (login, state and chat changes, logout) of agents drawn
// from 2,000, timestamps inside the file's hour, realistic attribute strings.
std::vector<lpda::agent_activity::event> make_file_events(int index, int count,
                                                         const std::string& nick_suffix) {
  std::vector<lpda::agent_activity::event> out;
  out.reserve(static_cast<std::size_t>(count));
  const std::int64_t hour = 1709510400000 + std::int64_t{index} * 3600000;
  std::uint64_t r = mix(static_cast<std::uint64_t>(index) + 1);
  for (int i = 0; i < count; ++i) {
    r = mix(r);
    const int in_session = i % 20;
    const std::int64_t session = std::int64_t{index} * 100000 + i / 20;
    const std::int64_t agent =
        1 + static_cast<std::int64_t>(mix(static_cast<std::uint64_t>(session)) % 2000);
    lpda::agent_activity::event e;
    e.agent_session_id = "13350576-" + std::to_string(684867733 + session);
    e.agent_id = 2000000000 + agent;
    e.timestamp_ms = hour + in_session * 170000 + static_cast<std::int64_t>(r % 1000);
    e.type = in_session == 0 ? 3 : in_session == 19 ? 4 : (r & 1) ? 1 : 2;
    e.state = e.type == 4 ? 1 : 2 + static_cast<std::int64_t>((r >> 8) % 3);
    e.prev_state = in_session == 0 ? 1 : 2;
    e.prev_concurrent_eng = static_cast<std::int64_t>((r >> 16) % 4);
    e.concurrent_eng = static_cast<std::int64_t>((r >> 20) % 4);
    e.max_concurrent_eng = (e.type == 3 || e.type == 4) ? -9 : 4;
    e.agent_group_id = agent % 50;
    e.agent_employee_id = "E" + std::to_string(100000 + agent);
    e.agent_username = "agent" + std::to_string(agent) + "@example.com";
    e.agent_nickname = "Agent " + std::to_string(agent) + nick_suffix;
    e.agent_loginname = "agent" + std::to_string(agent);
    out.push_back(std::move(e));
  }
  return out;
}

lpda::data_file file_for(int index) {
  lpda::data_file f;
  const std::int64_t start = 1709510400000 + std::int64_t{index} * 3600000;
  f.key =
      "Agent." + std::to_string(start) + "." + std::to_string(start + 3600000) + ".part-00001-0";
  f.name = f.key + ".gz";
  f.href = "https://va-a.da.liveperson.net/data_access_le/" + f.name;
  f.part = 1;
  f.scope_start_ms = start;
  f.scope_end_ms = start + 3600000;
  return f;
}

// CPU time of this (single) thread, user + system, in seconds: the machine may be shared, and
// CPU time does not count the time other processes held the cores.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct run_result {
  double seconds = 0;      // wall
  double cpu_seconds = 0;  // user + system of this thread
  std::uint64_t rows = 0;
  std::uint64_t inserted = 0;
  double rate() const { return cpu_seconds > 0 ? static_cast<double>(rows) / cpu_seconds : 0; }
  double wall_rate() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

// Times one step in wall and CPU seconds.
class timer {
 public:
  explicit timer(run_result& r) : r_(r), wall_(clock_type::now()), cpu_(thread_cpu_seconds()) {}
  ~timer() {
    r_.seconds += std::chrono::duration<double>(clock_type::now() - wall_).count();
    r_.cpu_seconds += thread_cpu_seconds() - cpu_;
  }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

 private:
  run_result& r_;
  clock_type::time_point wall_;
  double cpu_;
};

// Binds on SQLite's C API, text without a copy — as the store binds its event upsert, so the two
// rates differ by what SQLite does with the row, not by the cost of getting it there.
void bind_text(sqlite3_stmt* st, int i, const std::string& v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt(sqlite3_stmt* st, int i, const std::optional<std::string>& v) {
  v ? bind_text(st, i, *v) : void(sqlite3_bind_null(st, i));
}
void bind_opt(sqlite3_stmt* st, int i, const std::optional<std::int64_t>& v) {
  v ? void(sqlite3_bind_int64(st, i, *v)) : void(sqlite3_bind_null(st, i));
}

// A table with the same columns and no key, filled with plain INSERTs, one transaction per file.
class raw_table {
 public:
  explicit raw_table(const std::filesystem::path& path)
      : db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX),
        ins_(prepare(db_)) {}
  ~raw_table() { sqlite3_finalize(ins_); }
  raw_table(const raw_table&) = delete;
  raw_table& operator=(const raw_table&) = delete;

  void insert_file(const std::vector<lpda::agent_activity::event>& events, const std::string& key,
                   run_result& res) {
    timer t(res);
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    bind_text(ins_, 1, account_);
    bind_text(ins_, 17, key);
    sqlite3_bind_int64(ins_, 18, std::int64_t{1709600000000});
    sqlite3_bind_null(ins_, 16);
    for (const auto& e : events) {
      bind_text(ins_, 2, e.agent_session_id);
      sqlite3_bind_int64(ins_, 3, e.agent_id);
      sqlite3_bind_int64(ins_, 4, e.timestamp_ms);
      sqlite3_bind_int64(ins_, 5, e.type);
      sqlite3_bind_int64(ins_, 6, e.state);
      sqlite3_bind_int64(ins_, 7, e.prev_state);
      sqlite3_bind_int64(ins_, 8, e.prev_concurrent_eng);
      sqlite3_bind_int64(ins_, 9, e.concurrent_eng);
      bind_opt(ins_, 10, e.max_concurrent_eng);
      bind_opt(ins_, 11, e.agent_group_id);
      bind_opt(ins_, 12, e.agent_employee_id);
      bind_opt(ins_, 13, e.agent_username);
      bind_opt(ins_, 14, e.agent_nickname);
      bind_opt(ins_, 15, e.agent_loginname);
      const int rc = sqlite3_step(ins_);
      sqlite3_reset(ins_);
      if (rc != SQLITE_DONE) throw SQLite::Exception(db_.getHandle(), rc);
      ++res.rows;
    }
    tx.commit();
  }

  void checkpoint() { db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

 private:
  static sqlite3_stmt* prepare(SQLite::Database& db) {
    // The same page size, journal, sync and cache settings as the store's own database.
    db.exec("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA cache_size = -" + std::to_string(lpda::sqlite::settings{}.cache_kib));
    db.exec(R"sql(CREATE TABLE raw_events (
      account_id TEXT NOT NULL, agent_session_id TEXT NOT NULL, agent_id INTEGER NOT NULL,
      timestamp_ms INTEGER NOT NULL, type INTEGER NOT NULL, state INTEGER NOT NULL,
      prev_state INTEGER NOT NULL, prev_concurrent_eng INTEGER NOT NULL, concurrent_eng INTEGER NOT NULL,
      max_concurrent_eng INTEGER, agent_group_id INTEGER, agent_employee_id TEXT, agent_username TEXT,
      agent_nickname TEXT, agent_loginname TEXT, user_profile_ids TEXT, source_file_key TEXT NOT NULL,
      ingested_at_ms INTEGER NOT NULL, updated_at_ms INTEGER))sql");
    const std::string sql =
        "INSERT INTO raw_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12, ?13, ?14, ?15, ?16, ?17, ?18, NULL)";
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db.getHandle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                      &st, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db.getHandle(), rc);
    return st;
  }

  SQLite::Database db_;
  sqlite3_stmt* ins_;
  std::string account_ = "13350576";
};

void ingest_file(lpda::store::database& db, int index,
                 const std::vector<lpda::agent_activity::event>& events, run_result& res) {
  batch_source src(events);
  lpda::result<lpda::store::ingest_summary> r;
  {
    timer t(res);
    r = db.ingest_file("13350576", "agentActivity", file_for(index), src, 1709600000000);
  }
  if (!r) {
    std::fprintf(stderr, "ingest failed: %s\n", r.error().what().c_str());
    std::exit(1);
  }
  res.rows += r->events_read;
  res.inserted += r->events_inserted;
}

double file_mib(const std::filesystem::path& p) {
  return static_cast<double>(std::filesystem::file_size(p)) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  const long total = argc > 1 ? std::atol(argv[1]) : 1000000;
  const int per_file = argc > 2 ? std::atoi(argv[2]) : 10000;
  const std::filesystem::path dir = argc > 3
                                        ? std::filesystem::path(argv[3])
                                        : std::filesystem::temp_directory_path() /
                                              ("lpda-store-bench-" + std::to_string(::getpid()));
  const int files = static_cast<int>(total / per_file);
  std::filesystem::create_directories(dir);
  const auto store_path = dir / "store.db";
  const auto raw_path = dir / "raw.db";
  for (const auto& p : {store_path, raw_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  }

  std::printf(
      "store_bench: %d files x %d events = %ld events (SQLite %s, synchronous=NORMAL, WAL)\n",
      files, per_file, static_cast<long>(files) * per_file, SQLite::VERSION);
  // Raw insert and fresh upsert alternate file by file, so load from other processes on the
  // machine falls on both alike.
  run_result raw, fresh, again, changed;
  {
    raw_table table(raw_path);
    lpda::sqlite::settings s;
    s.path = store_path;
    auto db = lpda::sqlite::database::open(s, {lpda::agent_activity::sqlite::data_type()});
    for (int i = 0; i < files; ++i) {
      const auto events = make_file_events(i, per_file, "");
      table.insert_file(events, file_for(i).key, raw);
      ingest_file(db, i, events, fresh);
    }
    table.checkpoint();
    for (int i = 0; i < files; ++i) ingest_file(db, i, make_file_events(i, per_file, ""), again);
    for (int i = 0; i < files; ++i)
      ingest_file(db, i, make_file_events(i, per_file, " (renamed)"), changed);
  }
  {
    SQLite::Database db(store_path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const double millions = static_cast<double>(fresh.rows) / 1e6;

  std::printf("%-44s %10s %14s %8s %14s %8s\n", "run", "rows", "rows/CPU s", "vs raw",
              "rows/wall s", "vs raw");
  auto line = [&](const char* name, const run_result& r) {
    std::printf("%-44s %10llu %14.0f %7.0f%% %14.0f %7.0f%%\n", name,
                static_cast<unsigned long long>(r.rows), r.rate(),
                raw.rate() > 0 ? 100.0 * r.rate() / raw.rate() : 0.0, r.wall_rate(),
                raw.wall_rate() > 0 ? 100.0 * r.wall_rate() / raw.wall_rate() : 0.0);
  };
  line("raw INSERT, table without a key", raw);
  line("upsert, fresh (agents + sessions + ledger)", fresh);
  line("upsert, re-ingest unchanged (all conflicts)", again);
  line("upsert, re-ingest changed nickname", changed);
  std::printf("fresh rows inserted: %llu; re-ingest inserted: %llu and %llu\n",
              static_cast<unsigned long long>(fresh.inserted),
              static_cast<unsigned long long>(again.inserted),
              static_cast<unsigned long long>(changed.inserted));
  std::printf("database size per million events: store %.1f MiB, raw table %.1f MiB\n",
              file_mib(store_path) / millions, file_mib(raw_path) / millions);
  std::printf("target: fresh upsert >= 60%% of raw insert (CPU time): %s\n",
              fresh.rate() >= 0.6 * raw.rate() ? "met" : "NOT met");
  if (argc <= 3) std::filesystem::remove_all(dir);
  return 0;
}
