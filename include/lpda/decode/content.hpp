#pragma once
/// Content sniffing and the byte layer of a Data Access file: raw bytes (a spool file or a
/// buffer) → sniffed → gzip-inflated (every member) or passed through → decoded content chunks.
///
/// The Data Access API serves hourly files as gzip (RFC 1952) holding JSON documents
/// (developers.liveperson.com/data-access-api-overview.html: "a list of GZIP files, each file
/// consist of a list of JSON objects"); the method pages call them ".zip", so PKZIP is recognised
/// and refused with a clear error.
#include "lpda/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace lpda::decode {

/// Caps that keep decoding of hostile or broken files bounded. All sizes are bytes.
struct limits {
  /// Decoded (inflated) content bytes per file; exceeding it fails with `errc::inflated_limit`.
  std::uint64_t max_inflated_bytes = 4ull << 30;
  /// Bytes of one top-level JSON document, from its first to its last character; exceeding it
  /// fails with `errc::document_limit`. Peak memory while parsing is proportional to this cap.
  std::uint64_t max_document_bytes = 64ull << 20;
  /// Most events handed out by one `next_batch` call (≥ 1).
  std::size_t batch_size = 1024;
  /// Batches a data type's decoder may decode ahead on a thread of its own while its consumer
  /// (the store's transaction) works on earlier ones (`read_ahead_source`); 0 decodes on the
  /// consumer's thread. Measured on the realistic benchmark (docs/benchmarks.md).
  std::size_t read_ahead_batches = 4;
};

/// What a file holds, judged from its first bytes only (never from its name).
enum class content_kind {
  gzip,     ///< starts with the gzip magic 1f 8b (RFC 1952 §2.3.1)
  json,     ///< optional UTF-8 BOM and JSON whitespace, then `{` or `[` (or nothing but those)
  zip,      ///< a PKZIP local file header "PK\3\4" (refused)
  empty,    ///< zero bytes
  unknown,  ///< anything else (refused)
};

/// Classifies `first_bytes` (the first chunk of a file; a few bytes suffice for gzip and zip, JSON
/// needs the bytes up to its first non-whitespace character). Pure; never fails.
content_kind sniff(std::span<const unsigned char> first_bytes) noexcept;

/// "gzip", "json", "zip", "empty" or "unknown".
std::string_view to_string(content_kind kind) noexcept;

/// Reads a file's content as a sequence of decoded chunks: sniffs the first bytes, then inflates
/// gzip (several concatenated members are all decoded; each member's CRC-32 and ISIZE are checked,
/// RFC 1952 §2.3.1) or passes plain JSON through. Reads a file in 64 KiB chunks; besides an
/// in-memory input, memory use is constant (two 64 KiB buffers and a zlib state), whatever the
/// file's size.
///
/// After the last gzip member, zero bytes are accepted as padding (as `gzip -d` does); any other
/// byte fails with `errc::trailing_data`. Errors, all returned from `next_chunk`:
/// `unreadable` (read failure), `unsupported_format` (zip or unknown content, with the first bytes
/// in hex), `gzip_corrupt` (bad header, bad deflate data, CRC or length mismatch), `gzip_truncated`
/// (input ends inside a member), `trailing_data`, `inflated_limit` (more than
/// `limits::max_inflated_bytes` decoded bytes). Messages name the gzip member and the byte offset
/// in the raw input.
class content_reader {
 public:
  /// Opens a file for reading; `errc::unreadable` (with the path and the OS reason) if it cannot be
  /// opened or is a directory.
  static result<content_reader> open_file(
      const std::filesystem::path& path,
      std::uint64_t max_inflated_bytes = limits{}.max_inflated_bytes);
  /// Reads from an in-memory buffer (taken over, not copied).
  static content_reader from_bytes(std::string bytes,
                                   std::uint64_t max_inflated_bytes = limits{}.max_inflated_bytes);

  content_reader(content_reader&&) noexcept;
  content_reader& operator=(content_reader&&) noexcept;
  ~content_reader();

  /// The next chunk of decoded content, valid until the next call; an empty view at the end of the
  /// content (also for an empty file). After an error every later call returns the same error.
  result<std::string_view> next_chunk();

  /// The sniffed kind; `content_kind::unknown` until the first `next_chunk` call.
  content_kind kind() const noexcept;
  /// Raw bytes read from the input so far.
  std::uint64_t input_bytes() const noexcept;
  /// Decoded content bytes handed out so far.
  std::uint64_t content_bytes() const noexcept;
  /// True once `next_chunk` has returned the end of the content.
  bool at_end() const noexcept;

 private:
  struct impl;
  explicit content_reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace lpda::decode
