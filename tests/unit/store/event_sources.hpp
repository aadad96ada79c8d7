#pragma once
// Test-only event sources and a deterministic event generator for the store tests.
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/core/data_file.hpp"
#include "lpda/agent_activity/event.hpp"
#include "lpda/sqlite/database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lpda::store::test {

/// The SQLite store with Agent Activity's writer, as the composition root opens it.
inline lpda::sqlite::database open_store(const lpda::sqlite::settings& s,
                                         agent_activity::sqlite::writer_settings w = {}) {
  return lpda::sqlite::database::open(s, {agent_activity::sqlite::data_type(w)});
}

/// Makes `path` a database of the version before `schema_migrations` at user_version `version`
/// (1..4): the kept global migrations (tests/data/store/legacy_vN.sql, verbatim), each in one
/// transaction with its user_version, as that version applied them.
inline void make_legacy_database(const std::filesystem::path& path, int version,
                                 const std::filesystem::path& data_dir) {
  SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (int v = 1; v <= version; ++v) {
    std::ifstream in(data_dir / "store" / ("legacy_v" + std::to_string(v) + ".sql"));
    if (!in) throw std::runtime_error("missing legacy schema " + std::to_string(v));
    std::ostringstream sql;
    sql << in.rdbuf();
    SQLite::Transaction tx(raw, SQLite::TransactionBehavior::IMMEDIATE);
    raw.exec(sql.str());
    raw.exec("PRAGMA user_version = " + std::to_string(v));
    tx.commit();
  }
}

/// Serves a vector in batches of `batch_size`. Optionally fails after `fail_after_batches`
/// batches, by throwing (`throws`) or by returning `failure`.
class vector_event_source final : public agent_activity::event_source {
 public:
  explicit vector_event_source(std::vector<agent_activity::event> events,
                               std::size_t batch_size = 1000)
      : events_(std::move(events)), batch_size_(batch_size) {}

  void fail_after(std::size_t batches, bool throws, lpda::error failure = {}) {
    fail_after_ = batches;
    throws_ = throws;
    failure_ = std::move(failure);
  }

  result<bool> read_batch(std::vector<agent_activity::event>& out) override {
    out.clear();
    if (batches_served_ == fail_after_) {
      if (throws_) throw std::runtime_error("event source failed mid-file");
      return failure_;
    }
    const auto end = std::min(events_.size(), pos_ + batch_size_);
    out.assign(events_.begin() + static_cast<std::ptrdiff_t>(pos_),
               events_.begin() + static_cast<std::ptrdiff_t>(end));
    pos_ = end;
    ++batches_served_;
    calls_++;
    return !out.empty();
  }

  std::size_t calls() const { return calls_; }

 private:
  std::vector<agent_activity::event> events_;
  std::size_t batch_size_;
  std::size_t pos_ = 0;
  std::size_t batches_served_ = 0;
  std::size_t calls_ = 0;
  std::size_t fail_after_ = static_cast<std::size_t>(-1);
  bool throws_ = false;
  lpda::error failure_;
};

/// A ledger entry for a test file named `key`, scoped to the hour starting at `scope_start_ms`.
inline data_file make_file(const std::string& key, std::int64_t scope_start_ms = 1709510400000) {
  data_file f;
  f.key = key;
  f.name = key + ".gz";
  f.href = "https://va.da.liveperson.net/files/" + key + ".gz";
  f.part = 1;
  f.scope_start_ms = scope_start_ms;
  f.scope_end_ms = scope_start_ms + 3600000;
  return f;
}

/// A small deterministic PRNG (SplitMix64) so that a generator run in another process yields the
/// same events from the same seed.
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

/// The events of generated file number `index`: `count` events in sessions of ~20 events, each
/// session id unique to the file (so files never share a natural key), distinct timestamps
/// within a session, agent attributes varying with the agent.
inline std::vector<agent_activity::event> generate_file_events(std::uint64_t seed, int index,
                                                              int count) {
  splitmix64 rng(seed * std::uint64_t{1000003} + static_cast<std::uint64_t>(index));
  std::vector<agent_activity::event> out;
  out.reserve(static_cast<std::size_t>(count));
  const std::int64_t hour_start = 1709510400000 + static_cast<std::int64_t>(index) * 3600000;
  int session = 0;
  while (static_cast<int>(out.size()) < count) {
    const std::int64_t agent = rng.uniform(1, 200);
    const std::string sid = std::to_string(index) + "-" + std::to_string(session++);
    std::int64_t t = hour_start + rng.uniform(0, 600000);
    std::int64_t state = 1;
    std::int64_t conc = 0;
    const int n = std::min<int>(20, count - static_cast<int>(out.size()));
    for (int i = 0; i < n; ++i) {
      agent_activity::event e;
      e.agent_session_id = sid;
      e.agent_id = agent;
      e.timestamp_ms = t;
      e.prev_state = state;
      e.prev_concurrent_eng = conc;
      if (i == 0) {
        e.type = 3;
        state = 2;
      } else if (i == n - 1) {
        e.type = 4;
        state = 1;
      } else if (rng.uniform(0, 2) == 0) {
        e.type = 1;
        conc = std::max<std::int64_t>(0, conc + (rng.uniform(0, 1) == 0 ? 1 : -1));
      } else {
        e.type = 2;
        state = std::int64_t{2} + rng.uniform(0, 2);  // 2, 3 or 4
      }
      e.state = state;
      e.concurrent_eng = conc;
      e.max_concurrent_eng = (e.type == 3 || e.type == 4) ? std::int64_t{-9} : std::int64_t{5};
      e.agent_group_id = agent % 7;
      e.agent_employee_id = "E" + std::to_string(agent);
      e.agent_username = "user" + std::to_string(agent);
      e.agent_nickname = "Agent " + std::to_string(agent);
      e.agent_loginname = "login" + std::to_string(agent);
      out.push_back(std::move(e));
      t += rng.uniform(1, 60000);
    }
  }
  return out;
}

}  // namespace lpda::store::test
