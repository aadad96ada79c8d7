#pragma once
// What the sync tests against a scripted Data Access stand-in share: HTTP retries that give up
// at once, downloads answered from a map, the ledger by key, and file keys of the Data Access
// naming.
#include "lpda/http/client.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/store_worker.hpp"
#include "test_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace lpda::test::sync {

/// One attempt per request, short delays: a failure shows in the poll that met it.
inline lpda::http::retry_settings one_attempt() {
  using namespace std::chrono_literals;
  lpda::http::retry_settings r;
  r.max_attempts = 1;
  r.delays = {5ms};
  r.throttle_min = 5ms;
  r.jitter = 0ms;
  return r;
}

/// Every ledger row of `account`, by key.
inline std::map<std::string, lpda::store::file_record> ledger_of(lpda::sync::store_worker& store,
                                                                 const std::string& account) {
  auto files = store.database_unsafe().list_files(account, std::nullopt);
  REQUIRE(files.has_value());
  std::map<std::string, lpda::store::file_record> out;
  for (auto& f : *files) out[f.key] = f;
  return out;
}

/// A download of `path`: its body from `bodies`, or a 404; counted in `downloads` either way.
inline lpda::test::http::reply download(const std::map<std::string, std::string>& bodies,
                                        std::map<std::string, int>& downloads,
                                        const std::string& path) {
  ++downloads[path];
  lpda::test::http::reply r;
  if (const auto it = bodies.find(path); it != bodies.end())
    r.body = it->second;
  else
    r.status = 404;
  return r;
}

/// `<prefix>.<start_ms>.<end_ms>.part-<part, 5 digits>-0`.
inline std::string file_key(const std::string& prefix, std::int64_t start_ms, std::int64_t end_ms,
                            int part) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%05d", part);
  return prefix + "." + std::to_string(start_ms) + "." + std::to_string(end_ms) + ".part-" + buf +
         "-0";
}

}  // namespace lpda::test::sync
