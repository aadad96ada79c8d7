#pragma once
/// Parsing of Data Access API responses: the file listing and the base resource. Pure functions
/// over a status code and a body. Shapes: LivePerson developer docs, "Agent Activity" method page
/// (developers.liveperson.com/data-access-api-methods-agent-activity.html, "JSON Example") and
/// "Base Resource" (developers.liveperson.com/data-access-api-methods-base-resource.html).
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"

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

/// Splits a file name (with or without ".gz"). Error `errc::bad_listing` naming `name` when it
/// does not follow the pattern.
result<file_name_parts> parse_file_name(std::string_view name);

/// Parses an ISO 8601 date-time with an offset ("2016-04-23T01:00:00-04:00", optional
/// fractional seconds, "Z" accepted) to epoch ms UTC. Error `errc::bad_listing`.
result<std::int64_t> parse_iso8601_ms(std::string_view text);

/// The `<error><message>…</message><internalCode>…</internalCode></error>` body the API returns
/// on errors (seen in LivePersonInc/developer-center issue #129).
struct api_error_body {
  std::string message;
  std::string internal_code;
};

/// Extracts `<message>` and `<internalCode>` from an XML error body; nullopt when `body` has
/// neither.
std::optional<api_error_body> parse_error_body(std::string_view body);

/// Parses a listing response.
/// - 2xx: JSON `{"dataAccessFiles": {"file": …}}`, `file` an array, one object, null or missing;
///   `dataAccessFiles` missing or null → empty. Each file gives a `data_file`: key = `@name`
///   without a trailing ".gz", `@href` verbatim, part number and scope start/end from the ISO
///   dates, which must equal the epochs in the name.
/// - non-2xx whose body (XML or JSON) contains "No Available Files" (any case) → empty.
/// - other non-2xx → the status's error kind (`lpda::http::classify_status`) with the XML
///   `<message>` and `<internalCode>` when present.
/// Errors: `errc::malformed_json` (with offset), `errc::bad_listing` naming the file and field.
/// `url` is used in messages only (without its query).
result<std::vector<data_file>> parse_listing(unsigned status, std::string_view body,
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
