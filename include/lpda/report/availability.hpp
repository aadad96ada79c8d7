#pragma once
/// `lpda-sync report availability`: per agent and UTC day, logged-in, online, away and back-soon
/// time and chats, as rows a store read (semantics in DESIGN.md "Availability semantics" and the
/// view's definition in src/agent_activity/sqlite/schema.cpp), printed as a table, CSV
/// (RFC 4180) or JSON (RFC 8259). No store access here.
#include "lpda/core/error.hpp"
#include "lpda/store/availability.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::report {

/// The report's rows and query (lpda/store/availability.hpp); a store reads them, this module
/// only formats them.
using availability_query = store::availability_query;
using availability_row = store::availability_row;

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


}  // namespace lpda::report
