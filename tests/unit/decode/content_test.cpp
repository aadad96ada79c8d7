#include "lpda/decode/content.hpp"

#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string>

using lpda::errc;
using lpda::decode::content_kind;
using lpda::decode::content_reader;
using lpda::decode::sniff;
namespace tu = lpda::decode::test_util;

namespace {

content_kind sniff_str(std::string_view s) {
  return sniff({reinterpret_cast<const unsigned char*>(s.data()), s.size()});
}

// All decoded content of a reader, or its error.
lpda::result<std::string> read_all(content_reader& r) {
  std::string out;
  for (;;) {
    auto c = r.next_chunk();
    if (!c) return c.error();
    if (c->empty()) return out;
    out.append(*c);
  }
}

lpda::result<std::string> read_all(std::string bytes, std::uint64_t cap = 1ull << 40) {
  auto r = content_reader::from_bytes(std::move(bytes), cap);
  return read_all(r);
}

bool has_code(const lpda::error& e, errc c) {
  return e.code == lpda::make_error_code(c);
}

}  // namespace

TEST_SUITE("decode") {
  TEST_CASE("sniff classifies by magic bytes only") {
    CHECK(sniff_str("") == content_kind::empty);
    CHECK(sniff_str("\x1f\x8b\x08") == content_kind::gzip);
    CHECK(sniff_str(std::string("PK\x03\x04\x14\x00", 6)) == content_kind::zip);
    CHECK(sniff_str("{\"a\":1}") == content_kind::json);
    CHECK(sniff_str("  \r\n\t[1]") == content_kind::json);
    CHECK(sniff_str("\xEF\xBB\xBF{}") == content_kind::json);
    CHECK(sniff_str("\xEF\xBB\xBF \n") == content_kind::json);  // only BOM and whitespace
    CHECK(sniff_str("\x7f"
                    "ELF\x02") == content_kind::unknown);
    CHECK(sniff_str("PK\x05\x06") == content_kind::unknown);  // not a local file header
    CHECK(sniff_str("\x1f") == content_kind::unknown);        // one byte is not the gzip magic
    CHECK(sniff_str("null") == content_kind::unknown);
    CHECK(sniff_str("\xEF\xBB{}") == content_kind::unknown);  // broken BOM
    CHECK(lpda::decode::to_string(content_kind::gzip) == "gzip");
    CHECK(lpda::decode::to_string(content_kind::zip) == "zip");
    CHECK(lpda::decode::to_string(content_kind::empty) == "empty");
  }

  TEST_CASE("plain JSON passes through unchanged") {
    const std::string text =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    auto r = content_reader::from_bytes(text);
    auto out = read_all(r);
    REQUIRE(out.has_value());
    CHECK(*out == text);
    CHECK(r.kind() == content_kind::json);
    CHECK(r.input_bytes() == text.size());
    CHECK(r.content_bytes() == text.size());
    CHECK(r.at_end());
  }

  TEST_CASE("gzip members are all inflated in order across 64 KiB chunk boundaries") {
    std::string a(200'000, 'a');
    std::string b = "second member";
    std::string c(70'000, 'c');
    const std::string gz = lpda::test::gzip(a) + lpda::test::gzip(b, 1) + lpda::test::gzip(c, 9);
    auto r = content_reader::from_bytes(gz);
    auto out = read_all(r);
    REQUIRE(out.has_value());
    CHECK(*out == a + b + c);
    CHECK(r.kind() == content_kind::gzip);
    CHECK(r.input_bytes() == gz.size());
    CHECK(r.content_bytes() == a.size() + b.size() + c.size());
  }

  TEST_CASE("a member boundary that splits the next magic across raw chunks") {
    // Raw input is read in 64 KiB chunks. A comment field (RFC 1952 §2.3.1, FLG.FCOMMENT) pads the
    // first member to 65535 bytes, so the second member's 1f and 8b arrive in different chunks.
    std::string first = lpda::test::gzip("first");
    const std::size_t comment = 65535 - first.size() - 1;  // + its zero terminator
    first[3] = static_cast<char>(first[3] | 0x10);
    first.insert(10, std::string(comment, 'c') + '\0');
    REQUIRE(first.size() == 65535);
    auto out = read_all(first + lpda::test::gzip("tail"));
    REQUIRE(out.has_value());
    CHECK(*out == "firsttail");
    // Same split, but what follows the 1f is not a member.
    auto bad = read_all(first + "\x1f\x8c");
    REQUIRE_FALSE(bad.has_value());
    CHECK(has_code(bad.error(), errc::trailing_data));
    CHECK(bad.error().message.find("offset 65535") != std::string::npos);
  }

  TEST_CASE("zero padding after the last member is accepted as gzip -d does") {
    const std::string gz = lpda::test::gzip("hello");
    for (std::size_t pad : {std::size_t{1}, std::size_t{512}, std::size_t{200'000}}) {
      auto out = read_all(gz + std::string(pad, '\0'));
      REQUIRE(out.has_value());
      CHECK(*out == "hello");
    }
  }

  TEST_CASE("other bytes after the last member are trailing data") {
    const std::string gz = lpda::test::gzip("hello");
    auto garbage = read_all(gz + "x");
    REQUIRE_FALSE(garbage.has_value());
    CHECK(has_code(garbage.error(), errc::trailing_data));
    CHECK(garbage.error().message.find("input byte offset " + std::to_string(gz.size())) !=
          std::string::npos);
    CHECK(garbage.error().message.find("78") != std::string::npos);  // 'x' in hex

    auto after_padding = read_all(gz + std::string(3, '\0') + "x");
    REQUIRE_FALSE(after_padding.has_value());
    CHECK(has_code(after_padding.error(), errc::trailing_data));
    CHECK(after_padding.error().message.find("offset " + std::to_string(gz.size() + 3)) !=
          std::string::npos);

    auto half_magic = read_all(gz + "\x1f");
    REQUIRE_FALSE(half_magic.has_value());
    CHECK(has_code(half_magic.error(), errc::trailing_data));

    auto wrong_second = read_all(gz + std::string("\x1f\x00", 2));
    REQUIRE_FALSE(wrong_second.has_value());
    CHECK(has_code(wrong_second.error(), errc::trailing_data));
  }

  TEST_CASE("truncated gzip is an error and never a short success") {
    const std::string gz = lpda::test::gzip(std::string(100'000, 'z') + "end");
    for (std::size_t cut :
         {gz.size() - 1, gz.size() - 8, gz.size() / 2, std::size_t{10}, std::size_t{2}}) {
      auto out = read_all(gz.substr(0, cut));
      REQUIRE_FALSE(out.has_value());
      CHECK(has_code(out.error(), errc::gzip_truncated));
      CHECK(out.error().message.find("gzip member 1") != std::string::npos);
    }
    // Truncation in the second member.
    const std::string two = lpda::test::gzip("one") + gz;
    auto out = read_all(two.substr(0, two.size() - 3));
    REQUIRE_FALSE(out.has_value());
    CHECK(has_code(out.error(), errc::gzip_truncated));
    CHECK(out.error().message.find("gzip member 2") != std::string::npos);
  }

  TEST_CASE("a flipped CRC or length byte is corrupt gzip") {
    const std::string gz = lpda::test::gzip("some content that is checked");
    std::string bad_crc = gz;
    bad_crc[gz.size() - 8] =
        static_cast<char>(bad_crc[gz.size() - 8] ^ 0x01);  // CRC-32, RFC 1952 §2.3
    auto crc = read_all(bad_crc);
    REQUIRE_FALSE(crc.has_value());
    CHECK(has_code(crc.error(), errc::gzip_corrupt));
    CHECK(crc.error().message.find("incorrect data check") != std::string::npos);

    std::string bad_len = gz;
    bad_len[gz.size() - 1] = static_cast<char>(bad_len[gz.size() - 1] ^ 0x01);  // ISIZE
    auto len = read_all(bad_len);
    REQUIRE_FALSE(len.has_value());
    CHECK(has_code(len.error(), errc::gzip_corrupt));
    CHECK(len.error().message.find("incorrect length check") != std::string::npos);

    std::string bad_method = gz;
    bad_method[2] = 7;  // CM must be 8 (deflate)
    auto method = read_all(bad_method);
    REQUIRE_FALSE(method.has_value());
    CHECK(has_code(method.error(), errc::gzip_corrupt));
  }

  TEST_CASE("inflated bytes beyond the cap fail with inflated_limit") {
    const std::string bomb = tu::gzip_repeated('\0', 200ull << 20);  // 200 MiB of zeros
    CHECK(bomb.size() < 400'000);
    auto out = read_all(bomb, 1 << 20);
    REQUIRE_FALSE(out.has_value());
    CHECK(has_code(out.error(), errc::inflated_limit));
    CHECK(out.error().message.find("max_inflated_bytes (1048576 bytes)") != std::string::npos);
    // The same cap applies to plain content.
    auto plain = read_all(std::string(2000, ' '), 1000);
    REQUIRE_FALSE(plain.has_value());
    CHECK(has_code(plain.error(), errc::inflated_limit));
    // Exactly at the cap is fine.
    auto exact = read_all(lpda::test::gzip(std::string(1000, ' ')), 1000);
    CHECK(exact.has_value());
  }

  TEST_CASE("zip and unknown content are refused with what they are") {
    auto zip = read_all(std::string("PK\x03\x04\x14\x00\x00\x00", 8) + "rest");
    REQUIRE_FALSE(zip.has_value());
    CHECK(has_code(zip.error(), errc::unsupported_format));
    CHECK(zip.error().message.find("zip") != std::string::npos);
    auto elf = read_all(
        "\x7f"
        "ELF\x02\x01");
    REQUIRE_FALSE(elf.has_value());
    CHECK(has_code(elf.error(), errc::unsupported_format));
    CHECK(elf.error().message.find("7f 45 4c 46 02 01") != std::string::npos);
  }

  TEST_CASE("an empty input is empty content") {
    auto r = content_reader::from_bytes("");
    auto out = read_all(r);
    REQUIRE(out.has_value());
    CHECK(out->empty());
    CHECK(r.kind() == content_kind::empty);
  }

  TEST_CASE("files are read in chunks and a missing file is unreadable") {
    lpda::test::temp_dir dir;
    const std::string big(300'000, 'q');
    lpda::test::write_file(dir / "Agent.1461387600000.1461391200000.part-00001-0",
                           lpda::test::gzip(big));
    auto r = content_reader::open_file(dir / "Agent.1461387600000.1461391200000.part-00001-0");
    REQUIRE(r.has_value());
    auto out = read_all(*r);
    REQUIRE(out.has_value());
    CHECK(*out == big);

    auto missing = content_reader::open_file(dir / "nope.gz");
    REQUIRE_FALSE(missing.has_value());
    CHECK(has_code(missing.error(), errc::unreadable));
    CHECK(missing.error().message.find("nope.gz") != std::string::npos);

    auto directory = content_reader::open_file(dir.path());
    REQUIRE_FALSE(directory.has_value());
    CHECK(has_code(directory.error(), errc::unreadable));
    CHECK(directory.error().message.find("is a directory") != std::string::npos);
  }

  TEST_CASE("after an error every call returns the same error") {
    auto r = content_reader::from_bytes(lpda::test::gzip("abc") + "zz");
    lpda::error first;
    for (;;) {
      auto c = r.next_chunk();
      if (!c) {
        first = c.error();
        break;
      }
      REQUIRE_FALSE(c->empty());
    }
    auto again = r.next_chunk();
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == first.code);
    CHECK(again.error().message == first.message);
  }
}
