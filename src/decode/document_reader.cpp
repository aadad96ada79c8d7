#include "lpda/decode/document_reader.hpp"

#include "envelope_handler.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cassert>
#include <limits>

namespace lpda::decode {
namespace {

// A RapidJSON input stream over the decoded chunks of a content_reader. It stops the parser (by
// returning '\0') at the end of the content, on a read/inflate error, and at the current
// document's byte budget, so a monster document fails before it is buffered.
class json_input {
 public:
  using Ch = char;

  explicit json_input(content_reader& reader) : reader_(reader) {}

  Ch Peek() { return cur_ != lim_ ? *cur_ : slow_peek(); }
  Ch Take() {
    if (cur_ != lim_) return *cur_++;
    const Ch c = slow_peek();
    if (cur_ != lim_) ++cur_;
    return c;
  }
  std::size_t Tell() const { return static_cast<std::size_t>(position()); }

  // Write side of the stream concept: only used by in-situ parsing, which is not enabled.
  Ch* PutBegin() {
    assert(false);
    return nullptr;
  }
  void Put(Ch) { assert(false); }
  void Flush() {}
  std::size_t PutEnd(Ch*) {
    assert(false);
    return 0;
  }

  std::uint64_t position() const { return base_ + static_cast<std::uint64_t>(cur_ - begin_); }

  /// From here on at most `budget` bytes may be read before `end_document`.
  void begin_document(std::uint64_t budget) {
    doc_limit_ = position() + budget;
    doc_budget_ = budget;
    clip();
  }
  void end_document() {
    doc_limit_ = std::numeric_limits<std::uint64_t>::max();
    clip();
  }

  /// The error that made Peek return '\0', if any.
  const std::optional<error>& failure() const { return failure_; }
  /// True when Peek returned '\0' because the content ended.
  bool at_end() const { return cur_ == end_ && reader_.at_end(); }

 private:
  void clip() {
    const auto avail = static_cast<std::uint64_t>(end_ - cur_);
    const std::uint64_t pos = position();
    const std::uint64_t room = doc_limit_ > pos ? doc_limit_ - pos : 0;
    lim_ = cur_ + static_cast<std::ptrdiff_t>(std::min(avail, room));
  }

  Ch slow_peek() {
    if (failure_) return '\0';
    if (cur_ == end_) {
      if (reader_.at_end()) return '\0';
      auto chunk = reader_.next_chunk();
      if (!chunk) {
        failure_ = chunk.error();
        return '\0';
      }
      base_ += static_cast<std::uint64_t>(end_ - begin_);
      begin_ = cur_ = chunk->data();
      end_ = begin_ + chunk->size();
      if (chunk->empty()) {  // end of content
        lim_ = cur_;
        return '\0';
      }
    }
    clip();
    if (cur_ == lim_) {
      failure_ = error{errc::document_limit, "larger than max_document_bytes (" +
                                                 std::to_string(doc_budget_) + " bytes)"};
      return '\0';
    }
    return *cur_;
  }

  content_reader& reader_;
  const char* begin_ = nullptr;
  const char* cur_ = nullptr;
  const char* lim_ = nullptr;  // min(end_, document limit): the fast path runs up to here
  const char* end_ = nullptr;
  std::uint64_t base_ = 0;  // content offset of begin_
  std::uint64_t doc_limit_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t doc_budget_ = 0;
  std::optional<error> failure_;
};

// Recursive descent is safe here: the handler refuses nesting deeper than max_depth before the
// parser recurses further. Full-precision doubles are not needed: the data types read integers
// (exact up to 2^53 either way) and strings.
constexpr unsigned parse_flags = rapidjson::kParseStopWhenDoneFlag;

}  // namespace

struct document_reader::impl {
  impl(content_reader r, limits l, record_mapping& m)
      : lim(l), reader(std::move(r)), input(reader), handler(m) {
    if (lim.batch_size == 0) lim.batch_size = 1;
  }

