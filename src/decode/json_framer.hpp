#pragma once
// Finds where each top-level JSON document ends in decoded content and keeps it in one contiguous
// buffer with the padding simdjson reads past a document's end, so that a whole document can be
// handed to a parser at once. Framing tracks only strings (with their escapes) and bracket depth:
// validation is the parser's job. RFC 8259 §2 (structural characters), §7 (strings).
#include "lpda/core/error.hpp"
#include "lpda/decode/content.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace lpda::decode::detail {

class json_framer {
 public:
  enum class outcome : std::uint8_t {
    end,       ///< only whitespace was left: the content is over
    complete,  ///< `text` is one object from its `{` to its matching `}`
    open,      ///< not framed: not an object, too long, unterminated, or a read error follows
  };
  struct framed {
    outcome kind = outcome::end;
    std::string_view text;  ///< for `complete`; valid until the next call
  };

  /// `max_document_bytes` bounds what is buffered for one document (plus one 64 KiB read step).
  explicit json_framer(std::uint64_t max_document_bytes);

  /// At the start of the content: skips a UTF-8 byte order mark (EF BB BF). Returns the content
  /// offset at which an incomplete mark is found wrong, or nothing; a read error is returned.
  result<std::optional<std::uint64_t>> skip_bom(content_reader& reader);

  /// Skips JSON whitespace and frames the next document, which starts at `head_offset()` and
  /// stays buffered until `consume`. Read errors before a document starts are returned; read
  /// errors inside one give `open` (the reader repeats its error to whoever reads on).
  result<framed> next_document(content_reader& reader);

  /// The first `n` buffered bytes (a document) are done with.
  void consume(std::size_t n) { head_ += n; }
  /// Content offset of the first buffered byte.
  std::uint64_t head_offset() const { return base_ + head_; }
  /// The buffered bytes from `head_offset()` on; the content goes on with `pending()`.
  std::string_view buffered() const { return {buf_.get() + head_, filled_ - head_}; }
  /// The part of the reader's current chunk not buffered yet; then come the reader's next chunks.
  std::string_view pending() const { return pending_; }

 private:
  result<bool> fill(content_reader& reader);  // false at the end of the content
  void reserve(std::size_t n);

  std::uint64_t max_document_bytes_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;    // first byte not consumed
  std::size_t filled_ = 0;  // end of the buffered bytes
  std::size_t scan_ = 0;    // framing position (while framing)
  std::uint64_t base_ = 0;  // content offset of buf_[0]
  std::string_view pending_;
  bool eof_ = false;
};

}  // namespace lpda::decode::detail
