#include "lpda/decode/content.hpp"
#include "lpda/core/enum_names.hpp"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace lpda::decode {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr unsigned char gzip_magic[2] = {0x1f, 0x8b};

bool is_json_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string hex_bytes(std::string_view bytes, std::size_t max_count = 16) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min(bytes.size(), max_count);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (i != 0) out += ' ';
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  if (bytes.size() > n) out += " …";
  return out;
}

}  // namespace

content_kind sniff(std::span<const unsigned char> b) noexcept {
  if (b.empty()) return content_kind::empty;
  if (b.size() >= 2 && b[0] == gzip_magic[0] && b[1] == gzip_magic[1]) return content_kind::gzip;
  if (b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4)
    return content_kind::zip;
  std::size_t i = 0;
  if (b.size() >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) i = 3;
  while (i < b.size() && is_json_space(b[i])) ++i;
  // Nothing but a BOM and whitespace: still JSON text (with no documents).
  if (i == b.size()) return content_kind::json;
  return (b[i] == '{' || b[i] == '[') ? content_kind::json : content_kind::unknown;
}

constexpr auto content_kind_names =
    make_enum_names<content_kind>({{content_kind::gzip, "gzip"},
                                   {content_kind::json, "json"},
                                   {content_kind::zip, "zip"},
                                   {content_kind::empty, "empty"},
                                   {content_kind::unknown, "unknown"}});

std::string_view to_string(content_kind kind) noexcept {
  return content_kind_names.name(kind);
}

struct content_reader::impl {
  enum class state { start, plain, member, between, padding, done, failed };

  // raw input: either a file descriptor or an owned buffer
  int fd = -1;
  std::filesystem::path path;
  std::string bytes;
  std::size_t bytes_pos = 0;
  std::vector<char> in_buf;
  bool raw_eof = false;

  std::string_view in;              // unconsumed raw bytes of the current chunk
  std::uint64_t in_end_offset = 0;  // raw offset just past `in`

  std::uint64_t max_inflated = 0;
  std::uint64_t content_bytes = 0;
  content_kind kind = content_kind::unknown;
  state st = state::start;
  error failure;

  z_stream zs{};
  bool zs_ready = false;
  std::vector<unsigned char> out_buf;
  int member = 0;              // 1-based number of the gzip member being read
  std::size_t magic_seen = 0;  // bytes of the next member's magic consumed while `between`

  ~impl() {
    if (zs_ready) inflateEnd(&zs);
    if (fd >= 0) ::close(fd);
  }

  std::uint64_t offset() const { return in_end_offset - in.size(); }

  result<std::string_view> fail(errc code, std::string message) {
    st = state::failed;
    failure = error{code, std::move(message)};
    return failure;
  }

