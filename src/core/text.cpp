#include "lpda/core/text.hpp"

#include <locale.h>
#include <wchar.h>

#include <cstdint>

namespace lpda {

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
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xc0u) == 0x80u;
  };
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
    // The length and the code point of a well-formed sequence (RFC 3629 section 4: no overlong
    // forms, no surrogates, nothing above U+10FFFF); 0 when the bytes at i are not one.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b >= 0xc2u && b <= 0xdfu && continuation(i + 1)) {
      len = 2;
      cp = ((b & 0x1fu) << 6) | (byte(i + 1) & 0x3fu);
    } else if (b >= 0xe0u && b <= 0xefu && continuation(i + 1) && continuation(i + 2)) {
      cp = ((b & 0x0fu) << 12) | ((byte(i + 1) & 0x3fu) << 6) | (byte(i + 2) & 0x3fu);
      if (cp >= 0x800u && (cp < 0xd800u || cp > 0xdfffu)) len = 3;
    } else if (b >= 0xf0u && b <= 0xf4u && continuation(i + 1) && continuation(i + 2) &&
               continuation(i + 3)) {
      cp = ((b & 0x07u) << 18) | ((byte(i + 1) & 0x3fu) << 12) | ((byte(i + 2) & 0x3fu) << 6) |
           (byte(i + 3) & 0x3fu);
      if (cp >= 0x10000u && cp <= 0x10ffffu) len = 4;
    }
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
    const std::size_t len = b < 0x80           ? 1
                            : (b >> 5) == 0x6  ? 2
                            : (b >> 4) == 0xE  ? 3
                            : (b >> 3) == 0x1E ? 4
                                               : 0;
    char32_t cp = 0;
    bool ok = len != 0 && i + len <= text.size();
    if (ok) {
      cp = len == 1 ? b : static_cast<char32_t>(b & (0x7F >> len));
      for (std::size_t k = 1; k < len && ok; ++k) {
        const auto c = static_cast<unsigned char>(text[i + k]);
        ok = (c & 0xC0) == 0x80;
        cp = (cp << 6) | (c & 0x3F);
      }
    }
    if (!ok) {
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
