// A data type that exists only in the tests (tests/unit/datatypes/probe_type: record, mapping,
// decoder, columns, and its SQLite part in sqlite/) synced end to end: listed, downloaded as gzip
// from a scripted Data Access stand-in on 127.0.0.1, decoded through the registry, stored by its
// own writer in a real SQLite file opened with Agent Activity's part beside it, and recorded in
// the ledger and the watermark.
//
// What the type needed besides its folder and its registry line (`datatypes::add`, here
// `probe_type::register_type`):
// - the one line handing its store part to the store, `types.push_back(<type>::sqlite::
//   data_type())` in src/cli/compose.cpp `sqlite_data_types()` (done here by `open_db`): the
//   SQLite store knows no data type, so the composition root lists the parts it opens with;
// - its generator in lpda-emulator (tests/emulator), for the product's integration tests
//   against the emulator; this test serves hand-written files instead, so it needs none;
// - nothing in sync, api, http, the ledger, the watermark or the quarantine: they take the type by
//   name from `account_settings::data_types`, and the decoder from the registry.
// A file from before `schema_migrations` converts with the type's migration run, not recorded
// unrun: the type's migration carries no `legacy_version` (the last test case).
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/api/data_access_client.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"
#include "lpda/sync/store_worker.hpp"
#include "probe_type/probe_type.hpp"
#include "probe_type/sqlite/probe_store.hpp"

#include "run_awaitable.hpp"
#include "sync_test_support.hpp"
#include "test_support.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
namespace probe_type = lpda::test::probe_type;
using namespace lpda::test::http;
using namespace std::chrono_literals;

namespace {

const std::string account = "42";
const std::string listing_path = "/data_access_le/account/42/le/" + std::string(probe_type::name);

// 2026-01-01T09:00Z and 10:00Z, epoch ms; the host's clock at the first poll is 10:30Z.
constexpr std::int64_t h9 = 1767258000000;
constexpr std::int64_t h10 = h9 + 3600000;
constexpr std::int64_t first_now = h10 + 1800000;

std::string key_of(int part) {
  return lpda::test::sync::file_key("Probe", h9, h10, part);
}

// A Data Access envelope (one NDJSON line) holding `records` (JSON objects, written out).
std::string envelope(const std::string& records) {
  return R"({"dataType":"probeType","recordCollection":[)" + records + "]}\n";
}

// The stand-in listing the parts served so far, each at /f/<part>.gz.
struct fake_api : lpda::test::sync::fake_api {
  std::vector<int> parts;

  fake_api() : lpda::test::sync::fake_api(listing_path) { set_listing("[]"); }
  void serve(int part, const std::string& ndjson) {
    std::string files;
    {
      std::lock_guard lock(mu);
      parts.push_back(part);
      bodies[path_of(part)] = lpda::test::gzip(ndjson);
      for (int p : parts) {
        if (!files.empty()) files += ',';
        files += lpda::test::sync::listing_entry(key_of(p) + ".gz", base + path_of(p));
      }
    }
    set_listing("[" + files + "]");
  }
  int downloads_of(int part) { return lpda::test::sync::fake_api::downloads_of(path_of(part)); }
  static std::string path_of(int part) { return "/f/" + std::to_string(part) + ".gz"; }
};

// One row of `probes`, read back with plain SQL.
struct probe_row {
  std::optional<std::int64_t> value;
  std::string source_file_key;
  bool updated = false;  ///< updated_at_ms set
  friend bool operator==(const probe_row&, const probe_row&) = default;
};

struct harness {
  lpda::test::temp_dir dir;
  asio::io_context io;
  lpda::http::client http;
  lpda::http::oauth1_auth auth{lpda::http::oauth1_signer({"k", "s", "t", "ts"})};
  lpda::api::data_access_client client;
  lpda::sync::store_worker store;
  lpda::sync::account_settings settings;
  std::int64_t host_now = first_now;

  // As the composition root opens it: every data type's store part; on a copy of `seed` when
  // one is given.
  static std::unique_ptr<lpda::store::database> open_db(const lpda::test::temp_dir& d,
                                                        const std::filesystem::path& seed) {
    lpda::sqlite::settings s;
    s.path = d / "lpda.db";
    if (!seed.empty()) std::filesystem::copy_file(seed, s.path);
    return std::make_unique<lpda::sqlite::database>(lpda::sqlite::database::open(
        s, {lpda::agent_activity::sqlite::data_type(), probe_type::sqlite::data_type()}));
  }

