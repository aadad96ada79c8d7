#include "commands.hpp"
#include "compose.hpp"
#include "logging.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/config/config.hpp"
#include "lpda/config/units.hpp"
#include "lpda/core/clock.hpp"
#include "lpda/http/server_time.hpp"
#include "lpda/store/database.hpp"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

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

using json_writer = rapidjson::PrettyWriter<rapidjson::OStreamWrapper>;

// A time as two keys: `name` in ISO 8601 (for people) and `name_ms` in epoch ms (for programs).
void write_time(json_writer& w, const std::string& name, const std::optional<std::int64_t>& ms) {
  w.Key(name.c_str());
  if (ms)
    w.String(format_iso8601_ms(*ms).c_str());
  else
    w.Null();
  w.Key((name + "_ms").c_str());
  if (ms)
    w.Int64(*ms);
  else
    w.Null();
}

void write_string(json_writer& w, const char* name, const std::optional<std::string>& v) {
  w.Key(name);
  if (v)
    w.String(v->c_str());
  else
    w.Null();
}

// The width the table may take: the terminal's when stdout is one, else 100 columns.
std::size_t table_width() {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 80)
    return ws.ws_col;
  return 100;
}

// `text` cut to `width` columns (one per UTF-8 code point), a cut marked with "…".
std::string fit(const std::string& text, std::size_t width) {
  const auto lead = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; };
  const auto cols = static_cast<std::size_t>(std::count_if(text.begin(), text.end(), lead));
  if (cols <= width || width == 0) return cols <= width ? text : std::string();
  std::size_t kept = 0, i = 0;
  for (; i < text.size(); ++i)
    if (lead(text[i]) && kept++ == width - 1) break;
  return text.substr(0, i) + "\u2026";
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

std::string format_age(std::int64_t ms) {
  if (ms < 0) return "-" + format_age(-ms);
  const std::int64_t minutes = ms / 60'000;
  const std::int64_t d = minutes / (24 * 60);
  const std::int64_t h = minutes / 60 % 24;
  const std::int64_t m = minutes % 60;
  if (d > 0) return fmt::format("{}d {}h {}m", d, h, m);
  if (h > 0) return fmt::format("{}h {}m", h, m);
  return fmt::format("{}m", m);
}

int run_status(const std::string& config_path, bool json, std::ostream& out, std::ostream& err) {
  config::config cfg;
  if (auto rc = load_config_without_secrets(config_path, cfg, err)) return *rc;
  setup_logging(cfg.log);  // a migration at open logs its progress on stderr
  if (!std::filesystem::exists(cfg.database)) {
    err << "lpda-sync status: no database at " << cfg.database << " yet (nothing synced)\n";
    return exit_no_input;
  }
  const std::int64_t now = system_now_ms();
  std::vector<store::account_status> rows;
  std::vector<store::file_record> problems;  // pending, failed and quarantined files
  try {
    auto db = open_store(cfg);
    auto st = db->status(now);
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
      auto files = db->list_files(std::nullopt, which);
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
    json_writer w(os);
    w.StartObject();
    w.Key("database");
    w.String(cfg.database.c_str());
    write_time(w, "now", now);
    w.Key("clock_skew_warning_seconds");
    w.Int64(clock_skew_warning_of(cfg).count() / 1000);
    w.Key("accounts");
    w.StartArray();
    for (const auto& r : rows) {
      w.StartObject();
      w.Key("account_id");
      w.String(r.account_id.c_str());
      w.Key("data_type");
      w.String(r.data_type.c_str());
      write_time(w, "watermark", r.watermark_ms);
      w.Key("lag");
      if (r.lag_ms)
        w.String(format_age(*r.lag_ms).c_str());
      else
        w.Null();
      w.Key("lag_seconds");
      if (r.lag_ms)
        w.Int64(*r.lag_ms / 1000);
      else
        w.Null();
      write_time(w, "last_poll", r.last_poll_ms);
      write_time(w, "last_success", r.last_success_ms);
      write_string(w, "last_error", r.last_error);
      write_time(w, "last_error_since", r.last_error_since_ms);
      // The clocks at the last poll: the server's time (its Date header) and host minus server.
      write_time(w, "server_time", r.server_time_ms);
      w.Key("clock_skew_ms");
      if (r.clock_skew_ms)
        w.Int64(*r.clock_skew_ms);
      else
        w.Null();
      w.Key("clock_skew_warning");
      w.Bool(skew_beyond(r, clock_skew_warning_of(cfg)));
      for (const auto& [key, n] :
           {std::pair{"files_pending", r.files_pending}, std::pair{"files_done", r.files_done},
            std::pair{"files_failed", r.files_failed},
            std::pair{"files_quarantined", r.files_quarantined},
            std::pair{"events_stored", r.events_stored}}) {
        w.Key(key);
        w.Int64(n);
      }
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
        write_time(w, "scope_start", f.scope_start_ms);
        write_string(w, "last_error_code", f.last_error_code);
        write_string(w, "last_error", f.last_error);
        write_time(w, "updated", f.updated_ms);
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

  // One line per account and data type within the terminal's width (100 columns off a
  // terminal); the watermark and the full errors follow the table.
  std::size_t id_width = 7, type_width = 9;
  for (const auto& r : rows) {
    id_width = std::max(id_width, r.account_id.size());
    type_width = std::max(type_width, r.data_type.size());
  }
  const std::string head = fmt::format("{:<{}} {:<{}} {:>11} {:>12} {:>6} {:>4} {:>4} {:>4} {:>9} ",
                                       "ACCOUNT", id_width, "DATA TYPE", type_width, "LAG",
                                       "LAST POLL", "DONE", "PEND", "FAIL", "QUAR", "EVENTS");
  const std::size_t width = table_width();
  const std::size_t error_width = width > head.size() + 10 ? width - head.size() : 10;
  out << head << "LAST ERROR\n";
  for (const auto& r : rows) {
    const std::string lag = r.lag_ms ? format_age(*r.lag_ms) : "-";
    const std::string polled =
        r.last_poll_ms ? format_age(now - *r.last_poll_ms) + " ago" : "never";
    const std::string error = r.last_error ? fit(*r.last_error, error_width) : "-";
    out << fmt::format("{:<{}} {:<{}} {:>11} {:>12} {:>6} {:>4} {:>4} {:>4} {:>9} {}\n",
                       r.account_id, id_width, r.data_type, type_width, lag, polled, r.files_done,
                       r.files_pending, r.files_failed, r.files_quarantined, r.events_stored,
                       error);
  }
  out << "\nWatermarks (polls list from the watermark minus the overlap):\n";
  for (const auto& r : rows)
    out << "  " << r.account_id << ' ' << r.data_type << ": "
        << (r.watermark_ms ? format_iso8601_ms(*r.watermark_ms) : std::string("none yet"))
        << "; last poll " << iso_or_dash(r.last_poll_ms) << ", last success "
        << iso_or_dash(r.last_success_ms) << '\n';
  bool any_error = false;
  for (const auto& r : rows) any_error = any_error || r.last_error;
  if (any_error) {
    out << "\nLast errors:\n";
    for (const auto& r : rows) {
      if (!r.last_error) continue;
      out << "  " << r.account_id << ' ' << r.data_type << ": failing since "
          << iso_or_dash(r.last_error_since_ms)
          << (r.last_error_since_ms ? " (" + format_age(now - *r.last_error_since_ms) + ")"
                                    : std::string())
          << ": " << *r.last_error << '\n';
    }
  }
  write_clocks(out, rows, clock_skew_warning_of(cfg));
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
