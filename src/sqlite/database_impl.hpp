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
};

}  // namespace lpda::sqlite