  limits lim;
  content_reader reader;
  json_input input;
  detail::envelope_handler handler;
  rapidjson::Reader parser;
  decode_stats stats;
  std::optional<error> failure;
  bool done = false;
  bool started = false;

  void sync_stats() {
    stats.input_bytes = reader.input_bytes();
    stats.inflated_bytes = reader.content_bytes();
    stats.kind = reader.kind();
  }

  std::string where(std::uint64_t document, std::uint64_t offset) const {
    return "document " + std::to_string(document) + " at byte offset " + std::to_string(offset);
  }

  // Parses the next top-level document (its records go to the mapping), or notes the end.
  result<void> parse_document() {
    if (!started) {
      started = true;
      // A UTF-8 byte order mark may open the content (RFC 8259 §8.1 lets parsers ignore it).
      if (input.Peek() == '\xEF') {
        input.Take();
        if (input.Take() != '\xBB' || input.Take() != '\xBF') {
          return error{errc::malformed_json,
                       where(1, input.position()) + ": invalid byte order mark"};
        }
      }
    }
    char c = input.Peek();
    while (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      input.Take();
      c = input.Peek();
    }
    if (c == '\0') {
      if (input.failure()) return *input.failure();
      if (input.at_end()) {
        done = true;
        // Valid JSON of some other kind (a listing, an error page, an export) would otherwise
        // read as an hour without records, and be stored as one.
        if (stats.documents > 0 && stats.envelopes == 0)
          return error{errc::unsupported_format,
                       "not a Data Access file: none of its " + std::to_string(stats.documents) +
                           " JSON document(s) has a recordCollection (a Data Access file holds "
                           "documents {\"dataType\", \"metaData\", \"recordCollection\"})"};
        return {};
      }
    }
    const std::uint64_t document = stats.documents + 1;
    const std::uint64_t start = input.position();
    input.begin_document(lim.max_document_bytes);
    handler.begin_document();
    parser.Parse<parse_flags>(input, handler);
    input.end_document();
    if (!parser.HasParseError()) {
      ++stats.documents;
      if (handler.has_envelope()) ++stats.envelopes;
      return {};
    }
    const std::uint64_t offset = parser.GetErrorOffset();
    if (input.failure()) {
      const error& e = *input.failure();
      if (e.code == make_error_code(errc::document_limit)) {
        return error{errc::document_limit, where(document, start) + ": " + e.message};
      }
      return e;  // read or inflate error: its message names the input offset
    }
    if (handler.failure()) {
      return error{handler.failure()->code,
                   where(document, offset) + ": " + handler.failure()->message};
    }
    std::string reason = rapidjson::GetParseError_En(parser.GetParseErrorCode());
    if (input.at_end())
      reason += " (the content ends inside the document)";
    else if (input.Peek() == '\0' &&
             parser.GetParseErrorCode() != rapidjson::kParseErrorTermination)
      reason += " (a NUL byte)";
    return error{errc::malformed_json, where(document, offset) + ": " + reason};
  }
};

document_reader::document_reader(content_reader reader, limits lim, record_mapping& mapping)
    : impl_(std::make_unique<impl>(std::move(reader), lim, mapping)) {}
document_reader::~document_reader() = default;

result<bool> document_reader::next_document() {
  impl& m = *impl_;
  if (m.failure) return *m.failure;
  if (m.done) return false;
  const std::uint64_t before = m.stats.documents;
  auto r = m.parse_document();
  if (!r) {
    m.sync_stats();
    m.failure = r.error();
    return r.error();
  }
  return m.stats.documents > before;
}

std::size_t document_reader::batch_size() const noexcept {
  return impl_->lim.batch_size;
}

void document_reader::count_records(std::size_t n) noexcept {
  impl_->stats.events += n;
  impl_->sync_stats();
}

const decode_stats& document_reader::stats() const noexcept {
  return impl_->stats;
}

}  // namespace lpda::decode
