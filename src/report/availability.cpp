#include "lpda/report/availability.hpp"

#include "lpda/core/text.hpp"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ostream>
#include <system_error>

namespace lpda::report {
namespace {

// Minutes with two decimals ("50.00"): exact for whole minutes, readable in spreadsheets.
std::string minutes_text(std::int64_t ms) {
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.2f", static_cast<double>(ms) / 60000.0);
  return buf.data();
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string agent_label(const availability_row& r) {
  if (r.agent_username) return *r.agent_username;
  if (r.agent_nickname) return *r.agent_nickname;
  return "-";
}

// The online share of logged-in time with one decimal ("83.3"); nullopt with no logged-in time.
std::optional<std::string> online_pct(std::int64_t online_ms, std::int64_t logged_in_ms) {
  if (logged_in_ms <= 0) return std::nullopt;
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%.1f",
                100.0 * static_cast<double>(online_ms) / static_cast<double>(logged_in_ms));
  return std::string(buf.data());
}

constexpr std::size_t table_columns = 11;
using table_line = std::array<std::string, table_columns>;

table_line table_cells(std::string account, std::string agent_id, std::string agent,
                       std::string nickname, std::string day, std::int64_t logged_in,
                       std::int64_t online, std::int64_t away, std::int64_t back_soon,
                       std::int64_t chats) {
  const auto pct = online_pct(online, logged_in);
  return {std::move(account), std::move(agent_id),   std::move(agent),     std::move(nickname),
          std::move(day),     format_hms(logged_in), format_hms(online),   pct ? *pct + "%" : "-",
          format_hms(away),   format_hms(back_soon), std::to_string(chats)};
}

void write_table(std::ostream& out, const std::vector<availability_row>& rows) {
  if (rows.empty()) {
    out << "(no rows)\n";
    return;
  }
  const table_line header{"ACCOUNT", "AGENT_ID", "AGENT", "NICKNAME",  "DAY (UTC)", "LOGGED_IN",
                          "ONLINE",  "ONLINE_%", "AWAY",  "BACK_SOON", "CHATS"};
  std::vector<table_line> cells;
  cells.reserve(rows.size() + rows.size() / 2 + 1);
  // Rows come ordered by account and day: each day of an account ends with its total.
  for (std::size_t i = 0; i < rows.size();) {
    availability_row total;
    std::size_t agents = 0;
    std::size_t j = i;
    for (; j < rows.size() && rows[j].account_id == rows[i].account_id &&
           rows[j].day_utc == rows[i].day_utc;
         ++j) {
      const auto& r = rows[j];
      cells.push_back(table_cells(r.account_id, std::to_string(r.agent_id), agent_label(r),
                                  r.agent_nickname.value_or("-"), r.day_utc, r.logged_in_ms,
                                  r.online_ms, r.away_ms, r.back_soon_ms, r.chats));
      total.logged_in_ms += r.logged_in_ms;
      total.online_ms += r.online_ms;
      total.away_ms += r.away_ms;
      total.back_soon_ms += r.back_soon_ms;
      total.chats += r.chats;
      ++agents;
    }
    cells.push_back(table_cells(rows[i].account_id, "-", "TOTAL",
                                std::to_string(agents) + (agents == 1 ? " agent" : " agents"),
                                rows[i].day_utc, total.logged_in_ms, total.online_ms, total.away_ms,
                                total.back_soon_ms, total.chats));
    i = j;
  }
  std::array<std::size_t, table_columns> width{};
  // Widths in terminal columns, so accented, CJK and emoji names still line up.
  const auto columns = [](const std::string& text) { return display_width(text); };
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : cells)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], columns(row[i]));
  // Text columns left-aligned, numbers and durations right-aligned.
  auto line = [&](const table_line& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool left = i <= 4;
      const std::string pad(width[i] - columns(row[i]), ' ');
      if (i) out << "  ";
      out << (left ? row[i] + (i + 1 == row.size() ? "" : pad) : pad + row[i]);
    }
    out << '\n';
  };
  line(header);
  for (const auto& row : cells) line(row);
}

