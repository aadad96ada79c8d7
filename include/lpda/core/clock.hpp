#pragma once
/// Time as epoch milliseconds, read through an injectable clock so tests control "now".
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

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

}  // namespace lpda