  harness(const fake_api& api, int quarantine_after, const std::filesystem::path& seed = {})
      : http(io.get_executor(), {}, lpda::test::sync::one_attempt()),
        client(
            http, auth, {api.base, account, {"127.0.0.1"}},
            lpda::http::server_clock([this] { return host_now; }, [] { return std::int64_t{0}; })),
        store(open_db(dir, seed)) {
    probe_type::register_type();
    settings.account_id = account;
    settings.data_types = {probe_type::name};
    settings.quarantine_after = quarantine_after;
    settings.initial_start_ms = h9;
    settings.overlap = 1h;
    settings.spool_dir = dir / "lpda.db.spool";
  }

  lpda::sync::poll_report poll() {
    auto reports =
        run(io, lpda::sync::poll_account(client, store, settings, [this] { return host_now; }));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].data_type == probe_type::name);
    return reports[0];
  }

  std::map<std::string, lpda::store::file_record> ledger() {
    return lpda::test::sync::ledger_of(store, account);
  }

  std::optional<std::int64_t> watermark() {
    auto w = store.database_unsafe().watermark(account, probe_type::name);
    REQUIRE(w.has_value());
    return *w;
  }

  // The probe table as (account, id) -> row, read on a connection of its own.
  std::map<std::pair<std::string, std::string>, probe_row> probes() const {
    SQLite::Database db(dir / "lpda.db", SQLite::OPEN_READONLY);
    SQLite::Statement st(db,
                         "SELECT account_id, id, value, source_file_key, updated_at_ms "
                         "FROM probes");
    std::map<std::pair<std::string, std::string>, probe_row> out;
    while (st.executeStep()) {
      probe_row r;
      if (!st.getColumn(2).isNull()) r.value = st.getColumn(2).getInt64();
      r.source_file_key = st.getColumn(3).getString();
      r.updated = !st.getColumn(4).isNull();
      out[{st.getColumn(0).getString(), st.getColumn(1).getString()}] = r;
    }
    return out;
  }

  std::int64_t count(const std::string& sql) const {
    SQLite::Database db(dir / "lpda.db", SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
  }
};

}  // namespace

