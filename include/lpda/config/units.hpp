#pragma once
/// Text forms of durations, sizes and points in time used in the configuration file.
///
/// All parsers are pure: they take text and return a value or an `lpda::error` with code
/// `lpda::errc::config_invalid` whose message says what is wrong (never echoing more than the
/// offending text). They never throw.
#include "lpda/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lpda::config {

/// Parses a duration: a non-negative decimal integer immediately followed by one unit,
/// `ms`, `s`, `m`, `h` or `d` (1 d = 24 h), e.g. "250ms", "30s", "15m", "12h", "7d".
/// The bare text "0" is also accepted. No sign, no fraction, no spaces, no compound forms.
/// Errors (`errc::config_invalid`): empty text, missing or unknown unit, a sign or fraction,
/// a value whose millisecond count exceeds 2^63 − 1 (9223372036854775807ms, about
/// 106751991167d; the message says that limit). Per-setting ceilings, far lower, are the
/// config loader's (docs/configuration.md).
result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Formats a duration in the largest unit that divides it exactly ("7d", "90m", "250ms", "0s"),
/// except that 1d is written "24h" and 1m "60s";
/// `parse_duration(format_duration(d)) == d` for every non-negative d.
std::string format_duration(std::chrono::milliseconds d);

/// Parses a size in bytes: a non-negative decimal integer, optionally followed by a binary unit
/// `B`, `KiB` (1024), `MiB` (1024²), `GiB` (1024³) or `TiB` (1024⁴), e.g. "64MiB", "4GiB",
/// "512KiB", "1048576". Decimal units (`KB`, `MB`, `GB`, `kB`, ...) are rejected with a message
/// that suggests the binary unit, because they are read as 1000ⁿ by some tools and 1024ⁿ by
/// others. Errors (`errc::config_invalid`): empty text, unknown unit, sign, fraction, overflow.
result<std::uint64_t> parse_size(std::string_view text);

/// Formats a size in the largest binary unit that divides it exactly ("4GiB", "1536KiB", "100").
std::string format_size(std::uint64_t bytes);

/// Parses an ISO 8601 point in time into epoch milliseconds (UTC). Accepted forms:
/// "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDThh:mm[:ss[.fff]]" followed by "Z" or "±hh:mm"
/// (a lower-case "t"/"z" or a space instead of "T" is also accepted). A date-time without a zone
/// is rejected: the host's zone must never decide which hour is fetched.
/// Errors (`errc::config_invalid`, "bad ISO 8601 time \"TEXT\": why"): any other shape, an invalid
/// calendar date or time of day. The parser is `lpda::parse_iso8601_ms` (lpda/core/clock.hpp).
result<std::int64_t> parse_iso8601(std::string_view text);

/// 0001-01-01T00:00:00Z in epoch ms: the earliest point the ISO 8601 form (four-digit year)
/// writes, and so the earliest a command-line time may name.
inline constexpr std::int64_t earliest_time_argument_ms = -62'135'596'800'000;

/// Parses a command-line time (`--from`, `--to` of every command: report, backfill, reset-watermark) into epoch ms: an ISO 8601
/// date or date-time with zone ("2024-03-04", "2024-03-04T09:00:00Z"; `parse_iso8601`),
/// integer epoch ms, or a duration back from `now_ms` ("7d", "12h"; `parse_duration`).
/// Text made only of digits is always epoch ms.
/// Errors: `errc::config_invalid` quoting the text: not one of these forms, or a point before
/// 0001-01-01 (a date, or a duration like 1000000d or 9223372036854775807ms that would
/// otherwise wrap). Callers prefix the option's name.
result<std::int64_t> parse_time_argument(std::string_view text, std::int64_t now_ms);

}  // namespace lpda::config
