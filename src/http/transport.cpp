#include "http/transport.hpp"

#include <algorithm>
#include <cctype>

namespace lpda::http::detail {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

milliseconds budget(milliseconds step, steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
  return std::max(milliseconds(1), std::min(step, left));
}

error io_error(const boost::system::error_code& ec, std::string_view step,
               const std::string& where) {
  const std::string at = std::string(step) + " " + where;
  if (ec == beast::error::timeout) return error(errc::timeout, at + ": timed out");
  if (ec == bhttp::error::body_limit)
    return error(errc::protocol, at + ": body larger than the limit");
  if (ec == bhttp::error::partial_message || ec == asio::error::eof ||
      ec == bhttp::error::end_of_stream || ec == ssl::error::stream_truncated)
    return error(errc::network, at + ": connection closed before the end of the response");
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == asio::error::connection_refused)
    return error(errc::network, at + ": " + ec.message());
  if (ec.category() == asio::error::get_ssl_category())
    return error(errc::tls, at + ": " + ec.message());
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
    return error(errc::protocol, at + ": " + ec.message());
  return error(errc::network, at + ": " + ec.message());
}

}  // namespace lpda::http::detail