void write_csv(std::ostream& out, const std::vector<availability_row>& rows) {
  out << "account_id,agent_id,agent_username,agent_nickname,day_utc,day_start_ms,"
         "logged_in_ms,logged_in_min,online_ms,online_min,away_ms,away_min,"
         "back_soon_ms,back_soon_min,chats,online_pct\r\n";
  for (const auto& r : rows) {
    out << csv_field(r.account_id) << ',' << r.agent_id << ','
        << csv_field(r.agent_username.value_or("")) << ','
        << csv_field(r.agent_nickname.value_or("")) << ',' << r.day_utc << ',' << r.day_start_ms;
    for (std::int64_t ms : {r.logged_in_ms, r.online_ms, r.away_ms, r.back_soon_ms})
      out << ',' << ms << ',' << minutes_text(ms);
    out << ',' << r.chats << ',' << online_pct(r.online_ms, r.logged_in_ms).value_or("") << "\r\n";
  }
}

void write_json(std::ostream& out, const std::vector<availability_row>& rows) {
  rapidjson::OStreamWrapper os(out);
  rapidjson::Writer<rapidjson::OStreamWrapper> w(os);
  auto optional_string = [&w](const char* key, const std::optional<std::string>& v) {
    w.Key(key);
    if (v)
      w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
    else
      w.Null();
  };
  auto duration = [&w](const std::string& name, std::int64_t ms) {
    w.Key((name + "_ms").c_str());
    w.Int64(ms);
    w.Key((name + "_min").c_str());
    const auto m = minutes_text(ms);
    w.RawValue(m.c_str(), m.size(), rapidjson::kNumberType);
  };
  w.StartArray();
  for (const auto& r : rows) {
    w.StartObject();
    w.Key("account_id");
    w.String(r.account_id.c_str(), static_cast<rapidjson::SizeType>(r.account_id.size()));
    w.Key("agent_id");
    w.Int64(r.agent_id);
    optional_string("agent_username", r.agent_username);
    optional_string("agent_nickname", r.agent_nickname);
    w.Key("day_utc");
    w.String(r.day_utc.c_str(), static_cast<rapidjson::SizeType>(r.day_utc.size()));
    w.Key("day_start_ms");
    w.Int64(r.day_start_ms);
    duration("logged_in", r.logged_in_ms);
    duration("online", r.online_ms);
    duration("away", r.away_ms);
    duration("back_soon", r.back_soon_ms);
    w.Key("chats");
    w.Int64(r.chats);
    w.Key("online_pct");
    if (const auto pct = online_pct(r.online_ms, r.logged_in_ms))
      w.RawValue(pct->c_str(), pct->size(), rapidjson::kNumberType);
    else
      w.Null();
    w.EndObject();
  }
  w.EndArray();
  out << '\n';
}

}  // namespace

std::optional<report_format> parse_report_format(std::string_view text) noexcept {
  if (text == "table") return report_format::table;
  if (text == "csv") return report_format::csv;
  if (text == "json") return report_format::json;
  return std::nullopt;
}

std::string format_hms(std::int64_t ms) {
  const bool negative = ms < 0;
  // Work in unsigned so that INT64_MIN has a magnitude too.
  const std::uint64_t mag =
      negative ? 0u - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  const std::uint64_t total_s = mag / 1000u;
  std::array<char, 48> buf{};
  std::snprintf(buf.data(), buf.size(), "%s%llu:%02llu:%02llu", negative ? "-" : "",
                static_cast<unsigned long long>(total_s / 3600u),
                static_cast<unsigned long long>((total_s / 60u) % 60u),
                static_cast<unsigned long long>(total_s % 60u));
  return buf.data();
}

void write_availability(std::ostream& out, const std::vector<availability_row>& rows,
                        report_format format) {
  switch (format) {
    case report_format::table:
      write_table(out, rows);
      break;
    case report_format::csv:
      write_csv(out, rows);
      break;
    case report_format::json:
      write_json(out, rows);
      break;
  }
}

}  // namespace lpda::report