TEST_SUITE("integration_sync") {
  TEST_CASE("a test-only data type syncs end to end and a second poll changes only what changed") {
    fake_api api;
    // Part 0: three probes in two documents, union wrappers on some values; part 1: two more.
    api.serve(0, envelope(R"({"id":"a","value":{"long":1}},{"id":{"string":"b"},"value":null})") +
                     envelope(R"({"value":3,"id":"c","extra":[1,2]})"));
    api.serve(1, envelope(R"({"id":"d","value":-7},{"id":"e"})"));
    harness h(api, 2);

    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.files_listed == 2);
    CHECK(r.files_done == 2);
    CHECK(r.events_read == 5);
    CHECK(r.events_inserted == 5);
    CHECK(r.window == lpda::sync::slice{h9, first_now});
    CHECK(r.watermark_after == std::optional<std::int64_t>(first_now));
    CHECK(h.watermark() == std::optional<std::int64_t>(first_now));

    const std::string k0 = key_of(0), k1 = key_of(1), k2 = key_of(2);
    using row_map = std::map<std::pair<std::string, std::string>, probe_row>;
    const row_map first{{{account, "a"}, {1, k0, false}},
                        {{account, "b"}, {std::nullopt, k0, false}},
                        {{account, "c"}, {3, k0, false}},
                        {{account, "d"}, {-7, k1, false}},
                        {{account, "e"}, {std::nullopt, k1, false}}};
    CHECK(h.probes() == first);
    auto ledger = h.ledger();
    REQUIRE(ledger.size() == 2);
    for (const auto& [key, events] : {std::pair{k0, 3}, std::pair{k1, 2}}) {
      CAPTURE(key);
      const auto& f = ledger.at(key);
      CHECK(f.status == lpda::store::file_status::done);
      CHECK(f.data_type == probe_type::name);
      CHECK(f.events == std::optional<std::int64_t>(events));
      CHECK(f.events_inserted == std::optional<std::int64_t>(events));
      CHECK(f.attempts == 0);
    }
    // Both parts of the schema were applied, Agent Activity's tables stay empty.
    CHECK(h.count("SELECT count(*) FROM schema_migrations WHERE component = 'probeType' AND "
                  "number = 1") == 1);
    CHECK(h.count("SELECT count(*) FROM schema_migrations WHERE component = 'agentActivity'") >= 1);
    CHECK(h.count("SELECT count(*) FROM agent_activity_events") == 0);

    // A minute later: the same two files are listed again, plus a re-processed file repeating
    // c unchanged and a with a new value.
    api.serve(2, envelope(R"({"id":"c","value":3},{"id":"a","value":10})"));
    h.host_now = first_now + 60000;
    r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.window == lpda::sync::slice{first_now - 3600000, first_now + 60000});
    CHECK(r.files_listed == 3);
    CHECK(r.files_skipped == 2);
    CHECK(r.files_done == 1);
    CHECK(r.events_read == 2);
    CHECK(r.events_inserted == 0);
    CHECK(api.downloads_of(0) == 1);
    CHECK(api.downloads_of(1) == 1);
    CHECK(api.downloads_of(2) == 1);
    CHECK(r.watermark_after == std::optional<std::int64_t>(first_now + 60000));
    CHECK(h.watermark() == std::optional<std::int64_t>(first_now + 60000));

    row_map second = first;
    second[{account, "a"}] = {10, k2, true};
    CHECK(h.probes() == second);
    ledger = h.ledger();
    REQUIRE(ledger.size() == 3);
    CHECK(ledger.at(k2).status == lpda::store::file_status::done);
    CHECK(ledger.at(k2).events == std::optional<std::int64_t>(2));
    CHECK(ledger.at(k2).events_inserted == std::optional<std::int64_t>(0));
    CHECK(ledger.at(k0).events == std::optional<std::int64_t>(3));
    CHECK(ledger.at(k1).events == std::optional<std::int64_t>(2));
  }

  TEST_CASE(
      "a malformed file of a test-only data type fails then is quarantined while the others are "
      "stored") {
    fake_api api;
    api.serve(0, envelope(R"({"id":"a","value":1})"));
    // A record without its id, after one that would be stored: nothing of the file is kept.
    api.serve(1, envelope(R"({"id":"z","value":9},{"value":2})"));
    api.serve(2, envelope(R"({"id":"b","value":2})"));
    harness h(api, 2);
    const std::string bad = key_of(1);

    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.files_done == 2);
    CHECK(r.files_failed == 1);
    CHECK_FALSE(r.watermark_after.has_value());  // held behind the failing file
    CHECK_FALSE(h.watermark().has_value());
    auto ledger = h.ledger();
    CHECK(ledger.at(bad).status == lpda::store::file_status::failed);
    CHECK(ledger.at(bad).attempts == 1);
    const std::string reason = ledger.at(bad).last_error.value_or("");
    CHECK_MESSAGE(reason.find("$.recordCollection[1].id: missing") != std::string::npos, reason);
    const std::map<std::pair<std::string, std::string>, probe_row> stored{
        {{account, "a"}, {1, key_of(0), false}}, {{account, "b"}, {2, key_of(2), false}}};
    CHECK(h.probes() == stored);

    // The next poll fetches it again, fails a second time and quarantines it (quarantine_after 2);
    // the account's watermark moves on.
    h.host_now += 60000;
    r = h.poll();
    CHECK(r.files_quarantined == 1);
    CHECK(r.files_skipped == 2);
    CHECK(api.downloads_of(1) == 2);
    CHECK(api.downloads_of(0) == 1);
    CHECK(api.downloads_of(2) == 1);
    ledger = h.ledger();
    CHECK(ledger.at(bad).status == lpda::store::file_status::quarantined);
    CHECK(ledger.at(bad).attempts == 2);
    CHECK(ledger.at(key_of(0)).status == lpda::store::file_status::done);
    CHECK(ledger.at(key_of(2)).status == lpda::store::file_status::done);
    CHECK(r.watermark_after == std::optional<std::int64_t>(h.host_now));
    CHECK(h.probes() == stored);
    // Its body is kept in the spool's quarantine folder as downloaded.
    std::size_t kept = 0;
    for (const auto& f : std::filesystem::directory_iterator(h.settings.spool_dir / "quarantine")) {
      ++kept;
      CHECK(lpda::test::read_file(f.path()) == api.bodies.at("/f/1.gz"));
    }
    CHECK(kept == 1);
  }

  TEST_CASE("a new type's tables are created on a database written before schema_migrations") {
    // tests/data/store/lpda-v4.db: user_version 4, no schema_migrations, 60 Agent Activity events
    // (tests/data/README.md). Converting it records core's 3 and agentActivity's first 2
    // migrations as applied; agentActivity's migration 3 and the probe type's migration 1 must run.
    fake_api api;
    api.serve(0, envelope(R"({"id":"a","value":1},{"id":"b","value":2})"));
    harness h(api, 2, lpda::test::data_dir() / "store" / "lpda-v4.db");

    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.files_done == 1);
    CHECK(r.events_inserted == 2);
    CHECK(h.probes().size() == 2);
    CHECK(h.count("SELECT count(*) FROM schema_migrations WHERE component = 'probeType'") == 1);
    CHECK(h.count("SELECT count(*) FROM schema_migrations") == 7);
    CHECK(h.count("SELECT count(*) FROM agent_activity_events") == 60);
    CHECK(h.count("PRAGMA user_version") == 4);
    // Opened again: nothing more to apply, the rows stay.
    { auto again = harness::open_db(h.dir, {}); }
    CHECK(h.count("SELECT count(*) FROM schema_migrations") == 7);
    CHECK(h.probes().size() == 2);
  }
}
