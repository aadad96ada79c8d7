// One poll of one account against a scripted stand-in for the Data Access API on 127.0.0.1, with
// a real SQLite store: listings the emulator cannot produce (one key with two hrefs, a bare
// string as the one-file value, an empty 200 body).
#include "lpda/agent_activity/sqlite/store.hpp"
#include "lpda/api/data_access_client.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/sqlite/database.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"
#include "lpda/sync/store_worker.hpp"

#include "run_awaitable.hpp"
#include "sync_test_support.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace lpda::test::http;
using namespace std::chrono_literals;
using lpda::test::sync::listing_entry;

namespace {

const std::string account = "42";
const std::string prefix = "/data_access_le/account/42/le/agentActivity";

// 2026-01-01T09:00Z and 10:00Z, epoch ms.
constexpr std::int64_t h9 = 1767258000000;
constexpr std::int64_t h10 = h9 + 3600000;

std::string file_name(int part) {
  return lpda::test::sync::file_key("Agent", h9, h10, part);
}

// The stand-in, listing Agent Activity of account 42.
struct fake_api : lpda::test::sync::fake_api {
  fake_api() : lpda::test::sync::fake_api(prefix) {}
};

// Captures every log line of the code under test.
struct log_capture {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  log_capture() {
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(previous); }
  std::string text() const {
    std::string out;
    for (const auto& l : sink->last_formatted()) out += l;
    return out;
  }
};

// A store, a client and account settings for polls of `api`.
struct harness {
  lpda::test::temp_dir dir;
  asio::io_context io;
  lpda::http::client http;
  lpda::http::oauth1_auth auth{lpda::http::oauth1_signer({"k", "s", "t", "ts"})};
  lpda::api::data_access_client client;
  lpda::sync::store_worker store;
  lpda::sync::account_settings settings;

  static std::unique_ptr<lpda::store::database> open_db(const lpda::test::temp_dir& d) {
    lpda::sqlite::settings s;
    s.path = d / "lpda.db";
    return std::make_unique<lpda::sqlite::database>(
        lpda::sqlite::database::open(s, {lpda::agent_activity::sqlite::data_type()}));
  }

  // The host's wall clock: the real one unless a test sets `host_now`; its monotonic clock,
  // moved by the test (so the server's now is the last Date received plus `steady_ms`'s moves).
  std::optional<std::int64_t> host_now;
  std::int64_t steady_ms = 0;
  std::int64_t host_clock() const { return host_now.value_or(lpda::system_now_ms()); }

  harness(const fake_api& api, int quarantine_after)
      : http(io.get_executor(), {}, lpda::test::sync::one_attempt()),
        client(http, auth, {api.base, account, {"127.0.0.1"}},
               lpda::http::server_clock([this] { return host_clock(); },
                                        [this] { return steady_ms; })),
        store(open_db(dir)) {
    settings.account_id = account;
    settings.quarantine_after = quarantine_after;
    settings.initial_start_ms = lpda::system_now_ms() - 3600000;
    settings.overlap = 0ms;
    settings.spool_dir = dir / "lpda.db.spool";
  }

  lpda::sync::poll_report poll() {
    auto reports =
        run(io, lpda::sync::poll_account(client, store, settings, [this] { return host_clock(); }));
    REQUIRE(reports.size() == 1);
    return reports[0];
  }

  std::map<std::string, lpda::store::file_record> ledger() {
    return lpda::test::sync::ledger_of(store, account);
  }
};

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777u;
}

std::string docs_example_gz() {
  return lpda::test::gzip(
      lpda::test::read_file(lpda::test::data_dir() / "agent_activity_docs_example.json"));
}

}  // namespace

