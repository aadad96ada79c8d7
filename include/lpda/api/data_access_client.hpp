#pragma once
/// The Data Access API client for one account: listings, file downloads and the base resource
/// (LivePerson developer docs,
/// developers.liveperson.com/data-access-api-methods-agent-activity.html and
/// …-methods-base-resource.html). All requests go through `http::client` with the account's auth
/// strategy and allowed hosts.
#include "lpda/api/endpoint.hpp"
#include "lpda/api/listing.hpp"
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/http/auth.hpp"
#include "lpda/http/client.hpp"
#include "lpda/http/server_time.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
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
  /// `server_time` reads the `Date` header of every answer (see `server_time()`).
  data_access_client(http::client& http, http::auth_strategy& auth, account_endpoint endpoint,
                     http::server_clock server_time = http::server_clock{});

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

  /// The server's clock, updated from the `Date` header of every answer to a listing or
  /// base-resource request, whatever its status (RFC 9110 §6.6.1: an origin server with a clock
  /// sends `Date` in every response).
  const http::server_clock& server_time() const noexcept { return server_time_; }

  /// The server's now (epoch ms, `http::server_clock::now_ms`). Before any answer has been
  /// received it GETs the base resource to read its `Date`. nullopt when the answers carry no
  /// usable `Date`: the caller falls back to the host clock. Errors: that request's, when it
  /// got no answer at all (network, TLS, timeout, a token refused) — a listing would fail alike.
  boost::asio::awaitable<result<std::optional<std::int64_t>>> server_now();

  /// A host clock this far (or more) from the server's makes a 401 of an OAuth 1.0a account
  /// name the clock as a likely cause (see `http::clock_skew_clause`). Default 5 min.
  void set_clock_skew_warning(std::chrono::milliseconds threshold) { skew_warning_ = threshold; }

  /// What the poller has said in the log about this server's clock, so each is said once per
  /// client: that its answers carry no usable `Date`, and that the skew is beyond the warning
  /// threshold (said again only after it was back within).
  struct clock_notes {
    bool fallback_logged = false;
    bool skew_warned = false;
  };
  clock_notes& notes() noexcept { return notes_; }

  const account_endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  // Reads the answer's Date into server_time_.
  void observe(const http::response& r);
  // `e` with `auth_failure_causes` appended when it is `errc::auth_failed`, and for a 401 to an
  // OAuth 1.0a request `http::clock_skew_clause`. `status`: the answer's, or 0 to read it from
  // the message.
  error with_auth_causes(error e, unsigned status) const;

  http::client& http_;
  http::auth_strategy& auth_;
  account_endpoint endpoint_;
  http::server_clock server_time_;
  std::chrono::milliseconds skew_warning_{std::chrono::minutes(5)};
  clock_notes notes_;
};

}  // namespace lpda::api
