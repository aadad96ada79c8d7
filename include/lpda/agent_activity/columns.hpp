#pragma once
/// Agent Activity's `decode` columns: text forms of one `event`, for `lpda-sync decode` output and
/// exports.
#include "lpda/agent_activity/event.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"
#include "lpda/decode/text_columns.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace lpda::agent_activity {

/// One event as one compact JSON object (one NDJSON line, https://github.com/ndjson/ndjson-spec),
/// without the trailing newline. Keys, in this order: agentSessionId, agentID, timestamp, type,
/// state, prevState, prevConcurrentEng, concurrentEng, maxConcurrentEng, agentGroupID,
/// agentEmployeeId, agentUsername, agentNickname, agentLoginname, userProfileIDs. Integers are JSON
/// numbers (timestamp in epoch ms), absent attributes are `null`, userProfileIDs an array of
/// numbers. Strings are escaped per RFC 8259 §7; UTF-8 is passed through.
std::string to_ndjson(const event& e);

/// The CSV header line (no line break): the NDJSON key names, in the same order, comma-separated.
std::string_view csv_header() noexcept;

/// One event as one CSV record (RFC 4180 §2), without the line break: fields in `csv_header()`
/// order; a field containing a comma, double quote, CR or LF is enclosed in double quotes with
/// inner quotes doubled; an absent attribute is an empty field and an empty string is `""`, so the
/// two stay distinguishable; userProfileIDs are joined with ';' (e.g. `2438730312;2438730212`).
std::string to_csv(const event& e);

/// The columns above, for `decode::write_text`.
const decode::text_columns<event>& columns() noexcept;

/// `decode::write_text` over a source of Agent Activity events (e.g. a `decoder`); throws
/// `std::logic_error` when `source` yields another record type (a wiring error).
result<std::uint64_t> write_text(record_source& source, decode::text_format format,
                                 std::ostream& out);

}  // namespace lpda::agent_activity