TEST_SUITE("integration_sync") {
  TEST_CASE("two entries with one key and different hrefs: neither is downloaded, the key fails") {
    fake_api api;
    const std::string x = file_name(0), y = file_name(1);
    api.set_listing("[" + listing_entry(x + ".gz", api.base + "/f/a.gz") + "," +
                    listing_entry(x, api.base + "/f/b.gz") + "," +
                    listing_entry(y, api.base + "/f/y.gz") + "," +
                    listing_entry(y, api.base + "/f/y.gz") + "]");
    api.bodies["/f/a.gz"] = api.bodies["/f/b.gz"] = api.bodies["/f/y.gz"] = docs_example_gz();
    harness h(api, 2);
    log_capture logs;

    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.files_listed == 2);
    CHECK(r.files_done == 1);
    CHECK(r.files_failed == 1);
    CHECK(api.downloads_of("/f/a.gz") == 0);
    CHECK(api.downloads_of("/f/b.gz") == 0);
    CHECK(api.downloads_of("/f/y.gz") == 1);  // an identical duplicate is fetched once
    auto ledger = h.ledger();
    REQUIRE(ledger.count(x) == 1);
    CHECK(ledger[x].status == lpda::store::file_status::failed);
    CHECK(ledger[x].attempts == 1);
    CHECK(ledger[x].href.empty());
    const std::string reason = ledger[x].last_error.value_or("");
    CHECK_MESSAGE(reason.find(api.base + "/f/a.gz") != std::string::npos, reason);
    CHECK_MESSAGE(reason.find(api.base + "/f/b.gz") != std::string::npos, reason);
    CHECK(reason.find("different hrefs") != std::string::npos);
    CHECK(ledger[y].status == lpda::store::file_status::done);
    CHECK(ledger[y].events == 2);
    CHECK(logs.text().find("file=" + x + " attempt=1: listing entry rejected") !=
          std::string::npos);
    // The watermark stays behind the failing file.
    CHECK_FALSE(r.watermark_after.has_value());

    // The next poll counts a second failure and quarantines the key; still nothing downloaded.
    r = h.poll();
    CHECK(r.files_quarantined == 1);
    ledger = h.ledger();
    CHECK(ledger[x].status == lpda::store::file_status::quarantined);
    CHECK(ledger[x].attempts == 2);
    CHECK(api.downloads_of("/f/a.gz") == 0);
    CHECK(api.downloads_of("/f/b.gz") == 0);
    CHECK(api.downloads_of("/f/y.gz") == 1);
    CHECK(r.watermark_after.has_value());
  }

  TEST_CASE("a one-file listing whose file is a string fails one entry, not the listing") {
    fake_api api;
    api.set_listing(R"("oops")");
    harness h(api, 2);
    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());  // the listing as a whole was read
    CHECK(r.files_failed == 1);
    CHECK_FALSE(r.watermark_after.has_value());
    r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.files_quarantined == 1);
    CHECK(r.watermark_after.has_value());  // no longer blocks the account
    const auto ledger = h.ledger();
    REQUIRE(ledger.size() == 1);
    CHECK(ledger.begin()->first.rfind("listing-entry:", 0) == 0);
    CHECK(ledger.begin()->second.last_error.value_or("").find("file[0] is not an object") !=
          std::string::npos);
  }

  TEST_CASE("a 200 whose JSON is not a Data Access file fails the file, and it is fetched again") {
    fake_api api;
    const std::string name = file_name(0);
    api.set_listing("[" + listing_entry(name, api.base + "/f/a.gz") + "]");
    // A maintenance page served as the file: valid JSON, no events, no envelope.
    api.bodies["/f/a.gz"] =
        R"({"status":"maintenance","message":"service temporarily unavailable"})";
    harness h(api, 3);
    auto r = h.poll();
    CHECK(r.files_done == 0);
    CHECK(r.files_failed == 1);
    auto ledger = h.ledger();
    CHECK(ledger[name].status == lpda::store::file_status::failed);
    CHECK(ledger[name].last_error.value_or("").find("not a Data Access file") != std::string::npos);
    // The real file comes next time: fetched and stored.
    api.bodies["/f/a.gz"] = docs_example_gz();
    r = h.poll();
    CHECK(r.files_done == 1);
    CHECK(h.ledger()[name].status == lpda::store::file_status::done);
    CHECK(api.downloads_of("/f/a.gz") == 2);
  }

  TEST_CASE("an empty 200 body is stored with a warning while spool and quarantine stay private") {
    fake_api api;
    const std::string empty = file_name(0), zip = file_name(1);
    api.set_listing("[" + listing_entry(empty, api.base + "/f/empty.gz") + "," +
                    listing_entry(zip, api.base + "/f/zip.gz") + "]");
    api.bodies["/f/empty.gz"] = "";
    api.bodies["/f/zip.gz"] = std::string("PK\x03\x04", 4) + "not a file the decoder reads";
    harness h(api, 1);
    log_capture logs;
    const mode_t old_mask = ::umask(022);
    const auto r = h.poll();
    ::umask(old_mask);
    CHECK(r.files_done == 1);
    CHECK(r.files_quarantined == 1);
    auto ledger = h.ledger();
    CHECK(ledger[empty].status == lpda::store::file_status::done);
    CHECK(ledger[empty].events == 0);
    CHECK(ledger[empty].bytes == 0);
    CHECK(ledger[zip].status == lpda::store::file_status::quarantined);
    const std::string text = logs.text();
    CHECK_MESSAGE(text.find("file=" + empty +
                            ": empty body (0 bytes) stored as a file with no events; if the hour "
                            "had events, `lpda-sync backfill --refetch` fetches it again") !=
                      std::string::npos,
                  text);
    CHECK(text.find("file=" + zip + ": empty body") == std::string::npos);
    // Bodies hold agent names: only the owner may read the spool and what it keeps.
    CHECK(mode_of(h.settings.spool_dir) == 0700);
    const auto quarantine = h.settings.spool_dir / "quarantine";
    CHECK(mode_of(quarantine) == 0700);
    std::size_t kept = 0;
    for (const auto& f : std::filesystem::directory_iterator(quarantine)) {
      ++kept;
      CHECK(mode_of(f.path()) == 0600);
      CHECK(lpda::test::read_file(f.path()) == api.bodies["/f/zip.gz"]);
    }
    CHECK(kept == 1);
  }
}

