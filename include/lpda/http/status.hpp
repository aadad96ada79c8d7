#pragma once
/// HTTP status → `lpda::errc` (the one error classification of the http module).
#include "lpda/core/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace lpda::http {

/// The error kind of a final HTTP status: nullopt for 1xx–3xx and 2xx; 429 → `throttled`;
/// 401, 403 → `auth_failed`; other 4xx → `client_error`; 5xx → `server_error`; anything else
/// (< 100, ≥ 600) → `protocol`.
std::optional<errc> classify_status(unsigned status);

/// An `lpda::error` for a non-2xx response: code from `classify_status`, message
/// "HTTP <status> from <url without query>[: <detail>]". The query is left out so that no
/// parameter that might carry a token reaches a log.
error status_error(unsigned status, std::string_view url, std::string_view detail = {});

/// The `<error><message>…</message><internalCode>…</internalCode></error>` body LivePerson's
/// APIs return on errors (seen in LivePersonInc/developer-center issue #129).
struct api_error_body {
  std::string message;
  std::string internal_code;
};

/// Extracts `<message>` and `<internalCode>` from an XML error body — the one parser of it, for
/// the client's status errors, token refusals and listings; nullopt when `body` has neither.
/// The texts are as sent (not unescaped, not made safe for a log: see `lpda::escape_text`).
std::optional<api_error_body> parse_error_body(std::string_view body);

/// `url` without its query and fragment, for messages and logs.
std::string redact_url(std::string_view url);

}  // namespace lpda::http
