#include "lpda/core/text.hpp"

#include <doctest/doctest.h>

#include <string>

using lpda::escape_text;

TEST_SUITE("core") {
  TEST_CASE("escape_text keeps printable UTF-8 and escapes control bytes and invalid UTF-8") {
    CHECK(escape_text("Agent.1.2.part-00000-0") == "Agent.1.2.part-00000-0");
    CHECK(escape_text("Mar\xc3\xad"
                      "a \xe2\x82\xac \xf0\x9f\x98\x80") ==
          "Mar\xc3\xad"
          "a \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(escape_text("a\x1b[31mred\nforged line\r\t\x7f") ==
          R"(a\x1b[31mred\x0aforged line\x0d\x09\x7f)");
    CHECK(escape_text(std::string("nul\0x", 5)) == R"(nul\x00x)");
    CHECK(escape_text("\xff") == R"(\xff)");
    CHECK(escape_text("ab\xc3") == R"(ab\xc3)");                      // cut sequence
    CHECK(escape_text("\xc0\xaf") == R"(\xc0\xaf)");                  // overlong "/"
    CHECK(escape_text("\xed\xa0\x80") == R"(\xed\xa0\x80)");          // surrogate U+D800
    CHECK(escape_text("\xf4\x90\x80\x80") == R"(\xf4\x90\x80\x80)");  // above U+10FFFF
    CHECK(escape_text("\xc2\x9b") == R"(\xc2\x9b)");                  // C1 CSI
    CHECK(escape_text("\xc2\xa0") == "\xc2\xa0");                     // U+00A0 is printable
  }

  TEST_CASE("display_width counts terminal columns") {
    CHECK(lpda::display_width("") == 0);
    CHECK(lpda::display_width("abc") == 3);
    CHECK(lpda::display_width("J\u00fcrgen M\u00fcller") == 13);   // precomposed ü: 1 each
    CHECK(lpda::display_width("\u5c71\u7530 \u592a\u90ce") == 9);  // 山田 太郎: 4 wide + space
    CHECK(lpda::display_width("\uae40\ubbfc\uc900") == 6);         // 김민준: Hangul, wide
    CHECK(lpda::display_width("Mia \U0001F600 Chen") == 11);       // 😀 takes 2
    CHECK(lpda::display_width("Jose\u0301") == 4);                 // combining acute: 0
    CHECK(lpda::display_width("\xff\xfe") == 2);                   // not UTF-8: 1 per byte
    CHECK(lpda::display_width("\xe5\xb1") == 2);                   // truncated sequence
  }
}
