#include "json_framer.hpp"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lpda::decode::detail {
namespace {

constexpr std::size_t fill_step = 64 * 1024;  // bytes copied from the reader per step
constexpr std::size_t padding = simdjson::SIMDJSON_PADDING;
constexpr std::size_t block = 64;

struct block_masks {
  std::uint64_t quote = 0;
  std::uint64_t backslash = 0;
  std::uint64_t open = 0;   // { or [
  std::uint64_t close = 0;  // } or ]
};

#if defined(__SSE2__)
std::uint64_t bits16(__m128i m, unsigned shift) {
  return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(m)) & 0xFFFFu) << shift;
}

block_masks classify(const char* p) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i case_bit = _mm_set1_epi8(0x20);  // '[' | 0x20 == '{', ']' | 0x20 == '}'
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  block_masks m;
  for (unsigned i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const __m128i folded = _mm_or_si128(v, case_bit);
    m.quote |= bits16(_mm_cmpeq_epi8(v, quote), 16 * i);
    m.backslash |= bits16(_mm_cmpeq_epi8(v, backslash), 16 * i);
    m.open |= bits16(_mm_cmpeq_epi8(folded, open), 16 * i);
    m.close |= bits16(_mm_cmpeq_epi8(folded, close), 16 * i);
  }
  return m;
}
#else
block_masks classify(const char* p) {
  block_masks m;
  for (unsigned i = 0; i < block; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    switch (p[i]) {
      case '"':
        m.quote |= bit;
        break;
      case '\\':
        m.backslash |= bit;
        break;
      case '{':
      case '[':
        m.open |= bit;
        break;
      case '}':
      case ']':
        m.close |= bit;
        break;
      default:
        break;
    }
  }
  return m;
}
#endif

// Bit i of the result is the XOR of bits 0..i of x.
std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// std::popcount compiles to a library call on baseline x86-64 (no POPCNT instruction).
std::int64_t popcount(std::uint64_t x) {
#if defined(__POPCNT__)
  return std::popcount(x);
#else
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<std::int64_t>((x * 0x0101010101010101ULL) >> 56);
#endif
}

struct scan_state {
  std::int64_t depth = 0;
  std::uint64_t in_string = 0;  // all ones when the previous block ended inside a string
  bool escaped = false;         // the previous block ended with an unescaped backslash
};

constexpr std::size_t not_found = block;

// Scans one 64-byte block; returns the index of the bracket that brings the depth back to 0, or
// not_found.
std::size_t scan_block(const char* p, scan_state& st) {
  const block_masks m = classify(p);
  std::uint64_t escaped = 0;
  if (m.backslash != 0 || st.escaped) {  // rare: walk the block's backslashes one by one
    bool e = st.escaped;
    for (unsigned i = 0; i < block; ++i) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      if (e) {
        escaped |= bit;
        e = false;
      } else if ((m.backslash & bit) != 0) {
        e = true;
      }
    }
    st.escaped = e;
  }
  const std::uint64_t quotes = m.quote & ~escaped;
  const std::uint64_t in_string = prefix_xor(quotes) ^ st.in_string;
  st.in_string = std::uint64_t{0} - (in_string >> 63);
  const std::uint64_t open = m.open & ~in_string;
  const std::uint64_t close = m.close & ~in_string;
  const std::int64_t closes = popcount(close);
  if (st.depth > closes) {  // the depth cannot reach 0 in this block
    st.depth += popcount(open) - closes;
    return not_found;
  }
  for (std::uint64_t s = open | close; s != 0; s &= s - 1) {
    const std::uint64_t bit = s & (~s + 1);
    if ((open & bit) != 0) {
      ++st.depth;
    } else if (--st.depth == 0) {
      return static_cast<std::size_t>(std::countr_zero(s));
    }
  }
  return not_found;
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace

json_framer::json_framer(std::uint64_t max_document_bytes)
    : max_document_bytes_(max_document_bytes) {}

