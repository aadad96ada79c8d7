// Child process of the migration kill test: opens a database at the rebuild component's first
// version with its second, so the store runs the rebuild (migration_components.hpp).
//   store_migration_child <db path> stall    prints "copying" once 2000 rows are copied, then
//                                            sleeps inside the migration's transaction until
//                                            killed
//   store_migration_child <db path> finish   runs the migration to its end
// A small page cache makes the copy spill pages to the WAL before the kill, as a big table would.
#include "migration_components.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[2], "stall") != 0 && std::strcmp(argv[2], "finish") != 0)) {
    std::fprintf(stderr, "usage: store_migration_child <db> stall|finish\n");
    return 2;
  }
  const bool stall = std::strcmp(argv[2], "stall") == 0;
  try {
    lpda::sqlite::settings s;
    s.path = argv[1];
    s.cache_kib = 64;
    s.on_migration = [stall](const lpda::sqlite::migration_event& e) {
      if (!stall || e.what != lpda::sqlite::migration_event::kind::progress || e.done < 2000)
        return;
      std::printf("copying %llu of %llu\n", static_cast<unsigned long long>(e.done),
                  static_cast<unsigned long long>(e.total));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::minutes(10));
    };
    auto db = lpda::store::test::open_rebuild(s, 2);
    std::printf("migrated\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_migration_child: %s\n", e.what());
    return 1;
  }
}
