#pragma once
// Helpers shared by the decode tests (the generic layer's and every data type's): draining a
// decoder, streaming gzip of large generated content (so a test never holds the inflated bytes),
// and peak-RSS measurement.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"
#include "lpda/decode/content.hpp"

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lpda {
/// Lets doctest print a failed `lpda::result` (found by argument-dependent lookup).
inline std::ostream& operator<<(std::ostream& os, const error& e) {
  return os << e.what();
}
}  // namespace lpda

namespace lpda::decode::test_util {

/// Drains a decoder; returns all records or the first error. `batches` receives each batch size.
template <class Record>
result<std::vector<Record>> drain(typed_record_source<Record>& d,
                                  std::vector<std::size_t>* batches = nullptr) {
  std::vector<Record> all;
  std::vector<Record> batch;
  for (;;) {
    auto r = d.next_batch(batch);
    if (!r) return r.error();
    if (!*r) {
      if (!batch.empty()) throw std::logic_error("next_batch returned false with records");
      return all;
    }
    if (batches) batches->push_back(batch.size());
    for (auto& e : batch) all.push_back(std::move(e));
  }
}

/// Decodes an in-memory body with `Decoder::from_bytes` (a data type's decoder) and drains it.
template <class Decoder>
auto decode_bytes(std::string bytes, limits lim = {}) {
  auto d = Decoder::from_bytes(std::move(bytes), lim);
  return drain(*d);
}

/// gzip of content produced piecewise by `next` (returns false when done), with zlib deflate in
/// streaming mode: memory stays small however large the content.
inline std::string gzip_stream(const std::function<bool(std::string&)>& next, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out;
  std::string piece;
  std::vector<unsigned char> buf(64 * 1024);
  bool more = true;
  while (more) {
    piece.clear();
    more = next(piece);
    zs.next_in = reinterpret_cast<Bytef*>(piece.data());
    zs.avail_in = static_cast<uInt>(piece.size());
    const int flush = more ? Z_NO_FLUSH : Z_FINISH;
    int rc = Z_OK;
    do {
      zs.next_out = buf.data();
      zs.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&zs, flush);
      out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  return out;
}

/// `count` bytes of `c`, gzipped in 1 MiB pieces.
inline std::string gzip_repeated(char c, std::uint64_t count) {
  std::uint64_t left = count;
  return gzip_stream([&](std::string& piece) {
    const std::uint64_t n = std::min<std::uint64_t>(left, 1 << 20);
    piece.assign(static_cast<std::size_t>(n), c);
    left -= n;
    return left > 0;
  });
}

/// Reads a "VmXXX:   123 kB" line of /proc/self/status, in KiB.
inline long proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

/// Resets the peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0, proc(5) clear_refs "5").
inline bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace lpda::decode::test_util