  // Replaces `in` with the next raw chunk; false at end of input.
  result<bool> refill() {
    if (raw_eof) return false;
    if (fd < 0) {
      const std::size_t n = std::min(chunk_size, bytes.size() - bytes_pos);
      in = std::string_view(bytes).substr(bytes_pos, n);
      bytes_pos += n;
    } else {
      if (in_buf.empty()) in_buf.resize(chunk_size);
      ssize_t n = 0;
      do {
        n = ::read(fd, in_buf.data(), in_buf.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        const int err = errno;
        st = state::failed;
        failure =
            error{errc::unreadable, "read " + path.string() + " at byte offset " +
                                        std::to_string(in_end_offset) + ": " + std::strerror(err)};
        return failure;
      }
      in = std::string_view(in_buf.data(), static_cast<std::size_t>(n));
    }
    in_end_offset += in.size();
    if (in.empty()) raw_eof = true;
    return !in.empty();
  }

  result<std::string_view> emit(std::string_view chunk) {
    content_bytes += chunk.size();
    if (content_bytes > max_inflated) {
      return fail(
          errc::inflated_limit,
          "decoded content exceeds max_inflated_bytes (" + std::to_string(max_inflated) +
              " bytes)" +
              (kind == content_kind::gzip ? " in gzip member " + std::to_string(member) : ""));
    }
    return chunk;
  }

  result<std::string_view> start() {
    auto r = refill();
    if (!r) return r.error();
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    kind = sniff({p, in.size()});
    switch (kind) {
      case content_kind::empty:
        st = state::done;
        return std::string_view{};
      case content_kind::zip:
        return fail(
            errc::unsupported_format,
            "content is a PKZIP (zip) archive (starts with 50 4b 03 04); expected gzip or JSON");
      case content_kind::unknown:
        return fail(errc::unsupported_format,
                    "content is neither gzip nor JSON; first bytes: " + hex_bytes(in));
      case content_kind::json:
        st = state::plain;
        return next_plain();
      case content_kind::gzip:
        out_buf.resize(chunk_size);
        if (inflateInit2(&zs, 15 + 16) != Z_OK)
          return fail(errc::gzip_corrupt, "zlib inflateInit2 failed");
        zs_ready = true;
        member = 1;
        st = state::member;
        return next_gzip();
    }
    return fail(errc::unsupported_format, "unknown content");
  }

  result<std::string_view> next_plain() {
    if (in.empty()) {
      auto r = refill();
      if (!r) return r.error();
      if (!*r) {
        st = state::done;
        return std::string_view{};
      }
    }
    const std::string_view chunk = in;
    in = {};
    return emit(chunk);
  }

  std::string member_at() const {
    return "gzip member " + std::to_string(member) + " (input byte offset " +
           std::to_string(offset()) + ")";
  }

  // Inflates member after member; returns the next non-empty chunk of output or the end.
  result<std::string_view> next_gzip() {
    for (;;) {
      switch (st) {
        case state::member: {
          if (in.empty()) {
            auto r = refill();
            if (!r) return r.error();
            if (!*r) {
              return fail(errc::gzip_truncated,
                          "input ends inside " + member_at() + ", before its trailer");
            }
          }
          zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
          zs.avail_in = static_cast<uInt>(in.size());
          zs.next_out = out_buf.data();
          zs.avail_out = static_cast<uInt>(out_buf.size());
          const int rc = inflate(&zs, Z_NO_FLUSH);
          in.remove_prefix(in.size() - zs.avail_in);
          const std::size_t produced = out_buf.size() - zs.avail_out;
          if (rc == Z_STREAM_END) {
            st = state::between;
            magic_seen = 0;
          } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            return fail(errc::gzip_corrupt,
                        member_at() + ": " + (zs.msg != nullptr ? zs.msg : "invalid data"));
          } else if (rc == Z_MEM_ERROR) {
            return fail(errc::gzip_corrupt, member_at() + ": zlib is out of memory");
          } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fail(errc::gzip_corrupt, member_at() + ": zlib error " + std::to_string(rc));
          }
          if (produced > 0) {
            return emit({reinterpret_cast<const char*>(out_buf.data()), produced});
          }
          break;
        }
        case state::between: {
          // After a member: the next member's magic, zero padding, or the end.
          if (in.empty()) {
            auto r = refill();
            if (!r) return r.error();
            if (!*r) {
              if (magic_seen != 0) {
                return fail(errc::trailing_data, "1 byte (1f) after gzip member " +
                                                     std::to_string(member) +
                                                     " at the end of the input");
              }
              st = state::done;
              return std::string_view{};
            }
          }
          const auto b = static_cast<unsigned char>(in.front());
          if (magic_seen == 0 && b == 0) {
            st = state::padding;
            break;
          }
          if (b != gzip_magic[magic_seen]) {
            const std::uint64_t at = offset() - magic_seen;
            return fail(
                errc::trailing_data,
                "unexpected bytes after gzip member " + std::to_string(member) +
                    " at input byte offset " + std::to_string(at) +
                    " (neither a gzip member nor zero padding): " +
                    hex_bytes(std::string(gzip_magic, gzip_magic + magic_seen) + std::string(in)));
          }
          in.remove_prefix(1);
          if (++magic_seen == 2) {
            // A new member: restart zlib and feed it the two magic bytes already consumed.
            inflateReset(&zs);
            ++member;
            std::array<unsigned char, 2> magic{gzip_magic[0], gzip_magic[1]};
            zs.next_in = magic.data();
            zs.avail_in = 2;
            zs.next_out = out_buf.data();
            zs.avail_out = static_cast<uInt>(out_buf.size());
            const int rc = inflate(&zs, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
              return fail(errc::gzip_corrupt, member_at() + ": bad gzip header");
            }
            st = state::member;
          }
          break;
        }
        case state::padding: {
          if (in.empty()) {
            auto r = refill();
            if (!r) return r.error();
            if (!*r) {
              st = state::done;
              return std::string_view{};
            }
          }
          const auto nz = std::find_if(in.begin(), in.end(), [](char c) { return c != 0; });
          if (nz != in.end()) {
            in.remove_prefix(static_cast<std::size_t>(nz - in.begin()));
            return fail(errc::trailing_data,
                        "non-zero bytes after the zero padding that follows gzip member " +
                            std::to_string(member) + " at input byte offset " +
                            std::to_string(offset()) + ": " + hex_bytes(in));
          }
          in = {};
          break;
        }
        default:
          return fail(errc::gzip_corrupt, "internal: bad gzip state");
      }
    }
  }
};

content_reader::content_reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
content_reader::content_reader(content_reader&&) noexcept = default;
content_reader& content_reader::operator=(content_reader&&) noexcept = default;
content_reader::~content_reader() = default;

result<content_reader> content_reader::open_file(const std::filesystem::path& path,
                                                 std::uint64_t max_inflated_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return error{errc::unreadable, "open " + path.string() + ": " + std::strerror(err)};
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return error{errc::unreadable, "open " + path.string() + ": is a directory"};
  }
  auto p = std::make_unique<impl>();
  p->fd = fd;
  p->path = path;
  p->max_inflated = max_inflated_bytes;
  return content_reader(std::move(p));
}

content_reader content_reader::from_bytes(std::string bytes, std::uint64_t max_inflated_bytes) {
  auto p = std::make_unique<impl>();
  p->bytes = std::move(bytes);
  p->max_inflated = max_inflated_bytes;
  return content_reader(std::move(p));
}

result<std::string_view> content_reader::next_chunk() {
  impl& m = *impl_;
  switch (m.st) {
    case impl::state::start:
      return m.start();
    case impl::state::plain:
      return m.next_plain();
    case impl::state::done:
      return std::string_view{};
    case impl::state::failed:
      return m.failure;
    default:
      return m.next_gzip();
  }
}

content_kind content_reader::kind() const noexcept {
  return impl_->kind;
}
std::uint64_t content_reader::input_bytes() const noexcept {
  return impl_->in_end_offset;
}
std::uint64_t content_reader::content_bytes() const noexcept {
  return impl_->content_bytes;
}
bool content_reader::at_end() const noexcept {
  return impl_->st == impl::state::done;
}

}  // namespace lpda::decode
