#pragma once
/// The Data Access API client for one account: listings, file downloads and the base resource
/// (LivePerson developer docs,
/// developers.liveperson.com/data-access-api-methods-agent-activity.html and
/// …-methods-base-resource.html). All requests go through `http::client` with the account's auth
/// strategy and allowed hosts.
#include "lpda/api/endpoint.hpp"
#include "lpda/api/listing.hpp"
#include "lpda/core/data_file.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/core/error.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::api {

/// A file streamed to a spool.
struct downloaded_file {
  std::filesystem::path path;  ///< the spool file
  std::uint64_t bytes = 0;     ///< its size in bytes
  decode::content_kind kind = decode::content_kind::unknown;  ///< sniffed from the first bytes
};

class data_access_client {
 public:
  /// `http` and `auth` must outlive this object. `endpoint.allowed_hosts` empty → defaults.
  data_access_client(http::client& http, http::auth_strategy& auth, account_endpoint endpoint);

  /// `{base}/data_access_le/account/{id}/le/{data_type}?startTime={start_ms}&endTime={end_ms}`.
  std::string listing_url(std::string_view data_type, std::int64_t start_ms,
                          std::int64_t end_ms) const;
  /// `{base}/data_access_le/account/{id}/le`.
  std::string base_resource_url() const;

  /// Lists the files of `data_type` (e.g. "agentActivity") generated in [start_ms, end_ms]
  /// (epoch ms), with `Accept: application/json`: the well-formed files and the rejected
  /// (malformed) entries, see `parse_listing`. "No Available Files" → empty. Errors, for the
  /// listing as a whole: the http client's, and `parse_listing`'s (status kinds,
  /// `malformed_json`, `bad_listing`).
  boost::asio::awaitable<result<file_listing>> list_files(std::string data_type,
                                                          std::int64_t start_ms,
                                                          std::int64_t end_ms);

  /// GETs `file.href` verbatim with `Accept: */*`, streamed to `spool` (replaced), and sniffs
  /// its kind. A href to a host outside the allowed hosts → `errc::host_not_allowed`; non-2xx
  /// → the status's error kind. Error messages start "download of <file.key>: " and are passed
  /// through `escape_text` (they may quote the href or the error body).
  boost::asio::awaitable<result<downloaded_file>> download(data_file file,
                                                           std::filesystem::path spool);

  /// The data types the account has enabled (links of the base resource except self/schema).
  boost::asio::awaitable<result<std::vector<data_type_link>>> base_resource();

  const account_endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  /// `e` with `auth_failure_causes` appended when it is `errc::auth_failed`.
  error with_auth_causes(error e) const;

  http::client& http_;
  http::auth_strategy& auth_;
  account_endpoint endpoint_;
};

}  // namespace lpda::api
