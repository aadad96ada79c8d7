#include "commands.hpp"
#include "compose.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/config/units.hpp"
#include "lpda/core/clock.hpp"
#include "lpda/http/server_time.hpp"
#include "lpda/store/database.hpp"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <ostream>
#include <tuple>

namespace lpda::cli {
namespace {

std::string iso_or_dash(const std::optional<std::int64_t>& ms) {
  return ms ? format_iso8601_ms(*ms) : std::string("-");
}

void write_optional_ms(rapidjson::PrettyWriter<rapidjson::OStreamWrapper>& w, const char* name,
                       const std::optional<std::int64_t>& ms) {
  w.Key(name);
  if (ms)
    w.Int64(*ms);
  else
    w.Null();
  w.Key((std::string(name) + "_iso").c_str());
  if (ms)
    w.String(format_iso8601_ms(*ms).c_str());
  else
    w.Null();
}

bool skew_beyond(const store::account_status& r, std::chrono::milliseconds threshold) {
  return r.clock_skew_ms && std::llabs(*r.clock_skew_ms) >= threshold.count();
}

// One line per account whose last poll read the server's clock: the latest such reading.
void write_clocks(std::ostream& out, const std::vector<store::account_status>& rows,
                  std::chrono::milliseconds threshold) {
  std::map<std::string, const store::account_status*> latest;
  for (const auto& r : rows) {
    if (!r.clock_skew_ms) continue;
    auto& l = latest[r.account_id];
    if (!l || r.last_poll_ms.value_or(0) > l->last_poll_ms.value_or(0)) l = &r;
  }
  if (latest.empty()) return;
  out << "\nClocks at the last poll (the server's from the Date header of its answers):\n";
  for (const auto& [account, r] : latest) {
    out << "  " << account << ": the host's clock was "
        << http::describe_clock_skew(*r->clock_skew_ms) << " the server's (server time "
        << iso_or_dash(r->server_time_ms) << ")";
    if (skew_beyond(*r, threshold))
      out << "; WARNING: beyond client.clock_skew_warning (" << config::format_duration(threshold)
          << "): listing windows follow the server's clock, so no file is lost, but set the "
             "host's clock right (NTP); OAuth 1.0a signatures carry its time";
    out << '\n';
  }
}

}  // namespace

int run_status(const std::string& config_path, bool json, std::ostream& out, std::ostream& err) {
  config::config cfg;
  try {
    cfg =
        config::load_file(config_path, config::process_environment(), config::secrets::syntax_only);
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_config;
  }
  if (!std::filesystem::exists(cfg.database)) {
    err << "lpda-sync status: no database at " << cfg.database << " yet (nothing synced)\n";
    return exit_no_input;
  }
  const std::int64_t now = system_now_ms();
  std::vector<store::account_status> rows;
  std::vector<store::file_record> problems;  // pending, failed and quarantined files
  try {
    auto db = store::database::open(store_settings_of(cfg));
    auto st = db.status(now);
    if (!st) {
      err << "lpda-sync status: " << st.error().what() << '\n';
      return exit_code_for_store_error(st.error());
    }
    rows = std::move(*st);
    // Files that are not done and need attention, with the reason, so a person can act on them
    // (retry-failed, or report the file upstream) without opening the database.
    // Pending files are listed as well: retry-failed leaves them so until the next poll, and a
    // file that is in neither the table nor the list would be invisible.
    for (const auto which : {store::file_status::pending, store::file_status::failed,
                             store::file_status::quarantined}) {
      auto files = db.list_files(std::nullopt, which);
      if (!files) {
        err << "lpda-sync status: " << files.error().what() << '\n';
        return exit_code_for_store_error(files.error());
      }
      problems.insert(problems.end(), std::make_move_iterator(files->begin()),
                      std::make_move_iterator(files->end()));
    }
    std::sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
      return std::tie(a.account_id, a.data_type, a.scope_start_ms, a.key) <
             std::tie(b.account_id, b.data_type, b.scope_start_ms, b.key);
    });
  } catch (const error_exception& e) {
    err << "lpda-sync status: " << cfg.database << ": " << e.what() << '\n';
    return exit_code_for_store_error(e.err());
  }
  // Accounts in the config that have never been polled are listed too, so none goes unseen.
  std::map<std::pair<std::string, std::string>, bool> known;
  for (const auto& r : rows) known[{r.account_id, r.data_type}] = true;
  for (const auto& a : cfg.accounts)
    for (const auto& dt : a.data_types)
      if (!known.count({a.id, dt})) {
        store::account_status s;
        s.account_id = a.id;
        s.data_type = dt;
        rows.push_back(s);
      }

  if (json) {
    rapidjson::OStreamWrapper os(out);
    rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(os);
    w.StartObject();
    w.Key("database");
    w.String(cfg.database.c_str());
    w.Key("now_ms");
    w.Int64(now);
    w.Key("clock_skew_warning_seconds");
    w.Int64(cfg.client.clock_skew_warning.count() / 1000);
    w.Key("accounts");
    w.StartArray();
    for (const auto& r : rows) {
      w.StartObject();
      w.Key("account_id");
      w.String(r.account_id.c_str());
      w.Key("data_type");
      w.String(r.data_type.c_str());
      write_optional_ms(w, "watermark_ms", r.watermark_ms);
      w.Key("lag_seconds");
      if (r.lag_ms)
        w.Int64(*r.lag_ms / 1000);
      else
        w.Null();
      write_optional_ms(w, "last_poll_ms", r.last_poll_ms);
      write_optional_ms(w, "last_success_ms", r.last_success_ms);
      // The clocks at the last poll: the server's time (its Date header) and host minus server.
      write_optional_ms(w, "server_time_ms", r.server_time_ms);
      w.Key("clock_skew_ms");
      if (r.clock_skew_ms)
        w.Int64(*r.clock_skew_ms);
      else
        w.Null();
      w.Key("clock_skew_warning");
      w.Bool(skew_beyond(r, cfg.client.clock_skew_warning));
      w.Key("files_pending");
      w.Int64(r.files_pending);
      w.Key("files_done");
      w.Int64(r.files_done);
      w.Key("files_failed");
      w.Int64(r.files_failed);
      w.Key("files_quarantined");
      w.Int64(r.files_quarantined);
      w.Key("events_stored");
      w.Int64(r.events_stored);
      w.Key("problem_files");
      w.StartArray();
      for (const auto& f : problems) {
        if (f.account_id != r.account_id || f.data_type != r.data_type) continue;
        w.StartObject();
        w.Key("key");
        w.String(f.key.c_str());
        w.Key("status");
        w.String(std::string(store::to_string(f.status)).c_str());
        w.Key("attempts");
        w.Int(f.attempts);
        write_optional_ms(w, "scope_start_ms", f.scope_start_ms);
        w.Key("last_error_code");
        if (f.last_error_code)
          w.String(f.last_error_code->c_str());
        else
          w.Null();
        w.Key("last_error");
        if (f.last_error)
          w.String(f.last_error->c_str());
        else
          w.Null();
        write_optional_ms(w, "updated_ms", f.updated_ms);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    out << '\n';
    return exit_ok;
  }

  char line[512];
  std::snprintf(line, sizeof line, "%-12s %-14s %-24s %10s %-24s %-24s %7s %6s %6s %6s %10s\n",
                "ACCOUNT", "DATA TYPE", "WATERMARK", "LAG (s)", "LAST POLL", "LAST SUCCESS",
                "PENDING", "DONE", "FAILED", "QUAR.", "EVENTS");
  out << line;
  for (const auto& r : rows) {
    const std::string lag = r.lag_ms ? std::to_string(*r.lag_ms / 1000) : "-";
    std::snprintf(
        line, sizeof line, "%-12s %-14s %-24s %10s %-24s %-24s %7lld %6lld %6lld %6lld %10lld\n",
        r.account_id.c_str(), r.data_type.c_str(), iso_or_dash(r.watermark_ms).c_str(), lag.c_str(),
        iso_or_dash(r.last_poll_ms).c_str(), iso_or_dash(r.last_success_ms).c_str(),
        static_cast<long long>(r.files_pending), static_cast<long long>(r.files_done),
        static_cast<long long>(r.files_failed), static_cast<long long>(r.files_quarantined),
        static_cast<long long>(r.events_stored));
    out << line;
  }
  write_clocks(out, rows, cfg.client.clock_skew_warning);
  if (!problems.empty()) {
    out << "\nFiles not done (" << problems.size()
        << "; quarantined ones wait for `lpda-sync retry-failed`, pending ones for the next "
           "poll):\n";
    for (const auto& f : problems) {
      if (f.status == store::file_status::pending) {
        out << "  " << f.account_id << ' ' << f.data_type << ' ' << f.key
            << ": pending, fetched by the next poll (last change " << iso_or_dash(f.updated_ms)
            << ")" << (f.last_error ? ": previous error: " + *f.last_error : std::string()) << '\n';
        continue;
      }
      out << "  " << f.account_id << ' ' << f.data_type << ' ' << f.key << ": "
          << store::to_string(f.status) << " after " << f.attempts
          << (f.attempts == 1 ? " failed poll" : " failed polls") << " (last "
          << iso_or_dash(f.updated_ms) << "): " << f.last_error.value_or("no error recorded")
          << '\n';
    }
  }
  return exit_ok;
}

}  // namespace lpda::cli
