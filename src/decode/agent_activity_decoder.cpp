#include "lpda/decode/agent_activity_decoder.hpp"

#include "event_handler.hpp"
#include "json_framer.hpp"
#include "parser_choice.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>
#include <deque>
#include <limits>

namespace lpda::decode {
namespace {

std::atomic<bool> simdjson_on{true};

// A RapidJSON input stream over decoded content: first the bytes already buffered by the framer
// (one or two windows), then the remaining chunks of the content_reader. It stops the parser (by
// returning '\0') at the end of the content, on a read/inflate error, and at the current
// document's byte budget, so a monster document fails before it is buffered. Used for the
// documents the fast path does not accept, to report exactly where and why they fail.
class json_input {
 public:
  using Ch = char;

  json_input(content_reader& reader, std::string_view first, std::uint64_t first_offset,
             std::string_view second)
      : reader_(reader),
        begin_(first.data()),
        cur_(first.data()),
        lim_(first.data()),
        end_(first.data() + first.size()),
        base_(first_offset),
        next_(second) {
    clip();
  }

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

  /// From here on at most `budget` bytes may be read.
  void begin_document(std::uint64_t budget) {
    doc_limit_ = position() + budget;
    doc_budget_ = budget;
    clip();
  }

  /// The error that made Peek return '\0', if any.
  const std::optional<error>& failure() const { return failure_; }
  /// True when Peek returned '\0' because the content ended.
  bool at_end() const { return cur_ == end_ && next_.empty() && reader_.at_end(); }
  /// True while reading the first window (the framer's buffer); then `consumed_in_first` says
  /// how many of its bytes were read.
  bool in_first() const { return !moved_; }

 private:
  void clip() {
    const auto avail = static_cast<std::uint64_t>(end_ - cur_);
    const std::uint64_t pos = position();
    const std::uint64_t room = doc_limit_ > pos ? doc_limit_ - pos : 0;
    lim_ = cur_ + static_cast<std::ptrdiff_t>(std::min(avail, room));
  }

