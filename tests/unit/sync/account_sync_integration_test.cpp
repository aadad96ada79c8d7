// One poll of one account against a scripted stand-in for the Data Access API on 127.0.0.1, with
// a real SQLite store: listings the emulator cannot produce (one key with two hrefs, a bare
// string as the one-file value, an empty 200 body).
#include "lpda/api/data_access_client.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"
#include "lpda/sync/store_worker.hpp"

#include "run_awaitable.hpp"
#include "test_server.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include <sys/stat.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace lpda::test::http;
using namespace std::chrono_literals;

namespace {

const std::string account = "42";
const std::string prefix = "/data_access_le/account/42/le/agentActivity";

// 2026-01-01T09:00Z and 10:00Z, epoch ms.
constexpr std::int64_t h9 = 1767258000000;
constexpr std::int64_t h10 = h9 + 3600000;

std::string entry(const std::string& name, const std::string& href) {
  return R"({"@name": ")" + name + R"(", "@scopeStartDate": "2026-01-01T09:00:00Z",
             "@scopeEndDate": "2026-01-01T10:00:00Z", "@href": ")" +
         href + R"("})";
}

std::string file_name(int part) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%05d", part);
  return "Agent." + std::to_string(h9) + "." + std::to_string(h10) + ".part-" + buf + "-0";
}

// The stand-in: a listing set by the test, and file bodies by path. Counts downloads by path.
struct fake_api {
  std::mutex mu;
  std::string listing;
  std::map<std::string, std::string> bodies;
  std::map<std::string, int> downloads;
  std::unique_ptr<test_server> server;
  std::string base;

  fake_api() {
    server = std::make_unique<test_server>(
        server_options{}, [this](const received_request& rq, std::size_t) {
          std::lock_guard lock(mu);
          reply r;
          const std::string path = rq.target.substr(0, rq.target.find('?'));
          if (path == prefix) {
            r.body = listing;
            return r;
          }
          ++downloads[path];
          if (const auto it = bodies.find(path); it != bodies.end()) {
            r.body = it->second;
            return r;
          }
          r.status = 404;
          return r;
        });
    base = "http://127.0.0.1:" + std::to_string(server->port());
  }
  void set_listing(const std::string& files_json) {
    std::lock_guard lock(mu);
    listing = R"({"dataAccessFiles": {"@id": "42", "file": )" + files_json + "}}";
  }
  int downloads_of(const std::string& path) {
    std::lock_guard lock(mu);
    return downloads[path];
  }
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

  static lpda::http::retry_settings retry() {
    lpda::http::retry_settings r;
    r.max_attempts = 1;
    r.delays = {5ms};
    r.throttle_min = 5ms;
    r.jitter = 0ms;
    return r;
  }
  static lpda::store::database open_db(const lpda::test::temp_dir& d) {
    lpda::store::settings s;
    s.path = d / "lpda.db";
    return lpda::store::database::open(s);
  }

  harness(const fake_api& api, int quarantine_after)
      : http(io.get_executor(), {}, retry()),
        client(http, auth, {api.base, account, {"127.0.0.1"}}),
        store(open_db(dir)) {
    settings.account_id = account;
    settings.quarantine_after = quarantine_after;
    settings.initial_start_ms = lpda::system_now_ms() - 3600000;
    settings.overlap = 0ms;
    settings.spool_dir = dir / "lpda.db.spool";
  }

  lpda::sync::poll_report poll() {
    auto reports = run(io, lpda::sync::poll_account(client, store, settings, lpda::system_now_ms));
    REQUIRE(reports.size() == 1);
    return reports[0];
  }

  std::map<std::string, lpda::store::file_record> ledger() {
    auto files = store.database_unsafe().list_files(account, std::nullopt);
    REQUIRE(files.has_value());
    std::map<std::string, lpda::store::file_record> out;
    for (auto& f : *files) out[f.key] = f;
    return out;
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
    api.set_listing("[" + entry(x + ".gz", api.base + "/f/a.gz") + "," +
                    entry(x, api.base + "/f/b.gz") + "," + entry(y, api.base + "/f/y.gz") + "," +
                    entry(y, api.base + "/f/y.gz") + "]");
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

  TEST_CASE("an empty 200 body is stored with a warning; spool and quarantine are private") {
    fake_api api;
    const std::string empty = file_name(0), zip = file_name(1);
    api.set_listing("[" + entry(empty, api.base + "/f/empty.gz") + "," +
                    entry(zip, api.base + "/f/zip.gz") + "]");
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
