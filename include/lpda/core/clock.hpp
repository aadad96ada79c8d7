#pragma once
/// Time as epoch milliseconds, read through an injectable clock so tests control "now".
#include "lpda/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace lpda {

/// Returns the current time as epoch milliseconds (UTC).
using clock_fn = std::function<std::int64_t()>;

/// The system clock as a `clock_fn`.
std::int64_t system_now_ms();

/// The monotonic clock (`std::chrono::steady_clock`) in ms since an unspecified epoch: it never
/// steps when the wall clock is set, so it measures elapsed time.
std::int64_t steady_now_ms();

/// Formats epoch ms as ISO 8601 UTC with milliseconds, e.g. "2016-04-23T05:00:00.000Z".
std::string format_iso8601_ms(std::int64_t epoch_ms);

/// Which ISO 8601 shapes `parse_iso8601_ms` takes: a date alone as well, or only a date-time.
enum class iso8601_form { date_or_date_time, date_time };

/// Parses an ISO 8601 point in time into epoch milliseconds (UTC) — the one time parser of the
/// config, the command line and the Data Access listing. Accepted forms: "YYYY-MM-DD" (midnight
/// UTC; not with `iso8601_form::date_time`), "YYYY-MM-DDThh:mm[:ss[.fff…]]" followed by "Z" or
/// "±hh[:]mm" (a lower-case "t"/"z" or a space instead of "T" is also accepted; fractional
/// digits beyond milliseconds are cut). A date-time without a zone is refused: the host's zone
/// must never decide which hour is meant. Error `errc::bad_field` whose message says what is
/// wrong without quoting `text` ("expected YYYY-MM-DD", "no such date", "a date-time needs a
/// zone: ..."); callers add the text and their own code.
result<std::int64_t> parse_iso8601_ms(std::string_view text,
                                      iso8601_form form = iso8601_form::date_or_date_time);

}  // namespace lpda
