#pragma once
// Private to the sqlite module: the state behind `sqlite::database`, shared by the files that
// implement its parts (open and ingest in database.cpp, ledger and checkpoints in ledger.cpp).
#include "connection.hpp"
#include "lpda/sqlite/database.hpp"

#include <memory>
#include <vector>

namespace lpda::sqlite {

struct database::impl {
  detail::connection conn_;
  std::vector<data_type_store> types_;
  // One per entry of types_, made after the migrations; declared after conn_ so they are
  // destroyed before the connection their statements belong to.
  std::vector<std::unique_ptr<record_writer>> writers_;

  impl(settings s, int flags) : conn_(std::move(s), flags) {}

  // Before the connection closes: copy what the WAL holds into the database file without
  // waiting for readers (a passive checkpoint never blocks them). With checkpoints every
  // `checkpoint_kib` (128 MiB), a small database can otherwise live in its WAL; SQLite's own
  // checkpoint at close needs every reader gone, and takes a moment during which readers without
  // a busy timeout are refused — short once this one has copied the pages. Errors are ignored:
  // the WAL stays valid, and the next writer checkpoints it.
  ~impl() {
    writers_.clear();
    sqlite3_exec(conn_.db().getHandle(), "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr,
                 nullptr);
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
};

}  // namespace lpda::sqlite
