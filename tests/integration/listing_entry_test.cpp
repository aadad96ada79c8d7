// One malformed entry in a listing, end to end: the real lpda-sync against lpda-emulator serving
// that entry malformed (its `malformed-entry` control). The good files of the same listing are
// stored in the first poll, the bad entry is never downloaded, it is quarantined after
// quarantine_after polls, and then the watermark moves past its slice.
#include "harness.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

using namespace lpda::test;

namespace {

const std::string account = "555";

struct ledger_row {
  std::string key, name, href, status, last_error;
  int attempts = 0;
};

// Every ledger row of the account that is not done.
std::vector<ledger_row> unfinished_rows(const temp_dir& dir) {
  SQLite::Database db((dir / "lpda.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT file_key, name, href, status, attempts, coalesce(last_error, '') "
                      "FROM files WHERE account_id = ? AND status != 'done' ORDER BY file_key");
  q.bind(1, account);
  std::vector<ledger_row> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                   q.getColumn(2).getString(), q.getColumn(3).getString(),
                   q.getColumn(5).getString(), q.getColumn(4).getInt()});
  return out;
}

struct account_figures {
  std::int64_t done = 0, failed = 0, quarantined = 0;
  std::optional<std::int64_t> watermark;
};

account_figures figures(const std::string& config) {
  const auto d = status_json(config);
  for (const auto& a : d["accounts"].GetArray())
    if (account == a["account_id"].GetString()) {
      account_figures f;
      f.done = a["files_done"].GetInt64();
      f.failed = a["files_failed"].GetInt64();
      f.quarantined = a["files_quarantined"].GetInt64();
      if (a["watermark_ms"].IsInt64()) f.watermark = a["watermark_ms"].GetInt64();
      return f;
    }
  FAIL("no status for account " << account);
  return {};
}

std::int64_t downloads_of(const emulator_process& emu, const std::string& name) {
  rapidjson::Document d;
  d.Parse(emu.control("counts").c_str());
  const auto& by_file = d["downloadsByFile"];
  return by_file.HasMember(name.c_str()) ? by_file[name.c_str()].GetInt64() : 0;
}

struct emulated_file {
  std::string name;
  std::int64_t created = 0;
};

// An available file of the account that holds events and is neither the first nor the last
// listed, so good files lie on both sides of it.
emulated_file pick_file(const emulator_process& emu) {
  rapidjson::Document files;
  files.Parse(emu.control("files", "account=" + account).c_str());
  std::vector<emulated_file> available;
  for (const auto& f : files.GetArray())
    if (f["available"].GetBool())
      available.push_back({f["name"].GetString(), f["created"].GetInt64()});
  REQUIRE(available.size() >= 4);
  for (std::size_t i = 1; i + 1 < available.size(); ++i)
    if (expected_for(emu, account).size() !=
        expected_for_without(emu, account, {available[i].name}).size())
      return available[i];
  FAIL("no file with events");
  return {};
}

