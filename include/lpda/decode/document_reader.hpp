#pragma once
/// The document framing layer of a Data Access file: decoded content → top-level JSON documents →
/// the envelope's records, handed value by value to a data type's `record_mapping`.
///
/// Format (developers.liveperson.com/data-access-api-overview.html and each method page's "Data
/// Structure"): each file holds JSON documents back to back — NDJSON (one compact document per
/// line) or pretty-printed — each an envelope `{"dataType", "metaData", "recordCollection"}`.
/// Values use Avro's JSON encoding (Avro 1.8.2 specification, "JSON Encoding"): a union value is
/// `null` or a one-key object `{"<branch>": value}`.
#include "lpda/core/error.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/decode/record_mapping.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace lpda::decode {

/// Figures of one decode, updated as it goes. Bytes are bytes; counts are totals so far.
struct decode_stats {
  std::uint64_t input_bytes = 0;     ///< raw (compressed) bytes read
  std::uint64_t inflated_bytes = 0;  ///< decoded content bytes (for plain JSON, the raw bytes)
  std::uint64_t documents = 0;       ///< top-level JSON documents completely parsed
  /// Of those, documents with a top-level `recordCollection`: the Data Access envelope. A file
  /// with documents but no envelope is JSON of some other kind.
  std::uint64_t envelopes = 0;
  /// Records handed out by the decoder so far (Agent Activity's are events, hence the name).
  std::uint64_t events = 0;
  content_kind kind = content_kind::unknown;  ///< sniffed kind (`unknown` before the first read)
};

/// Nesting deeper than this fails the document (real files nest about 10 levels).
inline constexpr std::size_t max_depth = 256;

/// Reads one file's documents one at a time with a SAX parser, calling `mapping` for the values of
/// each item of `recordCollection` that it names; nothing else is materialised. Memory is bounded
/// by `limits::max_document_bytes` (about one document's text), not by the file's size.
///
/// Accepted: documents separated by any JSON whitespace (CRLF included), a UTF-8 BOM at the start,
/// Avro-JSON unions wrapped or not at every level (`{"string":…}`, `{"long":…}`, `{"int":…}`,
/// `{"double":…}`, `{"float":…}`, `{"boolean":…}`, `{"bytes":…}`, `{"array":…}`, `{"map":…}`,
/// `{"com.liveperson.…":…}`), `recordCollection` in any letter case, unknown fields, integral
/// numbers written with a fraction or exponent (`2.0`, `1e3`) up to 2^53 (see `scalar`). An empty
/// file (zero bytes) or one holding only whitespace is a success with no documents.
///
/// Failures are final (every later call returns the same error). N counts documents from 1; M is a
/// byte offset in the decoded content.
///  - `errc::bad_field` "document N at byte offset M: <JSON path>: <reason>": a value the mapping
///    refused, or of the wrong JSON type for its node. The path leaves out union wrappers, e.g.
///    `$.recordCollection[0].body.agentSessionsData[2].agentID`.
///  - `errc::malformed_json` "document N at byte offset M: <reason>", also for nesting deeper than
///    `max_depth` levels and a broken byte order mark.
///  - `errc::document_limit` "document N at byte offset M: larger than max_document_bytes (X
///    bytes)", M being where the document starts.
///  - `errc::unsupported_format` "not a Data Access file: none of its N JSON document(s) has a
///    recordCollection …", at the end of content whose JSON documents hold no envelope (an error
///    page or a listing served as a file would otherwise read as an hour without records).
///  - every error of `content_reader`: `unreadable`, `unsupported_format`, `gzip_corrupt`,
///    `gzip_truncated`, `trailing_data`, `inflated_limit`.
class document_reader {
 public:
  /// `mapping` must outlive the reader. A `limits::batch_size` of 0 counts as 1.
  document_reader(content_reader reader, limits lim, record_mapping& mapping);
  ~document_reader();
  document_reader(const document_reader&) = delete;
  document_reader& operator=(const document_reader&) = delete;

  /// Parses the next top-level document: true when one was parsed (its records went to the
  /// mapping), false at the end of the content, or an error (see the class comment).
  result<bool> next_document();

  /// The effective batch size (≥ 1).
  std::size_t batch_size() const noexcept;
  /// Notes `n` records handed out and brings the byte figures up to date.
  void count_records(std::size_t n) noexcept;
  /// Figures so far (final once `next_document` returned false).
  const decode_stats& stats() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::decode