// The server's clock (its Date header) decides the window, whatever the host's clock says.
TEST_SUITE("integration_sync") {
  // The server's now: 2026-01-01T10:30Z, half an hour after the listed file's hour ended.
  constexpr std::int64_t server_now = h10 + 1'800'000;
  constexpr std::int64_t hour_ms = 3'600'000;
  constexpr std::int64_t day_ms = 24 * hour_ms;
  constexpr std::int64_t margin = lpda::sync::server_now_margin_ms;

  std::string window_query(std::int64_t start, std::int64_t end) {
    return "?startTime=" + std::to_string(start) + "&endTime=" + std::to_string(end);
  }

  TEST_CASE(
      "a host clock ahead or behind by seconds, hours or days: the window and the "
      "watermark end at the server's now") {
    for (const std::int64_t offset : std::initializer_list<std::int64_t>{
             9'000, 6 * hour_ms, 2 * day_ms, -9'000, -6 * hour_ms, -2 * day_ms}) {
      CAPTURE(offset);
      fake_api api;
      api.set_listing("[" + listing_entry(file_name(0), api.base + "/f/a.gz") + "]");
      api.bodies["/f/a.gz"] = docs_example_gz();
      api.set_date(server_now);
      harness h(api, 2);
      h.host_now = server_now + offset;
      h.settings.initial_start_ms = h9;
      h.settings.overlap = 1h;

      auto r = h.poll();
      CHECK_FALSE(r.error.has_value());
      CHECK(r.files_done == 1);
      CHECK(r.server_now_ms == std::optional<std::int64_t>(server_now));
      CHECK(r.window.end_ms == server_now - margin);
      CHECK(r.watermark_after == std::optional<std::int64_t>(server_now - margin));
      CHECK_FALSE(r.watermark_repaired_to.has_value());
      // The host's offset as measured (the Date is whole seconds, so exactly here).
      CHECK(r.clock_skew_ms == std::optional<std::int64_t>(offset));
      REQUIRE(api.queries().size() == 1);
      CHECK(api.queries()[0] == window_query(h9, server_now - margin));
      // The checkpoint keeps what status shows.
      auto st = h.store.database_unsafe().status(0).value();
      REQUIRE(st.size() == 1);
      CHECK(st[0].server_time_ms == std::optional<std::int64_t>(server_now));
      CHECK(st[0].clock_skew_ms == std::optional<std::int64_t>(offset));

      // A minute later the host's clock is set right: the next poll goes on from the watermark.
      h.steady_ms += 60'000;
      h.host_now = server_now + 60'000;
      api.set_date(server_now + 60'000);
      r = h.poll();
      CHECK(r.window ==
            lpda::sync::slice{server_now - margin - hour_ms, server_now + 60'000 - margin});
      CHECK(r.watermark_after == std::optional<std::int64_t>(server_now + 60'000 - margin));
      CHECK(r.clock_skew_ms == std::optional<std::int64_t>(0));
    }
  }

  TEST_CASE("a watermark beyond the server's now is pulled back and the files since are fetched") {
    fake_api api;
    api.set_listing("[" + listing_entry(file_name(0), api.base + "/f/a.gz") + "]");
    api.bodies["/f/a.gz"] = docs_example_gz();
    api.set_date(server_now);
    harness h(api, 2);
    h.host_now = server_now;
    h.settings.initial_start_ms = h9;
    h.settings.overlap = 1h;
    // As an earlier poll on a host 2 days ahead left it.
    REQUIRE(h.store.database_unsafe()
                .reset_watermark(account, "agentActivity", server_now + 2 * day_ms, 0)
                .has_value());
    log_capture logs;

    auto r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.watermark_before == std::optional<std::int64_t>(server_now + 2 * day_ms));
    CHECK(r.watermark_repaired_to == std::optional<std::int64_t>(server_now - hour_ms));
    CHECK(r.window == lpda::sync::slice{server_now - 2 * hour_ms, server_now - margin});
    CHECK(r.files_done == 1);
    CHECK(api.downloads_of("/f/a.gz") == 1);
    CHECK(r.watermark_after == std::optional<std::int64_t>(server_now - margin));
    const std::string text = logs.text();
    CHECK_MESSAGE(text.find("the watermark 2026-01-03T10:30:00.000Z was beyond the server's now "
                            "2026-01-01T10:30:00.000Z") != std::string::npos,
                  text);
    CHECK(text.find("pulled back to 2026-01-01T09:30:00.000Z") != std::string::npos);

    // Repaired once: the next poll finds nothing to repair.
    r = h.poll();
    CHECK_FALSE(r.watermark_repaired_to.has_value());
    CHECK(r.watermark_after == std::optional<std::int64_t>(server_now - margin));

    // In the future again, and the newest hour in the ledger (ending at h10) is further back than
    // now - overlap: the watermark goes back to that hour's end, so whatever was published after
    // the last listing that reached the present is listed again.
    h.settings.overlap = 10min;
    REQUIRE(h.store.database_unsafe()
                .reset_watermark(account, "agentActivity", server_now + day_ms, 0)
                .has_value());
    r = h.poll();
    CHECK_FALSE(r.error.has_value());
    CHECK(r.watermark_repaired_to == std::optional<std::int64_t>(h10));
    CHECK(r.window.start_ms == h10 - 10 * 60'000);
  }

  TEST_CASE("without a Date header the host's clock ends the window, said once") {
    fake_api api;
    api.set_listing("[" + listing_entry(file_name(0), api.base + "/f/a.gz") + "]");
    api.bodies["/f/a.gz"] = docs_example_gz();
    harness h(api, 2);
    h.host_now = server_now;
    h.settings.initial_start_ms = h9;
    log_capture logs;
    auto r = h.poll();
    CHECK_FALSE(r.server_now_ms.has_value());
    CHECK_FALSE(r.clock_skew_ms.has_value());
    CHECK(r.window.end_ms == server_now);
    CHECK(r.watermark_after == std::optional<std::int64_t>(server_now));
    h.host_now = server_now + 1000;
    r = h.poll();
    CHECK(r.window.end_ms == server_now + 1000);
    const std::string text = logs.text();
    const std::string said = "carry no usable Date header";
    const auto first = text.find(said);
    CHECK_MESSAGE(first != std::string::npos, text);
    CHECK(text.find(said, first + 1) == std::string::npos);
    auto st = h.store.database_unsafe().status(0).value();
    REQUIRE(st.size() == 1);
    CHECK_FALSE(st[0].clock_skew_ms.has_value());
  }

  TEST_CASE("a skew beyond clock_skew_warning is a warning, and explains an OAuth 1.0a 401") {
    fake_api api;
    api.set_listing("[]");
    api.set_date(server_now);
    api.listing_status = 401;
    harness h(api, 2);
    h.host_now = server_now + 2 * day_ms;
    h.settings.initial_start_ms = h9;
    log_capture logs;
    auto r = h.poll();
    REQUIRE(r.error.has_value());
    CHECK(r.error->code == make_error_code(lpda::errc::auth_failed));
    CHECK_MESSAGE(r.error->message.find("the host's clock is 2d 0h ahead of the server's") !=
                      std::string::npos,
                  r.error->message);
    CHECK(r.error->message.find("oauth_timestamp") != std::string::npos);
    CHECK(logs.text().find("the host's clock is 2d 0h ahead of the server's (its Date header), "
                           "beyond client.clock_skew_warning (300s)") != std::string::npos);

    // Within the threshold the 401 says nothing about the measured clock (the list of likely
    // causes still names the clock in general).
    fake_api api2;
    api2.set_listing("[]");
    api2.set_date(server_now);
    api2.listing_status = 401;
    harness h2(api2, 2);
    h2.host_now = server_now + 4 * 60'000;
    h2.settings.initial_start_ms = h9;
    r = h2.poll();
    REQUIRE(r.error.has_value());
    CHECK(r.error->message.find("the server's (its Date header)") == std::string::npos);
    CHECK(r.error->message.find("oauth_timestamp") == std::string::npos);
  }
}
