#pragma once
// Byte-exact rendering of what the emulator serves: file bodies (NDJSON or the docs' framing,
// gzip variants), listings, the base resource, XML errors, and the expected event set.
#include "lpda/emulator/generator.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace lpda::emulator {

/// How an empty listing is answered
/// (https://developers.liveperson.com/data-access-api-methods-agent-activity.html documents none;
/// public clients treat a non-200 "No Available Files" body as empty).
enum class empty_listing {
  not_found_xml,     ///< 404 + <error>…<message>No Available Files</message>…</error>
  empty_array,       ///< 200 + "file": []
  missing_file_key,  ///< 200 + dataAccessFiles without "file"
};

/// Field-name casing of the three agent name fields.
enum class name_casing {
  example,    ///< agentUsername / agentNickname / agentLoginname (docs example, real data)
  table,      ///< agentUserName / agentNickName / agentLoginName (docs field table)
  alternate,  ///< example casing for even documents, table casing for odd ones
};

/// Every switchable variant of the served data. Defaults are the real API's behaviour.
struct variants {
  bool single_file_as_object = false;  ///< a one-file listing has "file": {…}
  empty_listing empty = empty_listing::not_found_xml;
  bool href_without_gz = false;        ///< hrefs end without ".gz"
  bool plain_body = false;             ///< bodies are NDJSON without gzip
  bool multi_member = false;           ///< gzip body split into several members
  int zero_padding = 0;                ///< zero bytes appended after the last gzip member
  bool content_encoding_gzip = false;  ///< Content-Encoding: gzip over the (gzip) file bytes
  bool docs_framing =
      false;  ///< pretty-printed, unwrapped metaData/recordCollection, each doc twice
  name_casing casing = name_casing::example;
  bool employee_id_as_long = false;  ///< agentEmployeeId as {"long": n} (null when absent), as the
                                     ///< docs' field table types it
  bool extra_fields = false;     ///< add userProfileIDs (newer docs) and an unknown field per event
  int retention_days = 30;       ///< files vanish this long after creation (0 = never)
  bool filter_on_scope = false;  ///< listings filter on scope start instead of creation
  bool no_date = false;          ///< answers carry no `Date` header (a server without a clock)
};

/// The JSON documents of a file (one per session) as NDJSON, wrapped like real files:
/// metaData as {"com.liveperson.dataaccess.MetaData":…}, recordCollection as {"array":[…]}.
/// With `docs_framing`, pretty-printed with unwrapped metaData/recordCollection and each document
/// written twice (the shape of the method page's "Data Structure" example). UTF-8.
std::string render_documents(const std::vector<agent_session>& sessions, const variants& v);

/// One gzip member (RFC 1952) of `data`, zlib deflate at `level`.
std::string gzip_member(std::string_view data, int level = 6);

/// The stored bytes of a file as served at its href: render_documents, then gzip (one member, or
/// several with `multi_member`), then `zero_padding` zeros; or the plain text with `plain_body`.
/// Content-Encoding is a transport layer the server adds on top of this.
std::string render_file(const std::vector<agent_session>& sessions, const variants& v);

/// How the listing entry of one file is corrupted, to test a client's handling of one malformed
/// entry among good ones. The file itself stays downloadable at its href.
enum class entry_fault {
  none,
  no_href,         ///< the entry has no "@href"
  bad_name,        ///< "@name" without its "-k" suffix ("…part-00001"), not the name pattern
  scope_mismatch,  ///< "@scopeStartDate" one hour before the start epoch in the name
  not_object,      ///< the entry is the name as a JSON string instead of an object
};

/// "no-href", "bad-name", "scope-mismatch", "not-object" (and "none").
std::string_view entry_fault_name(entry_fault f) noexcept;
/// The inverse of entry_fault_name; nullopt for any other text.
std::optional<entry_fault> parse_entry_fault(std::string_view s) noexcept;

/// A listed file with its absolute href.
struct listed_file {
  file_info info;
  std::string href;
  entry_fault fault = entry_fault::none;  ///< how its listing entry is rendered
};

/// The listing JSON (`dataAccessFiles` with "@id", a "link" object rel=self and "file"), all
/// scalars strings, scope dates in America/New_York. For an empty `files` follows `v.empty`
/// (the caller answers 404 for not_found_xml).
std::string render_listing(const std::string& account, const std::string& self_href,
                           const std::vector<listed_file>& files, const variants& v);

/// The base resource: {"le":{"@accountId":…,"link":[self, agentActivity, webSession,
/// engagement, survey, schema]}} with hrefs under `le_href` (".../le").
std::string render_base_resource(const std::string& account, const std::string& le_href);

/// LivePerson's XML error body: <error><time>NY time</time><message>…</message>
/// <internalCode>…</internalCode></error>.
std::string render_error_xml(std::string_view message, int internal_code, std::int64_t now_ms);

/// A hand-written Avro schema (JSON) of AgentActivity, served at …/le/schema.
std::string agent_activity_schema();

/// One distinct event of the expected set: natural key (account, agentSessionId, agentID,
/// timestamp, type, state, prevState, prevConcurrentEng, concurrentEng) plus attributes.
struct expected_event {
  std::string account;
  std::string session_id;
  agent_event event;
  std::string file;  ///< name of the file that carries it
  auto key() const {
    return std::tie(account, session_id, event.agent_id, event.timestamp, event.type, event.state,
                    event.prev_state, event.prev_concurrent, event.concurrent);
  }
};

/// The distinct events of `sessions` appended to `out` (no sorting).
void collect_expected(const file_info& file, const std::vector<agent_session>& sessions,
                      std::vector<expected_event>& out);

/// Sorts by natural key and removes duplicates (first occurrence wins).
void sort_unique(std::vector<expected_event>& events);

/// NDJSON, one object per event: {"account","agentSessionId","agentID","timestamp","type",
/// "state","prevState","prevConcurrentEng","concurrentEng","maxConcurrentEng","agentGroupID",
/// "agentEmployeeId","agentUsername","agentNickname","agentLoginname","file"}; numbers as JSON
/// numbers, strings UTF-8.
std::string render_expected_ndjson(const std::vector<expected_event>& events);

/// CSV (RFC 4180) with a header row of the same 16 columns in the same order; strings quoted
/// when they contain a comma, quote, CR or LF.
std::string render_expected_csv(const std::vector<expected_event>& events);

}  // namespace lpda::emulator
