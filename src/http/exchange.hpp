#pragma once
// One exchange on an open connection: write the request, read the response header, and read
// the body into memory or, for a 2xx download, into the spool file (the transport gzip layer
// noted, not yet removed), bounded by limits, the idle timeout and the request deadline.
#include "http/transport.hpp"
#include "lpda/http/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace lpda::http::detail {

// Where one exchange puts a 2xx body.
struct body_plan {
  const std::filesystem::path* spool = nullptr;  // null → memory
  std::uint64_t mem_limit = 0;
  std::uint64_t file_limit = 0;
};

struct exchange_out {
  unsigned status = 0;
  header_list headers;
  std::string body;               // in memory (non-2xx of a download, or any send)
  std::filesystem::path written;  // file actually written (spool or its transport copy)
  std::uint64_t file_bytes = 0;
  bool keep_alive = false;
  bool gzip_layer = false;
};

/// Sends `req` on `c` and reads the response, counting the request in `stats`. `*got_bytes`
/// becomes true once any byte of the response has arrived (a pooled connection the server had
/// closed fails before that).
asio::awaitable<result<exchange_out>> exchange(connection& c,
                                               bhttp::request<bhttp::string_body>& req,
                                               body_plan plan, steady::time_point deadline,
                                               const client_settings& settings, std::string where,
                                               bool* got_bytes, client_stats& stats);

}  // namespace lpda::http::detail
