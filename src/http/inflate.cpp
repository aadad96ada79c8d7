#include "http/inflate.hpp"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

namespace lpda::http::detail {
namespace {

// Feeds chunks from `read` through zlib's gzip decoder into `write`.
result<std::uint64_t> inflate_stream(const std::function<std::size_t(char*, std::size_t)>& read,
                                     const std::function<bool(const char*, std::size_t)>& write,
                                     std::uint64_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return error(errc::gzip_corrupt, "inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::vector<char> in(64 * 1024), out(64 * 1024);
  std::uint64_t total = 0;
  bool member_done = false;
  bool any_input = false;
  for (;;) {
    if (zs.avail_in == 0) {
      const std::size_t n = read(in.data(), in.size());
      if (n == 0) break;
      any_input = true;
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(n);
    }
    if (member_done) {  // bytes after a member: another member follows
      if (inflateReset(&zs) != Z_OK) return error(errc::gzip_corrupt, "inflateReset failed");
      member_done = false;
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return error(errc::gzip_corrupt,
                   std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "inflate failed"));
    const std::size_t produced = out.size() - zs.avail_out;
    total += produced;
    if (total > limit)
      return error(errc::inflated_limit,
                   "inflated body larger than " + std::to_string(limit) + " bytes");
    if (produced > 0 && !write(out.data(), produced))
      return error(errc::unreadable, "cannot write inflated body");
    if (rc == Z_STREAM_END) member_done = true;
    if (rc == Z_BUF_ERROR && zs.avail_in != 0 && produced == 0)
      return error(errc::gzip_corrupt, "corrupt gzip data: no progress");
  }
  if (!any_input) return error(errc::gzip_truncated, "empty gzip body");
  if (!member_done) return error(errc::gzip_truncated, "gzip data ends before its trailer");
  return total;
}

}  // namespace

result<std::string> gunzip_string(std::string_view in, std::uint64_t limit) {
  std::string out;
  std::size_t pos = 0;
  auto r = inflate_stream(
      [&](char* buf, std::size_t cap) {
        const std::size_t n = std::min(cap, in.size() - pos);
        std::copy_n(in.data() + pos, n, buf);
        pos += n;
        return n;
      },
      [&](const char* d, std::size_t n) {
        out.append(d, n);
        return true;
      },
      limit);
  if (!r) return r.error();
  return out;
}

std::FILE* create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  // O_CREAT's mode applies only to a new file; one left behind may have another.
  std::FILE* f = ::fchmod(fd, 0600) == 0 ? ::fdopen(fd, "wb") : nullptr;
  if (f == nullptr) {
    const int err = errno;  // the caller names the cause; close must not change it
    ::close(fd);
    errno = err;
  }
  return f;
}

result<std::uint64_t> gunzip_file(const std::filesystem::path& in, const std::filesystem::path& out,
                                  std::uint64_t limit) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> fin(std::fopen(in.c_str(), "rb"), std::fclose);
  if (!fin) return error(errc::unreadable, "cannot open " + in.string());
  std::FILE* raw_out = create_private_file(out);
  if (raw_out == nullptr) return error(errc::unreadable, "cannot create " + out.string());
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> fout(raw_out, std::fclose);
  auto r = inflate_stream(
      [&](char* buf, std::size_t cap) { return std::fread(buf, 1, cap, fin.get()); },
      [&](const char* d, std::size_t n) { return std::fwrite(d, 1, n, fout.get()) == n; }, limit);
  if (!r) return r.error();
  if (std::fclose(fout.release()) != 0)
    return error(errc::unreadable, "cannot write " + out.string());
  return r;
}

}  // namespace lpda::http::detail
