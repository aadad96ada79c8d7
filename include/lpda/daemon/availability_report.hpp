#pragma once
/// `lpda-sync report availability`: per agent and UTC day, logged-in, online, away and back-soon
/// time and chats, read from the store's `agent_daily_availability` view (semantics in DESIGN.md
/// "Availability semantics" and the view's definition in src/store/schema.cpp), with the agent's
/// names from `agents`, printed as a table, CSV (RFC 4180) or JSON (RFC 8259).
#include "lpda/core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::daemon {

/// Which rows to report. Times are epoch ms UTC; days are whole UTC days.
struct availability_query {
  std::optional<std::string> account_id;  ///< nullopt: every account
  /// Keep the days that end after `from_ms` (the UTC day containing `from_ms` is included).
  std::optional<std::int64_t> from_ms;
  /// Keep the days that start before `to_ms` (exclusive: a `to_ms` at midnight excludes that day).
  std::optional<std::int64_t> to_ms;
};

/// One agent on one UTC day. Durations in ms.
struct availability_row {
  std::string account_id;
  std::int64_t agent_id = 0;
  std::optional<std::string> agent_username;  ///< from `agents` (latest event's attributes)
  std::optional<std::string> agent_nickname;
  std::string day_utc;            ///< "YYYY-MM-DD"
  std::int64_t day_start_ms = 0;  ///< the day's midnight UTC, epoch ms
  std::int64_t logged_in_ms = 0;
  std::int64_t online_ms = 0;
  std::int64_t away_ms = 0;
  std::int64_t back_soon_ms = 0;
  std::int64_t chats = 0;
  bool operator==(const availability_row&) const = default;
};

/// Reads the report from the SQLite file at `database` through its own read-only connection
/// (never creating, migrating or writing it; a concurrent writer is not blocked, WAL:
/// https://www.sqlite.org/wal.html). Rows ordered by account, day, agent id.
/// Errors: `errc::unreadable` when the file is missing; `errc::store_schema` when it has no
/// `agent_daily_availability` view (a database older than schema version 2); `errc::store_io`
/// for other SQLite failures. Messages name the file.
result<std::vector<availability_row>> query_availability(const std::filesystem::path& database,
                                                         const availability_query& query);

/// Output formats of the report.
enum class report_format { table, csv, json };

/// "table", "csv" or "json" → the format; nullopt for anything else.
std::optional<report_format> parse_report_format(std::string_view text) noexcept;

/// A duration as "H:MM:SS" (hours not wrapped at 24; sub-second part truncated), e.g. 3'000'000
/// ms → "0:50:00". Negative values are printed with a leading '-'.
std::string format_hms(std::int64_t ms);

/// Writes the rows to `out`:
/// - `table`: an aligned text table with a header line: per agent and day the username (AGENT)
///   and nickname, durations as H:MM:SS and the online share of logged-in time (ONLINE_%, "-"
///   without logged-in time); each account's day ends with a TOTAL line over its agents;
///   "(no rows)" when empty;
/// - `csv`: RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180#section-2): a header record, CRLF
///   line ends, fields with a comma, quote, CR or LF quoted with quotes doubled; each duration as
///   two columns, `<name>_ms` (integer) and `<name>_min` (minutes, 2 decimals); last
///   `online_pct` (online ÷ logged-in × 100, 1 decimal; empty without logged-in time). One record
///   per agent and day, no totals (sum them);
/// - `json`: an array of objects with the same fields (`null` for unknown names and an undefined
///   share), durations in ms and minutes.
void write_availability(std::ostream& out, const std::vector<availability_row>& rows,
                        report_format format);

/// 0001-01-01T00:00:00Z in epoch ms: the earliest point the ISO 8601 form (four-digit year)
/// writes, and so the earliest a command-line time may name.
inline constexpr std::int64_t earliest_time_argument_ms = -62'135'596'800'000;

/// Parses a command-line time (`--from`, `--to` of every command) into epoch ms: an ISO 8601
/// date or date-time with zone ("2024-03-04", "2024-03-04T09:00:00Z"; `config::parse_iso8601`),
/// integer epoch ms, or a duration back from `now_ms` ("7d", "12h"; `config::parse_duration`).
/// Text made only of digits is always epoch ms.
/// Errors: `errc::config_invalid` quoting the text: not one of these forms, or a point before
/// 0001-01-01 (a date, or a duration like 1000000d or 9223372036854775807ms that would
/// otherwise wrap). Callers prefix the option's name.
result<std::int64_t> parse_time_argument(std::string_view text, std::int64_t now_ms);

}  // namespace lpda::daemon