void json_framer::reserve(std::size_t n) {
  if (filled_ + n + padding <= cap_) return;
  if (head_ > 0) {  // move the unconsumed bytes to the front
    std::memmove(buf_.get(), buf_.get() + head_, filled_ - head_);
    base_ += head_;
    filled_ -= head_;
    scan_ -= std::min(scan_, head_);
    head_ = 0;
    if (filled_ + n + padding <= cap_) return;
  }
  const std::size_t need = filled_ + n + padding;
  // Double, but not past what one document may need (the cap, one read step and the padding).
  const std::uint64_t most = max_document_bytes_ + fill_step + padding;
  const std::size_t grown = static_cast<std::size_t>(std::min<std::uint64_t>(2 * cap_, most));
  const std::size_t cap = std::max(need, grown);
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  if (filled_ > 0) std::memcpy(bigger.get(), buf_.get(), filled_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

result<bool> json_framer::fill(content_reader& reader) {
  if (pending_.empty()) {
    if (eof_) return false;
    auto chunk = reader.next_chunk();
    if (!chunk) return chunk.error();
    if (chunk->empty()) {
      eof_ = true;
      return false;
    }
    pending_ = *chunk;
  }
  if (head_ == filled_) {  // nothing unconsumed: start over at the front
    base_ += filled_;
    scan_ = head_ = filled_ = 0;
  }
  const std::size_t n = std::min(pending_.size(), fill_step);
  reserve(n);
  std::memcpy(buf_.get() + filled_, pending_.data(), n);
  filled_ += n;
  pending_.remove_prefix(n);
  return true;
}

result<std::optional<std::uint64_t>> json_framer::skip_bom(content_reader& reader) {
  while (filled_ - head_ < 3) {
    auto more = fill(reader);
    if (!more) return more.error();
    if (!*more) break;
  }
  const std::size_t have = filled_ - head_;
  if (have == 0 || buf_[head_] != '\xEF') return std::optional<std::uint64_t>{};
  // As a byte-by-byte reader would: the offset just after the first wrong byte.
  if (have < 2) return std::optional<std::uint64_t>{head_offset() + 1};
  if (buf_[head_ + 1] != '\xBB') return std::optional<std::uint64_t>{head_offset() + 2};
  if (have < 3) return std::optional<std::uint64_t>{head_offset() + 2};
  if (buf_[head_ + 2] != '\xBF') return std::optional<std::uint64_t>{head_offset() + 3};
  head_ += 3;
  return std::optional<std::uint64_t>{};
}

result<json_framer::framed> json_framer::next_document(content_reader& reader) {
  for (;;) {
    while (head_ < filled_ && is_space(buf_[head_])) ++head_;
    if (head_ < filled_) break;
    auto more = fill(reader);
    if (!more) return more.error();
    if (!*more) return framed{outcome::end, {}};
  }
  if (buf_[head_] != '{') return framed{outcome::open, {}};

  scan_state st;
  scan_ = head_;
  auto found = [&](std::size_t end) -> framed {  // `end`: index of the closing bracket
    const std::size_t len = end - head_ + 1;
    if (len > max_document_bytes_) return framed{outcome::open, {}};
    return framed{outcome::complete, {buf_.get() + head_, len}};
  };
  for (;;) {
    while (filled_ - scan_ >= block) {
      if (scan_ - head_ >= max_document_bytes_) return framed{outcome::open, {}};
      const std::size_t i = scan_block(buf_.get() + scan_, st);
      if (i != not_found) return found(scan_ + i);
      scan_ += block;
    }
    if (filled_ - head_ > max_document_bytes_) return framed{outcome::open, {}};
    auto more = fill(reader);
    if (!more) return framed{outcome::open, {}};  // the exact parse reports the read error
    if (!*more) break;
  }
  // The content ended: the last partial block, padded with spaces.
  if (scan_ < filled_) {
    char last[block];
    std::memset(last, ' ', block);
    std::memcpy(last, buf_.get() + scan_, filled_ - scan_);
    const std::size_t i = scan_block(last, st);
    if (i != not_found) return found(scan_ + i);
  }
  return framed{outcome::open, {}};
}

}  // namespace lpda::decode::detail
