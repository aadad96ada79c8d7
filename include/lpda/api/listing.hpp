#pragma once
/// Parsing of Data Access API responses: the file listing and the base resource. Pure functions
/// over a status code and a body. Shapes: LivePerson developer docs, "Agent Activity" method page
/// (developers.liveperson.com/data-access-api-methods-agent-activity.html, "JSON Example") and
/// "Base Resource" (developers.liveperson.com/data-access-api-methods-base-resource.html).
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/core/text.hpp"
#include "lpda/http/status.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::api {

/// The parts of a file name `<Prefix>.<scopeStartMs>.<scopeEndMs>.part-<NNNNN>-<k>[.gz]`.
struct file_name_parts {
  std::string prefix;  ///< "Agent", "Engagement", ...
  std::int64_t scope_start_ms = 0;
  std::int64_t scope_end_ms = 0;
  int part = 0;      ///< NNNNN
  int sub_part = 0;  ///< k
};

// escape_text (lpda/core/text.hpp) makes listing text one printable line before it enters an
// error message; it is named here too because the listing's messages are its main user.
using ::lpda::escape_text;

/// Splits a file name (with or without ".gz"). Error `errc::bad_listing` naming `name` (escaped
/// with `escape_text`) when it does not follow the pattern or holds a byte `escape_text` escapes.
result<file_name_parts> parse_file_name(std::string_view name);

/// Parses an ISO 8601 date-time with an offset ("2016-04-23T01:00:00-04:00", optional
/// fractional seconds, "Z" accepted) to epoch ms UTC with `lpda::parse_iso8601_ms`
/// (`iso8601_form::date_time`). Error `errc::bad_listing` quoting `text` escaped.
result<std::int64_t> parse_iso8601_ms(std::string_view text);

/// LivePerson's XML error body and its parser live in the http module (lpda/http/status.hpp).
using ::lpda::http::api_error_body;
using ::lpda::http::parse_error_body;

/// A listing entry that `parse_listing` could not read as a file: not an object, `@name`,
/// `@href` or a scope date missing or not a string, a name that is not
/// `<Prefix>.<startMs>.<endMs>.part-N-k[.gz]`, a scope date that is not ISO 8601 with an offset,
/// or scope dates that differ from the epochs in the name. Such an entry is never downloaded.
struct rejected_entry {
  /// Position in the `file` array; 0 when `file` is one value (the API's one-file array
  /// collapsed to its element), an object or not.
  std::size_t index = 0;
  std::optional<std::string> name;  ///< `@name`, when it is a string
  std::optional<std::string> href;  ///< `@href`, when it is a string
  /// The parts of `name`, when it follows the file name pattern (scope and part for the ledger).
  std::optional<file_name_parts> name_parts;
  /// `errc::bad_listing`; the message names the listing URL (without its query), the index,
  /// the name when there is one, and the field or the mismatch. Listing text in it is escaped
  /// (`escape_text`): it is one printable line.
  lpda::error reason;
  /// `"listing-entry:"` followed by 16 lower-case hex digits: the 64-bit FNV-1a hash
  /// (isthe.com/chongo/tech/comp/fnv) of the bytes of `@name` when `@name` is a string; else of
  /// the entry's JSON text re-serialised compactly without its `@href` member (members in their
  /// listed order). The same entry listed again gives the same key, whatever the window it was
  /// listed in, even when its `@href` (a signed URL, say) changes between listings.
  std::string entry_key;
};

/// The ledger key of a rejected entry: its `@name` without a trailing ".gz" when the name is
/// usable — 1..255 bytes, every byte printable ASCII other than space, not starting with
/// "listing-entry:" — else `entry.entry_key`. Pure.
std::string ledger_key(const rejected_entry& entry);

/// A parsed listing: the files to fetch and the entries that could not be read.
struct file_listing {
  std::vector<data_file> files;          ///< the well-formed entries, in listed order
  std::vector<rejected_entry> rejected;  ///< the malformed entries, in listed order
  /// True when the listing has neither files nor rejected entries.
  bool empty() const noexcept { return files.empty() && rejected.empty(); }
};

/// True for the answer the Data Access API gives a listing window without files: a non-2xx
/// status (404 in practice) whose body contains "No Available Files" (any case). An outcome,
/// not an error: `parse_listing` returns an empty listing for it.
bool is_empty_listing_answer(unsigned status, std::string_view body);

/// Parses a listing response.
/// - 2xx: JSON `{"dataAccessFiles": {"file": …}}`, `file` an array, one object, null or missing;
///   `dataAccessFiles` missing or null → empty. Any other `file` value (a string, a number) is
///   read as a one-element array whose element is not an object: one rejected entry at index 0.
///   Each well-formed entry gives a `data_file`: key =
///   `@name` without a trailing ".gz", `@href` verbatim, part number and scope start/end from the
///   ISO dates, which must equal the epochs in the name. Each other entry gives a
///   `rejected_entry` (see there); one bad entry never hides the good ones beside it.
/// - non-2xx whose body (XML or JSON) contains "No Available Files" (any case) → empty.
/// - other non-2xx → the status's error kind (`lpda::http::classify_status`) with the XML
///   `<message>` and `<internalCode>` when present.
/// Errors, for the listing as a whole: `errc::malformed_json` (with the byte offset) when the body
/// is not JSON; `errc::bad_listing` when the top level is not an object or `dataAccessFiles` is not
/// an object.
/// `url` is used in messages only (without its query).
/// Shape: developers.liveperson.com/data-access-api-methods-agent-activity.html ("JSON Example").
result<file_listing> parse_listing(unsigned status, std::string_view body,
                                   std::string_view url = {});

/// A data type link of the base resource, e.g. {"agentActivity", "https://…/le/agentActivity"}.
struct data_type_link {
  std::string rel;
  std::string href;
};

/// Parses the base resource `{"le": {"@accountId": …, "link": [{"@href", "@rel"}, …]}}` (`link`
/// an array or one object) into the enabled data types: every link except "self" and "schema".
/// Errors: `errc::malformed_json`, `errc::bad_listing`.
result<std::vector<data_type_link>> parse_base_resource(std::string_view body);

}  // namespace lpda::api
