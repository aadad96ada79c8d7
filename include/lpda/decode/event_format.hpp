#pragma once
/// Text forms of one `agent_activity_event`, for `lpda-sync decode` output and exports.
#include "lpda/core/agent_activity_event.hpp"

#include <string>
#include <string_view>

namespace lpda::decode {

/// One event as one compact JSON object (one NDJSON line, https://github.com/ndjson/ndjson-spec),
/// without the trailing newline. Keys, in this order: agentSessionId, agentID, timestamp, type,
/// state, prevState, prevConcurrentEng, concurrentEng, maxConcurrentEng, agentGroupID,
/// agentEmployeeId, agentUsername, agentNickname, agentLoginname, userProfileIDs. Integers are JSON
/// numbers (timestamp in epoch ms), absent attributes are `null`, userProfileIDs an array of
/// numbers. Strings are escaped per RFC 8259 §7; UTF-8 is passed through.
std::string to_ndjson(const agent_activity_event& e);

/// The CSV header line (no line break): the NDJSON key names, in the same order, comma-separated.
std::string_view csv_header() noexcept;

/// One event as one CSV record (RFC 4180 §2), without the line break: fields in `csv_header()`
/// order; a field containing a comma, double quote, CR or LF is enclosed in double quotes with
/// inner quotes doubled; an absent attribute is an empty field and an empty string is `""`, so the
/// two stay distinguishable; userProfileIDs are joined with ';' (e.g. `2438730312;2438730212`).
std::string to_csv(const agent_activity_event& e);

}  // namespace lpda::decode
