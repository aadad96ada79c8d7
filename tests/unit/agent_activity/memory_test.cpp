// Memory bounds of the decoder: a gzip bomb, a monster document and a long file must not raise
// the process's peak RSS by more than a few MiB. Peak RSS is VmHWM from /proc/self/status, reset
// before each measurement through /proc/self/clear_refs.
#include "lpda/agent_activity/decoder.hpp"

#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <string>

using lpda::errc;
using agent_activity_decoder = lpda::agent_activity::decoder;
using lpda::decode::limits;
namespace tu = lpda::decode::test_util;

namespace {

constexpr long max_growth_kib = 8 * 1024;  // 8 MiB

// AddressSanitizer keeps freed memory in quarantine (256 MiB by default) and adds shadow memory,
// so RSS says nothing about the decoder there: the bounds are checked in non-sanitized builds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool rss_meaningful = false;
#else
constexpr bool rss_meaningful = true;
#endif
#else
constexpr bool rss_meaningful = true;
#endif

struct measured {
  lpda::result<std::vector<lpda::agent_activity::event>> result;
  long growth_kib;
};

// Decodes `bytes`, counting events without keeping them, and reports the peak RSS growth.
measured decode_measured(std::string bytes, limits lim) {
  auto d = agent_activity_decoder::from_bytes(std::move(bytes), lim);
  REQUIRE(tu::reset_peak_rss());
  const long before = tu::proc_status_kib("VmRSS");
  std::vector<lpda::agent_activity::event> batch;
  lpda::result<std::vector<lpda::agent_activity::event>> res =
      std::vector<lpda::agent_activity::event>{};
  std::size_t count = 0;
  for (;;) {
    auto r = d->next_batch(batch);
    if (!r) {
      res = r.error();
      break;
    }
    if (!*r) break;
    count += batch.size();
  }
  const long peak = tu::proc_status_kib("VmHWM");
  if (res) res->resize(count);
  return {std::move(res), peak - before};
}

bool has_code(const lpda::error& e, errc c) {
  return e.code == lpda::make_error_code(c);
}

}  // namespace

TEST_SUITE("decode") {
  TEST_CASE("a gzip bomb fails at the inflated cap without allocating it") {
    // 1 GiB of whitespace compresses to about 1 MiB; the cap is 1 MiB.
    const std::string bomb = tu::gzip_repeated(' ', 1ull << 30);
    auto m = decode_measured(bomb, limits{.max_inflated_bytes = 1 << 20});
    REQUIRE_FALSE(m.result.has_value());
    CHECK(has_code(m.result.error(), errc::inflated_limit));
    CHECK(m.result.error().message.find("max_inflated_bytes (1048576 bytes)") != std::string::npos);
    MESSAGE("peak RSS growth: " << m.growth_kib << " KiB");
    if (rss_meaningful) CHECK(m.growth_kib < max_growth_kib);
  }

  TEST_CASE("a monster document fails at the document cap without buffering it") {
    // One document with a 256 MiB string in an unknown field.
    int part = 0;
    const std::string gz = tu::gzip_stream([&](std::string& piece) {
      if (part == 0)
        piece = R"({"recordCollection":[],"blob":")";
      else if (part <= 256)
        piece.assign(1 << 20, 'a');
      else
        piece = "\"}";
      return ++part <= 257;
    });
    auto m = decode_measured(gz, limits{.max_document_bytes = 1 << 20});
    REQUIRE_FALSE(m.result.has_value());
    CHECK(has_code(m.result.error(), errc::document_limit));
    CHECK(m.result.error().message ==
          "document 1 at byte offset 0: larger than max_document_bytes (1048576 bytes)");
    MESSAGE("peak RSS growth: " << m.growth_kib << " KiB");
    if (rss_meaningful) CHECK(m.growth_kib < max_growth_kib);
  }

  TEST_CASE("memory does not grow with the number of documents") {
    const std::string line =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    // 40,000 copies of the 7-event fixture: 280,000 events, about 150 MB of JSON.
    int copies = 0;
    const std::string gz = tu::gzip_stream(
        [&](std::string& piece) {
          for (int i = 0; i < 100; ++i) piece += line;
          copies += 100;
          return copies < 40'000;
        },
        1);
    auto m = decode_measured(gz, limits{});
    REQUIRE(m.result.has_value());
    CHECK(m.result->size() == 280'000);
    MESSAGE("peak RSS growth: " << m.growth_kib << " KiB");
    if (rss_meaningful) CHECK(m.growth_kib < max_growth_kib);
  }
}
