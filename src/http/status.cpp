#include "lpda/http/status.hpp"

namespace lpda::http {
namespace {

std::string_view xml_element(std::string_view body, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto a = body.find(open);
  if (a == std::string_view::npos) return {};
  const auto start = a + open.size();
  const auto b = body.find(close, start);
  if (b == std::string_view::npos) return {};
  return body.substr(start, b - start);
}

}  // namespace

std::optional<api_error_body> parse_error_body(std::string_view body) {
  api_error_body out;
  out.message = std::string(xml_element(body, "message"));
  out.internal_code = std::string(xml_element(body, "internalCode"));
  if (out.message.empty() && out.internal_code.empty()) return std::nullopt;
  return out;
}

std::optional<errc> classify_status(unsigned status) {
  if (status >= 100 && status < 400) return std::nullopt;
  if (status == 429) return errc::throttled;
  if (status == 401 || status == 403) return errc::auth_failed;
  if (status >= 400 && status < 500) return errc::client_error;
  if (status >= 500 && status < 600) return errc::server_error;
  return errc::protocol;
}

std::string redact_url(std::string_view url) {
  const auto cut = url.find_first_of("?#");
  return std::string(url.substr(0, cut));
}

error status_error(unsigned status, std::string_view url, std::string_view detail) {
  std::string msg = "HTTP " + std::to_string(status) + " from " + redact_url(url);
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return error(classify_status(status).value_or(errc::protocol), std::move(msg));
}

}  // namespace lpda::http
