#pragma once
// What the sync tests against a scripted Data Access stand-in share: the stand-in itself, HTTP
// retries that give up at once, downloads answered from a map, the ledger by key, and file keys
// and listing entries of the Data Access naming.
#include "lpda/http/client.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/store_worker.hpp"
#include "test_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

/// One entry of a listing's `file` array: `name` at `href`, scoped 2026-01-01T09:00Z to 10:00Z.
inline std::string listing_entry(const std::string& name, const std::string& href) {
  return R"({"@name": ")" + name + R"(", "@scopeStartDate": "2026-01-01T09:00:00Z",
             "@scopeEndDate": "2026-01-01T10:00:00Z", "@href": ")" +
         href + R"("})";
}

/// An IMF-fixdate (RFC 9110 §5.6.7) of epoch ms, written with the C library, not the parser under
/// test.
inline std::string http_date(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

/// The scripted Data Access stand-in on 127.0.0.1: `listed_at` answers with the listing set by
/// the test (status `listing_status`), any other path with its body from `bodies` or a 404.
/// Counts downloads by path. Every answer carries `date` as its Date header, when set. Its
/// handler runs on the server's thread: a test changes the fields under `mu` (the members do).
struct fake_api {
  std::mutex mu;
  std::string listed_at;  ///< the path that answers with the listing
  std::string listing;
  std::optional<std::string> date;
  unsigned listing_status = 200;
  std::vector<std::string> listing_queries;  ///< the query of each listing request
  std::map<std::string, std::string> bodies;
  std::map<std::string, int> downloads;
  std::unique_ptr<lpda::test::http::test_server> server;
  std::string base;

  explicit fake_api(std::string listing_path) : listed_at(std::move(listing_path)) {
    using namespace lpda::test::http;
    server = std::make_unique<test_server>(
        server_options{}, [this](const received_request& rq, std::size_t) {
          std::lock_guard lock(mu);
          reply r;
          if (date) r.headers.emplace_back("Date", *date);
          const std::string path = rq.target.substr(0, rq.target.find('?'));
          if (path == listed_at) {
            listing_queries.push_back(rq.target.substr(path.size()));
            r.status = listing_status;
            r.body = listing;
            return r;
          }
          auto d = download(bodies, downloads, path);
          d.headers = std::move(r.headers);
          return d;
        });
    base = "http://127.0.0.1:" + std::to_string(server->port());
  }
  /// The listing: `files_json` (a JSON array of `listing_entry`s, or another value) as `file`.
  void set_listing(const std::string& files_json) {
    std::lock_guard lock(mu);
    listing = R"({"dataAccessFiles": {"@id": "42", "file": )" + files_json + "}}";
  }
  int downloads_of(const std::string& path) {
    std::lock_guard lock(mu);
    return downloads[path];
  }
  void set_date(std::optional<std::int64_t> ms) {
    std::lock_guard lock(mu);
    date = ms ? std::optional(http_date(*ms)) : std::nullopt;
  }
  std::vector<std::string> queries() {
    std::lock_guard lock(mu);
    return listing_queries;
  }
};

}  // namespace lpda::test::sync
