// Child process of the store crash test: ingests generated files into a database, skipping those
// the ledger already has as done (as the daemon does after a restart), until killed or finished.
//   store_crash_child <db path> <seed> <files> <events per file>
#include "lpda/sqlite/database.hpp"

#include "event_sources.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: store_crash_child <db> <seed> <files> <events per file>\n");
    return 2;
  }
  try {
    lpda::sqlite::settings s;
    s.path = argv[1];
    const auto seed = std::strtoull(argv[2], nullptr, 10);
    const int files = std::atoi(argv[3]);
    const int events = std::atoi(argv[4]);
    auto db = lpda::store::test::open_store(s);
    for (int i = 0; i < files; ++i) {
      const std::string key = "gen-" + std::to_string(i);
      if (db.status_of("acct", "agentActivity", key).value() == lpda::store::file_status::done)
        continue;
      lpda::store::test::vector_event_source src(
          lpda::store::test::generate_file_events(seed, i, events), 250);
      auto r = db.ingest_file("acct", "agentActivity", lpda::store::test::make_file(key), src,
                              1700000000000 + i);
      if (!r) {
        std::fprintf(stderr, "ingest of %s failed: %s\n", key.c_str(), r.error().what().c_str());
        return 1;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_crash_child: %s\n", e.what());
    return 1;
  }
}
