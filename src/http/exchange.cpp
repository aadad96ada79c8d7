#include "http/exchange.hpp"

#include "http/inflate.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace lpda::http::detail {
namespace {

template <class Stream>
asio::awaitable<result<exchange_out>> exchange_on(Stream& s, connection& c,
                                                  bhttp::request<bhttp::string_body>& req,
                                                  body_plan plan, steady::time_point deadline,
                                                  const client_settings& settings,
                                                  std::string where, bool* got_bytes,
                                                  client_stats& stats) {
  auto& low = c.lowest();
  low.expires_after(budget(settings.io_timeout, deadline));
  auto [wec, wn] = co_await bhttp::async_write(s, req, use_tuple);
  if (wec) co_return io_error(wec, "sending request to", where);
  ++stats.requests_sent;

  bhttp::response_parser<bhttp::buffer_body> p;
  p.body_limit(std::max(plan.mem_limit, plan.spool ? plan.file_limit : 0));
  low.expires_after(budget(settings.io_timeout, deadline));
  auto [hec, hn] = co_await bhttp::async_read_header(s, c.buffer, p, use_tuple);
  if (hn > 0 || p.got_some()) *got_bytes = true;
  if (hec) co_return io_error(hec, "reading response header from", where);
  *got_bytes = true;

  exchange_out out;
  out.status = p.get().result_int();
  for (const auto& f : p.get())
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  const std::string encoding(p.get()[bhttp::field::content_encoding]);
  if (!encoding.empty() && !iequals(encoding, "identity")) {
    if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip"))
      out.gzip_layer = true;
    else
      co_return error(errc::protocol,
                      "unsupported Content-Encoding \"" + encoding + "\" from " + where);
  }
  const bool to_file = plan.spool != nullptr && out.status >= 200 && out.status < 300;
  std::FILE* file = nullptr;
  if (to_file) {
    out.written = *plan.spool;
    if (out.gzip_layer) out.written += ".transport";
    file = detail::create_private_file(out.written);
    if (file == nullptr)
      co_return error(errc::unreadable, "cannot create spool file " + out.written.string() + ": " +
                                            std::strerror(errno));
  }
  struct closer {
    std::FILE*& f;
    ~closer() {
      if (f != nullptr) std::fclose(f);
    }
  } close_file{file};

  std::vector<char> buf(64 * 1024);
  const std::uint64_t limit = to_file ? plan.file_limit : plan.mem_limit;
  std::uint64_t total = 0;
  // read_some, not read: each call gets a fresh idle timeout, so a dripping server is cut off
  // by the whole-request deadline and a silent one by the idle timeout.
  while (!p.is_done()) {
    // Checked here as well as by the stream's timer: a server that keeps the buffer full
    // completes every read at once, so the timer alone would never fire.
    if (steady::now() >= deadline)
      co_return error(errc::timeout, "response body from " + where + " not complete within " +
                                         std::to_string(settings.request_timeout.count()) +
                                         " ms (request_timeout)");
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    low.expires_after(budget(settings.io_timeout, deadline));
    auto [rec, rn] = co_await bhttp::async_read_some(s, c.buffer, p, use_tuple);
    if (rec == bhttp::error::need_buffer) rec = {};
    const std::size_t got = buf.size() - p.get().body().size;
    total += got;
    if (total > limit)
      co_return error(errc::protocol, "response body from " + where + " larger than " +
                                          std::to_string(limit) + " bytes");
    if (got > 0) {
      if (file != nullptr) {
        if (std::fwrite(buf.data(), 1, got, file) != got)
          co_return error(errc::unreadable, "cannot write spool file " + out.written.string());
      } else {
        out.body.append(buf.data(), got);
      }
    }
    if (rec) co_return io_error(rec, "reading response body from", where);
  }
  if (const auto len = p.content_length_remaining(); len && *len != 0)
    co_return error(errc::network, "response body from " + where + " ended before Content-Length");
  if (file != nullptr) {
    const int rc = std::fclose(file);
    file = nullptr;
    if (rc != 0)
      co_return error(errc::unreadable, "cannot write spool file " + out.written.string());
  }
  out.file_bytes = to_file ? total : 0;
  out.keep_alive = p.keep_alive();
  co_return out;
}

}  // namespace

asio::awaitable<result<exchange_out>> exchange(connection& c,
                                               bhttp::request<bhttp::string_body>& req,
                                               body_plan plan, steady::time_point deadline,
                                               const client_settings& settings, std::string where,
                                               bool* got_bytes, client_stats& stats) {
  if (c.secure)
    co_return co_await exchange_on(*c.secure, c, req, plan, deadline, settings, std::move(where),
                                   got_bytes, stats);
  co_return co_await exchange_on(*c.plain, c, req, plan, deadline, settings, std::move(where),
                                 got_bytes, stats);
}

}  // namespace lpda::http::detail
