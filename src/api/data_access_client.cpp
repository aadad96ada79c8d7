#include "lpda/api/data_access_client.hpp"

#include "lpda/core/clock.hpp"
#include "lpda/http/oauth1.hpp"
#include "lpda/http/status.hpp"

#include <fstream>
#include <span>

namespace lpda::api {

data_access_client::data_access_client(http::client& http, http::auth_strategy& auth,
                                       account_endpoint endpoint, http::server_clock server_time)
    : http_(http),
      auth_(auth),
      endpoint_(std::move(endpoint)),
      server_time_(std::move(server_time)) {
  while (!endpoint_.base_url.empty() && endpoint_.base_url.back() == '/')
    endpoint_.base_url.pop_back();
  if (endpoint_.allowed_hosts.empty())
    endpoint_.allowed_hosts = default_allowed_hosts(endpoint_.base_url);
}

error data_access_client::with_auth_causes(error e, unsigned status) const {
  if (e.code != make_error_code(errc::auth_failed)) return e;
  // Without the answer at hand (a download, a token request) the message names the status:
  // it starts "HTTP 403 from …" or quotes it.
  if (status == 0) status = e.message.find("HTTP 403") != std::string::npos ? 403 : 401;
  e.message += "; " + auth_failure_causes(status, endpoint_.auth, endpoint_.account_id);
  // Only OAuth 1.0a puts the host's time into the request (oauth_timestamp); a bearer token
  // carries none, so a clock cannot explain its 401. Empty unless the measured skew is large.
  if (status == 401 && endpoint_.auth == auth_kind::oauth1)
    e.message += http::clock_skew_clause(server_time_.skew_ms(), skew_warning_.count());
  return e;
}

std::string data_access_client::base_resource_url() const {
  return endpoint_.base_url + "/data_access_le/account/" +
         http::percent_encode(endpoint_.account_id) + "/le";
}

std::string data_access_client::listing_url(std::string_view data_type, std::int64_t start_ms,
                                            std::int64_t end_ms) const {
  return base_resource_url() + "/" + http::percent_encode(data_type) +
         "?startTime=" + std::to_string(start_ms) + "&endTime=" + std::to_string(end_ms);
}

boost::asio::awaitable<result<file_listing>> data_access_client::list_files(std::string data_type,
                                                                            std::int64_t start_ms,
                                                                            std::int64_t end_ms) {
  http::request req;
  req.url = listing_url(data_type, start_ms, end_ms);
  req.headers = {{"Accept", "application/json"}};
  req.allowed_hosts = endpoint_.allowed_hosts;
  req.context = "account=" + endpoint_.account_id + " data_type=" + data_type + " listing " +
                format_iso8601_ms(start_ms) + ".." + format_iso8601_ms(end_ms);
  req.is_expected_answer = is_empty_listing_answer;
  auto r = co_await http_.send(std::move(req), &auth_);
  if (!r) co_return with_auth_causes(r.error(), 0);
  observe(*r);
  auto listing = parse_listing(r->status, r->body, r->url);
  if (!listing) co_return with_auth_causes(listing.error(), r->status);
  co_return listing;
}

boost::asio::awaitable<result<downloaded_file>> data_access_client::download(
    data_file file, std::filesystem::path spool) {
  http::request req;
  req.url = file.href;
  req.headers = {{"Accept", "*/*"}};
  req.allowed_hosts = endpoint_.allowed_hosts;
  req.context = "account=" + endpoint_.account_id + " file=" + escape_text(file.key);
  auto r = co_await http_.download(std::move(req), spool, &auth_);
  if (!r) {
    auto e = r.error();
    // The href is listing text and the client's messages quote it (and error bodies) verbatim.
    e.message = "download of " + file.key + ": " + escape_text(e.message);
    co_return with_auth_causes(std::move(e), 0);
  }
  downloaded_file out;
  out.path = r->path;
  out.bytes = r->bytes;
  std::ifstream in(out.path, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof head);
  out.kind = decode::sniff(std::span<const unsigned char>(
      reinterpret_cast<const unsigned char*>(head), static_cast<std::size_t>(in.gcount())));
  co_return out;
}

boost::asio::awaitable<result<std::vector<data_type_link>>> data_access_client::base_resource() {
  http::request req;
  req.url = base_resource_url();
  req.headers = {{"Accept", "application/json"}};
  req.allowed_hosts = endpoint_.allowed_hosts;
  req.context = "account=" + endpoint_.account_id + " base resource";
  auto r = co_await http_.send(std::move(req), &auth_);
  if (!r) co_return with_auth_causes(r.error(), 0);
  observe(*r);
  if (r->status < 200 || r->status >= 300) {
    std::string detail;
    if (auto e = parse_error_body(r->body)) detail = e->message;
    co_return with_auth_causes(http::status_error(r->status, r->url, detail), r->status);
  }
  co_return parse_base_resource(r->body);
}

boost::asio::awaitable<result<std::optional<std::int64_t>>> data_access_client::server_now() {
  // Only before any answer: a server that sends no Date is not asked again on every poll.
  if (!server_time_.sample() && server_time_.missed() == 0) {
    // The answer's Date is what is wanted; its status and body do not matter here (a failure
    // that matters shows again in the poll's own requests). No answer at all (the host is
    // unreachable, the token service refused) would fail the listing the same way, after the
    // same retries again: that is the poll's error now.
    auto links = co_await base_resource();
    if (!links && !server_time_.sample() && server_time_.missed() == 0) co_return links.error();
  }
  co_return server_time_.now_ms();
}

void data_access_client::observe(const http::response& r) {
  server_time_.observe(r.header("Date"));
}

}  // namespace lpda::api
