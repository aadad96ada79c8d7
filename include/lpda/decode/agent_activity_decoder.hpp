#pragma once
/// Streaming decoder of Agent Activity files from the Data Access API into typed events.
///
/// Format (developers.liveperson.com/data-access-api-methods-agent-activity.html, "Data
/// Structure"): each file holds JSON documents back to back — NDJSON (one compact document per
/// line) or pretty-printed — each an envelope `{"dataType", "metaData", "recordCollection"}` whose
/// records carry `body.AgentActivityData.header.agentSessionId` and an `agentSessionsData` array of
/// events. Values use Avro's JSON encoding (Avro 1.8.2 specification, "JSON Encoding"): a union
/// value is `null` or a one-key object `{"<branch>": value}`.
#include "lpda/core/agent_activity_event.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/event_source.hpp"
#include "lpda/decode/content.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lpda::decode {

/// Figures of one decode, updated as it goes. Bytes are bytes; counts are totals so far.
struct decode_stats {
  std::uint64_t input_bytes = 0;     ///< raw (compressed) bytes read
  std::uint64_t inflated_bytes = 0;  ///< decoded content bytes (for plain JSON, the raw bytes)
  std::uint64_t documents = 0;       ///< top-level JSON documents completely parsed
  /// Of those, documents with a top-level `recordCollection`: the Data Access envelope. A file
  /// with documents but no envelope is JSON of some other kind.
  std::uint64_t envelopes = 0;
  std::uint64_t events = 0;          ///< events handed out through `next_batch`
  content_kind kind = content_kind::unknown;  ///< sniffed kind (`unknown` before the first read)
};

/// Decodes one Agent Activity file into `agent_activity_event`s, pulled in batches of at most
/// `limits::batch_size`. Input is read in 64 KiB chunks, inflated (see `content_reader`) and parsed
/// one top-level document at a time with a SAX parser; only events are materialised. Memory is
/// bounded by the caps in `limits` (about one document's text and events), not by the file's size.
///
/// Accepted: documents separated by any JSON whitespace (CRLF included), a UTF-8 BOM at the start,
/// Avro-JSON unions wrapped or not at every level (`{"string":…}`, `{"long":…}`, `{"int":…}`,
/// `{"double":…}`, `{"float":…}`, `{"boolean":…}`, `{"bytes":…}`, `{"array":…}`, `{"map":…}`,
/// `{"com.liveperson.…":…}`), event field names in any letter case (the field table spells
/// `agentUserName`, the example `agentUsername`), unknown fields and unknown enum values, integral
/// numbers written with a fraction or exponent (`2.0`, `1e3`) up to 2^53 for integer fields.
/// An empty file (zero bytes) or one holding only whitespace is a success with zero events: an
/// hour can legitimately have no closed sessions.
///
/// Mapping (see `agent_activity_event`): a null or missing `type`, `state`, `prevState`,
/// `prevConcurrentEng` or `concurrentEng` becomes -1; null or missing attributes become
/// `std::nullopt`; `agentEmployeeId` may be a string or an integer and is kept as text (an empty
/// string stays empty).
///
/// Failures are returned from `next_batch` and are final (the decoder must not be read again; it
/// returns the same error). N counts documents from 1; M is a byte offset in the decoded content.
///  - `errc::bad_field` "document N at byte offset M: <JSON path>: <reason>": a missing or null
///    `agentID`, `timestamp` or `agentSessionId` (the latter only for records that hold events),
///    a value of the wrong JSON type, an integer outside int64. The path leaves out union
///    wrappers, e.g. `$.recordCollection[0].body.agentSessionsData[2].agentID`.
///  - `errc::malformed_json` "document N at byte offset M: <reason>", also for nesting deeper than
///    256 levels.
///  - `errc::document_limit` "document N at byte offset M: larger than max_document_bytes (X
///    bytes)", M being where the document starts.
///  - `errc::unsupported_format` "not a Data Access file: none of its N JSON document(s) has a
///    recordCollection …", at the end of content whose JSON documents hold no envelope (an error
///    page or a listing served as a file would otherwise read as an hour without events).
///  - every error of `content_reader`: `unreadable`, `unsupported_format`, `gzip_corrupt`,
///    `gzip_truncated`, `trailing_data`, `inflated_limit`.
/// Events of earlier batches were already handed out when an error comes: a consumer that must
/// not keep a partial file (the store) discards them, e.g. by rolling back its transaction.
class agent_activity_decoder final : public lpda::event_source {
 public:
  /// Opens a spool file; `errc::unreadable` (path and OS reason) if it cannot be opened. Content
  /// errors come from `next_batch`.
  static result<std::unique_ptr<agent_activity_decoder>> open_file(
      const std::filesystem::path& path, limits lim = {});
  /// Decodes an in-memory body (taken over, not copied).
  static std::unique_ptr<agent_activity_decoder> from_bytes(std::string bytes, limits lim = {});

  ~agent_activity_decoder() override;
  agent_activity_decoder(const agent_activity_decoder&) = delete;
  agent_activity_decoder& operator=(const agent_activity_decoder&) = delete;

  /// Clears `out` and fills it with the next 1..batch_size events in file order: true when `out`
  /// holds events, false at the end (then `out` is empty), or an error (see the class comment).
  result<bool> next_batch(std::vector<agent_activity_event>& out) override;

  /// Figures so far (final once `next_batch` returned false).
  const decode_stats& stats() const;

 private:
  struct impl;
  explicit agent_activity_decoder(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::decode