  Ch slow_peek() {
    if (failure_) return '\0';
    while (cur_ == end_) {
      std::string_view chunk;
      if (!next_.empty()) {
        chunk = next_;
        next_ = {};
      } else {
        if (reader_.at_end()) return '\0';
        auto c = reader_.next_chunk();
        if (!c) {
          failure_ = c.error();
          return '\0';
        }
        chunk = *c;
      }
      moved_ = true;
      base_ += static_cast<std::uint64_t>(end_ - begin_);
      begin_ = cur_ = chunk.data();
      end_ = begin_ + chunk.size();
      if (chunk.empty()) {  // end of content
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
  const char* begin_;
  const char* cur_;
  const char* lim_;  // min(end_, document limit): the fast path runs up to here
  const char* end_;
  std::uint64_t base_;     // content offset of begin_
  std::string_view next_;  // the window that follows [begin_, end_), if any
  std::uint64_t doc_limit_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t doc_budget_ = 0;
  std::optional<error> failure_;
  bool moved_ = false;
};

// Recursive descent is safe here: the handler refuses nesting deeper than detail::max_depth
// before the parser recurses further. Full-precision doubles are not needed: fields read are
// integers.
constexpr unsigned parse_flags = rapidjson::kParseStopWhenDoneFlag;

// simdjson refuses deeper documents, which then take the exact path and its error (the handler
// allows detail::max_depth levels).
constexpr std::size_t simd_max_depth = detail::max_depth - 1;
// simdjson's first allocation (bytes of document); it grows with larger documents.
constexpr std::size_t initial_capacity = 16 * 1024;
// simdjson's index of a document takes about 14 bytes per byte of it (structural positions, tape,
// strings); larger documents, far beyond real ones (an agent session's events, a few KiB), take
// the streaming path, which needs nothing beyond the document's buffered text.
constexpr std::uint64_t simd_max_document_bytes = 4 << 20;

// Feeds a parsed simdjson document to the handler in document order, as the SAX parser would.
// Values the handler does not read (skip mode) are not visited. False when the handler refuses.
bool feed(detail::event_handler& h, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      const simdjson::dom::object object = e.get_object().value_unsafe();
      if (const auto done = h.event_object(object)) return *done;
      const bool was_skipping = h.skipping();
      if (!h.StartObject()) return false;
      if (!was_skipping && h.skipping()) return h.EndObject(0);
      for (simdjson::dom::key_value_pair kv : object) {
        if (!h.Key(kv.key.data(), static_cast<rapidjson::SizeType>(kv.key.size()), false) ||
            !feed(h, kv.value))
          return false;
      }
      return h.EndObject(0);
    }
    case element_type::ARRAY: {
      const bool was_skipping = h.skipping();
      if (!h.StartArray()) return false;
      if (!was_skipping && h.skipping()) return h.EndArray(0);
      const simdjson::dom::array array = e.get_array().value_unsafe();
      for (simdjson::dom::element child : array) {
        if (!feed(h, child)) return false;
      }
      return h.EndArray(0);
    }
    case element_type::INT64:
      return h.Int64(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return h.Uint64(e.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return h.Double(e.get_double().value_unsafe());
    case element_type::STRING: {
      const std::string_view s = e.get_string().value_unsafe();
      return h.String(s.data(), static_cast<rapidjson::SizeType>(s.size()), false);
    }
    case element_type::BOOL:
      return h.Bool(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE:
      return h.Null();
  }
  return false;
}

}  // namespace

struct agent_activity_decoder::impl {
  impl(content_reader r, limits l)
      : lim(l),
        reader(std::move(r)),
        framer(lim.max_document_bytes),
        handler(ready),
        simd(static_cast<std::size_t>(
            std::min<std::uint64_t>(lim.max_document_bytes, simd_max_document_bytes))) {
    if (lim.batch_size == 0) lim.batch_size = 1;
    // The depth bound is fixed at the first allocation; without it the fast path stays off.
    fast = simdjson_on.load(std::memory_order_relaxed) &&
           simd.allocate(initial_capacity, simd_max_depth) == simdjson::SUCCESS &&
           simd.max_depth() == simd_max_depth;
  }

  limits lim;
  content_reader reader;
  detail::json_framer framer;
  std::deque<agent_activity_event> ready;
  detail::event_handler handler;
  simdjson::dom::parser simd;
  decode_stats stats;
  std::optional<error> failure;
  bool fast = false;
  bool done = false;
  bool started = false;

  void sync_stats() {
    stats.input_bytes = reader.input_bytes();
    stats.inflated_bytes = reader.content_bytes();
    stats.kind = reader.kind();
  }

  static std::string where(std::uint64_t document, std::uint64_t offset) {
    return "document " + std::to_string(document) + " at byte offset " + std::to_string(offset);
  }

  // Parses the next top-level document (its events go to `ready`), or notes the end.
  result<void> parse_document() {
    if (!started) {
      started = true;
      // A UTF-8 byte order mark may open the content (RFC 8259 §8.1 lets parsers ignore it).
      auto bom = framer.skip_bom(reader);
      if (!bom) return bom.error();
      if (*bom) return error{errc::malformed_json, where(1, **bom) + ": invalid byte order mark"};
    }
    auto framed = framer.next_document(reader);
    if (!framed) return framed.error();
    if (framed->kind == detail::json_framer::outcome::end) {
      done = true;
      return {};
    }
    const std::uint64_t document = stats.documents + 1;
    if (fast && framed->kind == detail::json_framer::outcome::complete &&
        framed->text.size() <= simd_max_document_bytes) {
      // The fast path: simdjson over the buffered document (the framer keeps the padding it needs).
      const std::size_t ready_before = ready.size();
      const std::string_view doc = framed->text;
      auto parsed = simd.parse(doc.data(), doc.size(), false);
      if (!parsed.error()) {
        handler.begin_document();
        if (feed(handler, parsed.value_unsafe())) {
          framer.consume(doc.size());
          ++stats.documents;
          return {};
        }
      }
      ready.resize(ready_before);  // the exact path below decides
    }
    return parse_exact(document);
  }

  // Parses the document at the framer's head with RapidJSON, reading on into the content if
  // needed: either it succeeds (then exactly the framed document was read), or it names the
  // document, the byte offset and the reason.
  result<void> parse_exact(std::uint64_t document) {
    const std::uint64_t start = framer.head_offset();
    json_input input(reader, framer.buffered(), start, framer.pending());
    input.begin_document(lim.max_document_bytes);
    handler.begin_document();
    parser.Parse<parse_flags>(input, handler);
    if (!parser.HasParseError()) {
      if (!input.in_first()) {
        return error{errc::malformed_json,
                     where(document, start) + ": the document does not end where it is framed"};
      }
      framer.consume(static_cast<std::size_t>(input.position() - start));
      ++stats.documents;
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

  rapidjson::Reader parser;
};

void detail::use_simdjson(bool on) noexcept {
  simdjson_on.store(on, std::memory_order_relaxed);
}

agent_activity_decoder::agent_activity_decoder(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
agent_activity_decoder::~agent_activity_decoder() = default;

result<std::unique_ptr<agent_activity_decoder>> agent_activity_decoder::open_file(
    const std::filesystem::path& path, limits lim) {
  auto reader = content_reader::open_file(path, lim.max_inflated_bytes);
  if (!reader) return reader.error();
  return std::unique_ptr<agent_activity_decoder>(
      new agent_activity_decoder(std::make_unique<impl>(std::move(*reader), lim)));
}

std::unique_ptr<agent_activity_decoder> agent_activity_decoder::from_bytes(std::string bytes,
                                                                           limits lim) {
  auto reader = content_reader::from_bytes(std::move(bytes), lim.max_inflated_bytes);
  return std::unique_ptr<agent_activity_decoder>(
      new agent_activity_decoder(std::make_unique<impl>(std::move(reader), lim)));
}

result<bool> agent_activity_decoder::next_batch(std::vector<agent_activity_event>& out) {
  impl& m = *impl_;
  out.clear();
  if (m.failure) return *m.failure;
  while (!m.done && m.ready.size() < m.lim.batch_size) {
    auto r = m.parse_document();
    if (!r) {
      m.ready.clear();
      m.sync_stats();
      m.failure = r.error();
      return r.error();
    }
  }
  const std::size_t n = std::min(m.lim.batch_size, m.ready.size());
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(m.ready.front()));
    m.ready.pop_front();
  }
  m.stats.events += n;
  m.sync_stats();
  return n > 0;
}

const decode_stats& agent_activity_decoder::stats() const {
  return impl_->stats;
}

}  // namespace lpda::decode
