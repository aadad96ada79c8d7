#pragma once
/// Streaming decoder of Agent Activity files from the Data Access API into typed events.
///
/// Format (developers.liveperson.com/data-access-api-methods-agent-activity.html, "Data
/// Structure"): the Data Access envelope (see `decode::document_reader`) whose records carry
/// `body.AgentActivityData.header.agentSessionId` and an `agentSessionsData` array of events.
#include "lpda/agent_activity/event.hpp"
#include "lpda/core/error.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/decode/mapped_decoder.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace lpda::agent_activity {

/// Decodes one Agent Activity file into `event`s, pulled in batches of at most
/// `decode::limits::batch_size`. Framing, Avro unions, number coercion, caps and their errors are
/// the generic layer's (`decode::document_reader`); this class adds Agent Activity's mapping.
///
/// Accepted besides what the framing layer accepts: event field names in any letter case (the
/// field table spells `agentUserName`, the example `agentUsername`), unknown fields and unknown
/// enum values.
///
/// Mapping (see `event`): a null or missing `type`, `state`, `prevState`, `prevConcurrentEng` or
/// `concurrentEng` becomes -1; null or missing attributes become `std::nullopt`;
/// `agentEmployeeId` may be a string or an integer and is kept as text (an empty string stays
/// empty).
///
/// Errors besides the framing layer's: `errc::bad_field` "document N at byte offset M: <JSON
/// path>: <reason>" for a missing or null `agentID`, `timestamp` or `agentSessionId` (the latter
/// only for records that hold events), a value of the wrong JSON type, an integer outside int64,
/// e.g. `$.recordCollection[0].body.agentSessionsData[2].agentID`.
class decoder final : public decode::mapped_decoder<event> {
 public:
  /// Opens a spool file; `errc::unreadable` (path and OS reason) if it cannot be opened. Content
  /// errors come from `next_batch`.
  static result<std::unique_ptr<decoder>> open_file(const std::filesystem::path& path,
                                                    decode::limits lim = {});
  /// Decodes an in-memory body (taken over, not copied).
  static std::unique_ptr<decoder> from_bytes(std::string bytes, decode::limits lim = {});

 private:
  decoder(decode::content_reader reader, decode::limits lim);
};

}  // namespace lpda::agent_activity