// An available file with events created more than `gap_ms` away from every other file of the
// account, so any listing slice of at most `gap_ms` that holds it holds nothing else.
std::optional<emulated_file> isolated_file(const emulator_process& emu, std::int64_t gap_ms) {
  rapidjson::Document files;
  files.Parse(emu.control("files", "account=" + account).c_str());
  std::vector<emulated_file> all, available;
  for (const auto& f : files.GetArray()) {
    all.push_back({f["name"].GetString(), f["created"].GetInt64()});
    if (f["available"].GetBool()) available.push_back(all.back());
  }
  for (const auto& c : available) {
    bool alone = true;
    for (const auto& o : all)
      if (o.name != c.name && o.created > c.created - gap_ms && o.created < c.created + gap_ms)
        alone = false;
    if (alone &&
        expected_for(emu, account).size() != expected_for_without(emu, account, {c.name}).size())
      return c;
  }
  return std::nullopt;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_SUITE("integration_sync") {
  TEST_CASE("a malformed listing entry is quarantined while the files beside it are synced") {
    struct kind_case {
      std::string kind;
      bool key_is_name;  // else the ledger key is derived from the entry
    };
    for (const auto& c : {kind_case{"no-href", true}, kind_case{"bad-name", true},
                          kind_case{"scope-mismatch", true}, kind_case{"not-object", false}}) {
      CAPTURE(c.kind);
      emulator_process emu({"--accounts", account, "--agents", "8", "--hours", "6", "--seed", "7"});
      const auto bad = pick_file(emu);
      emu.control("malformed-entry", "name=" + bad.name + "&kind=" + c.kind);
      temp_dir dir;
      // 2 h slices: the malformed entry's slice has good files beside it and after it.
      const auto config = write_config(dir, emu.url(), {account},
                                       "  quarantine_after: 2\n  max_window: 2h\n"
                                       "  initial_start: 8h\n");
      const auto without_bad = expected_for_without(emu, account, {bad.name});
      REQUIRE(without_bad.size() < expected_for(emu, account).size());

      // Poll 1: every other file is stored; the entry is one failed file, logged as an error.
      const auto first = run_lpda("once --config '" + config + "'");
      CHECK(first.status == 1);
      check_rows((dir / "lpda.db").string(), without_bad);
      CHECK(downloads_of(emu, bad.name) == 0);
      auto rows = unfinished_rows(dir);
      REQUIRE(rows.size() == 1);
      const std::string key = rows[0].key;
      if (c.key_is_name) {
        CHECK(key == (c.kind == "bad-name" ? bad.name.substr(0, bad.name.rfind('-')) : bad.name));
      } else {
        CHECK(key.rfind("listing-entry:", 0) == 0);
        CHECK(rows[0].name.empty());
      }
      CHECK(rows[0].href.empty());  // nothing may download it
      CHECK(rows[0].status == "failed");
      CHECK(rows[0].attempts == 1);
      CHECK(rows[0].last_error.find("listing entry rejected") != std::string::npos);
      CHECK(rows[0].last_error.find("file[") != std::string::npos);
      CHECK_MESSAGE(
          count_of(first.err, "error: account=" + account + " data_type=agentActivity file=" + key +
                                  " attempt=1: listing entry rejected") == 1,
          first.err);
      auto f = figures(config);
      CHECK(f.failed == 1);
      CHECK(f.quarantined == 0);
      CHECK(f.done > 0);
      // The watermark stays before the entry's slice (listed by creation time).
      CHECK((!f.watermark || *f.watermark <= bad.created));

      // Poll 2: the second failed poll quarantines it; the slice is complete and the watermark
      // moves to the end of the window.
      const std::int64_t before = now_ms();
      CHECK(run_lpda("once --config '" + config + "'").status == 1);
      rows = unfinished_rows(dir);
      REQUIRE(rows.size() == 1);
      CHECK(rows[0].key == key);
      CHECK(rows[0].status == "quarantined");
      CHECK(rows[0].attempts == 2);
      CHECK(rows[0].last_error.find("listing entry rejected") != std::string::npos);
      f = figures(config);
      CHECK(f.failed == 0);
      CHECK(f.quarantined == 1);
      {  // status shows the entry with its reason
        const auto d = status_json(config);
        bool shown = false;
        for (const auto& a : d["accounts"].GetArray())
          for (const auto& p : a["problem_files"].GetArray())
            shown = shown || (key == p["key"].GetString() &&
                              std::string(p["status"].GetString()) == "quarantined" &&
                              std::string(p["last_error"].GetString()) == rows[0].last_error);
        CHECK(shown);
      }
      REQUIRE(f.watermark.has_value());
      CHECK(*f.watermark >= before - window_end_slack_ms);
      CHECK(*f.watermark > bad.created);
      check_rows((dir / "lpda.db").string(), without_bad);
      CHECK(downloads_of(emu, bad.name) == 0);

      // Poll 3: the quarantined entry no longer counts against the account.
      const auto third = run_lpda("once --config '" + config + "'");
      CHECK_MESSAGE(third.status == 0, third.err);
      CHECK(unfinished_rows(dir).size() == 1);
    }
  }

  TEST_CASE("a one-file listing whose file is a bare string does not block the account") {
    // The API collapses a one-file array to its element; with 10-minute slices the bad file's
    // listing is {"file": "<name>"}. Before, that failed the listing on every poll.
    emulator_process emu({"--accounts", account, "--agents", "8", "--hours", "6", "--seed", "7",
                          "--single-file-as-object"});
    // Alone in its 10-minute slice, so that listing is {"file": "<name>"}, not an array.
    const auto isolated = isolated_file(emu, 10 * 60 * 1000);
    REQUIRE(isolated.has_value());
    const auto bad = *isolated;
    emu.control("malformed-entry", "name=" + bad.name + "&kind=not-object");
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {account},
                                     "  quarantine_after: 2\n  max_window: 10m\n"
                                     "  initial_start: 8h\n");
    const auto without_bad = expected_for_without(emu, account, {bad.name});

    const auto first = run_lpda("once --config '" + config + "'");
    CHECK(first.status == 1);
    CHECK_MESSAGE(first.err.find("listing [") == std::string::npos,
                  first.err);  // no listing failed
    check_rows((dir / "lpda.db").string(), without_bad);
    auto rows = unfinished_rows(dir);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].key.rfind("listing-entry:", 0) == 0);
    CHECK(rows[0].status == "failed");
    CHECK(rows[0].last_error.find("file[0] is not an object") != std::string::npos);
    auto f = figures(config);
    CHECK((!f.watermark || *f.watermark <= bad.created));

    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    rows = unfinished_rows(dir);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "quarantined");
    f = figures(config);
    REQUIRE(f.watermark.has_value());
    CHECK(*f.watermark > bad.created);
    CHECK(downloads_of(emu, bad.name) == 0);
    check_rows((dir / "lpda.db").string(), without_bad);
  }

  TEST_CASE(
      "retry-failed on a rejected entry fails clearly and a fixed listing recovers the file") {
    emulator_process emu({"--accounts", account, "--agents", "8", "--hours", "6", "--seed", "7"});
    const auto bad = pick_file(emu);
    emu.control("malformed-entry", "name=" + bad.name + "&kind=no-href");
    temp_dir dir;
    const auto config =
        write_config(dir, emu.url(), {account}, "  quarantine_after: 1\n  initial_start: 8h\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    REQUIRE(unfinished_rows(dir).size() == 1);
    CHECK(unfinished_rows(dir)[0].status == "quarantined");

    // The listing still carries the bad entry: the retry fails it again, it does not crash.
    const auto retry = run_lpda("retry-failed --now --config '" + config + "'");
    CHECK_MESSAGE(retry.status == 1, retry.err);
    CHECK(retry.err.find("listing entry rejected") != std::string::npos);
    CHECK(downloads_of(emu, bad.name) == 0);
    auto rows = unfinished_rows(dir);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "quarantined");  // quarantine_after 1: one more failed poll
    CHECK(rows[0].attempts == 1);

    // Once the listing shows the entry well-formed, a retry fetches it: nothing is lost.
    emu.control("malformed-entry", "name=");
    const auto fixed = run_lpda("retry-failed --now --config '" + config + "'");
    CHECK_MESSAGE(fixed.status == 0, fixed.err);
    CHECK(downloads_of(emu, bad.name) == 1);
    CHECK(unfinished_rows(dir).empty());
    check_rows((dir / "lpda.db").string(), expected_for(emu, account));
  }

  TEST_CASE("a rejected entry's row behind the window is not downloaded by retry-failed") {
    // The entry is quarantined and the watermark passes it, so the next listing no longer shows
    // it: the retry has only the ledger row, which has no href, and fails it with a clear message.
    emulator_process emu({"--accounts", account, "--agents", "8", "--hours", "6", "--seed", "7"});
    const auto bad = pick_file(emu);
    emu.control("malformed-entry", "name=" + bad.name + "&kind=scope-mismatch");
    temp_dir dir;
    const auto config = write_config(dir, emu.url(), {account},
                                     "  quarantine_after: 1\n  initial_start: 8h\n  overlap: 0s\n");
    CHECK(run_lpda("once --config '" + config + "'").status == 1);
    REQUIRE(unfinished_rows(dir).size() == 1);
    const std::string key = unfinished_rows(dir)[0].key;
    CHECK(key == bad.name);
    // The watermark is past the entry now, and with no overlap the next listing starts there.
    const auto retry = run_lpda("retry-failed --now --config '" + config + "'");
    CHECK(retry.status == 1);
    CHECK_MESSAGE(
        retry.err.find("ledger row " + key + " has no href to fetch") != std::string::npos,
        retry.err);
    CHECK(downloads_of(emu, bad.name) == 0);
    const auto rows = unfinished_rows(dir);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "quarantined");
    CHECK(rows[0].last_error.find("has no href to fetch") != std::string::npos);
    CHECK(rows[0].last_error.find("listing entry rejected") != std::string::npos);
  }
}
