#include "lpda/core/text.hpp"

#include <locale.h>
#include <wchar.h>

#include <cstdint>

namespace lpda {

namespace {

struct utf8_sequence {
  std::size_t len = 0;  ///< 0 when the bytes at the position are not a well-formed sequence
  std::uint32_t cp = 0;
};

// The sequence at `text[i]` (i < size, its first byte >= 0x80): RFC 3629 section 4, so no
// overlong forms, no surrogates, nothing above U+10FFFF.
utf8_sequence decode_utf8(std::string_view text, std::size_t i) {
  const auto byte = [&text](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const auto continuation = [&](std::size_t k) {
    return k < text.size() && (byte(k) & 0xc0u) == 0x80u;
  };
  const unsigned char b = byte(i);
  if (b >= 0xc2u && b <= 0xdfu && continuation(i + 1))
    return {2, ((b & 0x1fu) << 6) | (byte(i + 1) & 0x3fu)};
  if (b >= 0xe0u && b <= 0xefu && continuation(i + 1) && continuation(i + 2)) {
    const std::uint32_t cp =
        ((b & 0x0fu) << 12) | ((byte(i + 1) & 0x3fu) << 6) | (byte(i + 2) & 0x3fu);
    if (cp >= 0x800u && (cp < 0xd800u || cp > 0xdfffu)) return {3, cp};
  } else if (b >= 0xf0u && b <= 0xf4u && continuation(i + 1) && continuation(i + 2) &&
             continuation(i + 3)) {
    const std::uint32_t cp = ((b & 0x07u) << 18) | ((byte(i + 1) & 0x3fu) << 12) |
                             ((byte(i + 2) & 0x3fu) << 6) | (byte(i + 3) & 0x3fu);
    if (cp >= 0x10000u && cp <= 0x10ffffu) return {4, cp};
  }
  return {};
}

}  // namespace

std::string escape_text(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&out](unsigned char b) {
    out += "\\x";
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xfu]);
  };
  const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    if (b < 0x80u) {
      if (b < 0x20u || b == 0x7fu)
        escape(b);
      else
        out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    const auto [len, cp] = decode_utf8(text, i);
    if (len == 0) {
      escape(b);
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F) include U+009B, which some terminals read as CSI.
    if (cp < 0xa0u) {
      for (std::size_t k = 0; k < len; ++k) escape(byte(i + k));
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  // One C.UTF-8 locale for the process, made on first use; wcwidth reads the calling thread's
  // locale, so it is switched for this call only.
  static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  const locale_t previous = utf8 != locale_t{} ? ::uselocale(utf8) : locale_t{};
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const auto [len, cp] = b < 0x80u ? utf8_sequence{1, b} : decode_utf8(text, i);
    if (len == 0) {  // not UTF-8: one column per byte
      width += 1;
      i += 1;
      continue;
    }
    const int w = utf8 != locale_t{} ? ::wcwidth(static_cast<wchar_t>(cp)) : 1;
    width += w < 0 ? 1 : static_cast<std::size_t>(w);
    i += len;
  }
  if (utf8 != locale_t{}) ::uselocale(previous);
  return width;
}

}  // namespace lpda
