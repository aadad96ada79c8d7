#pragma once
// Time rendering for the emulator: US-Eastern scope dates, error-body times, HTTP dates.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::emulator {

/// Renders epoch ms as ISO-8601 local time in America/New_York with its numeric offset and
/// second precision, e.g. 1461387600000 → "2016-04-23T01:00:00-04:00". The zone is the POSIX rule
/// EST5EDT,M3.2.0,M11.1.0 (US rules since 2007), so no tz database is needed. LivePerson renders
/// scope dates this way even for UK accounts
/// (https://developers.liveperson.com/data-access-api-methods-agent-activity.html).
std::string format_new_york(std::int64_t epoch_ms);

/// As format_new_york with milliseconds, e.g. "2018-01-25T01:19:15.196-05:00" (the `<time>` of
/// LivePerson's XML error bodies).
std::string format_new_york_ms(std::int64_t epoch_ms);

/// IMF-fixdate of RFC 9110 §5.6.7, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (Retry-After, Date).
std::string format_http_date(std::int64_t epoch_ms);

/// UTC ISO-8601 with second precision and 'Z', e.g. "2026-03-08T07:00:00Z".
std::string format_utc(std::int64_t epoch_ms);

/// Parses a time option: integer epoch ms, or UTC "YYYY-MM-DDTHH:MM[:SS]Z" / "YYYY-MM-DD".
/// Returns nullopt when neither form matches.
std::optional<std::int64_t> parse_time_arg(std::string_view text);

}  // namespace lpda::emulator
