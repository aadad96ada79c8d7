// The simdjson path and the streaming parser (RapidJSON SAX) must agree on every input: the same
// events, the same error message (document, byte offset, path, reason) and the same figures.
// Inputs: the fixtures, and the wrapped fixture cut short or with one byte replaced at every
// position by a character that matters to JSON framing or parsing.
#include "decode/parser_choice.hpp"
#include "lpda/decode/agent_activity_decoder.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

struct outcome {
  std::vector<lpda::agent_activity_event> events;
  std::optional<std::string> error;
  std::uint64_t documents = 0;
};

outcome decode(const std::string& bytes, bool simdjson, lpda::decode::limits lim = {}) {
  lpda::decode::detail::use_simdjson(simdjson);
  auto d = lpda::decode::agent_activity_decoder::from_bytes(bytes, lim);
  lpda::decode::detail::use_simdjson(true);
  outcome out;
  std::vector<lpda::agent_activity_event> batch;
  for (;;) {
    auto r = d->next_batch(batch);
    if (!r) {
      out.error = r.error().message;
      break;
    }
    if (!*r) break;
    out.events.insert(out.events.end(), batch.begin(), batch.end());
  }
  out.documents = d->stats().documents;
  return out;
}

// Checks agreement; returns true when the input decoded without error.
bool agree(const std::string& bytes, lpda::decode::limits lim = {}) {
  const outcome fast = decode(bytes, true, lim);
  const outcome exact = decode(bytes, false, lim);
  INFO("input: " << bytes.substr(0, 200));
  CHECK(fast.events == exact.events);
  CHECK(fast.error == exact.error);
  CHECK(fast.documents == exact.documents);
  return !fast.error;
}

}  // namespace

TEST_SUITE("decode") {
  TEST_CASE("simdjson and the streaming parser agree on the fixtures") {
    for (const char* name : {"agent_activity_docs_example.json", "agent_activity_wrapped.ndjson"}) {
      const std::string bytes = lpda::test::read_file(lpda::test::data_dir() / name);
      CHECK(agree(bytes));
      CHECK(agree(lpda::test::gzip(bytes)));
      CHECK(decode(bytes, true).events.size() > 0);
    }
  }

  TEST_CASE("a document larger than 4 MiB is decoded by the streaming path alone") {
    const std::string wrapped =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    const std::size_t first_end = wrapped.find('\n');
    // The first document again, with an unread field of 5 MiB in front.
    const std::string big =
        "{\"padding\":\"" + std::string(5u << 20, 'x') + "\"," + wrapped.substr(1, first_end);
    const outcome small = decode(wrapped.substr(0, first_end + 1), true);
    const outcome large = decode(big + wrapped, true);
    REQUIRE_FALSE(small.error);
    REQUIRE_FALSE(large.error);
    std::vector<lpda::agent_activity_event> want = small.events;
    const outcome all = decode(wrapped, true);
    want.insert(want.end(), all.events.begin(), all.events.end());
    CHECK(large.events == want);
    CHECK(large.documents == 3);
    CHECK(agree(big + wrapped));
  }

  TEST_CASE("simdjson and the streaming parser agree on cut and altered documents") {
    const std::string wrapped =
        lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
    const std::string replacements[] = {"\"",  "\\", "}", "]", "{", "[", ",",
                                        ":",   "0",  "-", "e", "n", " ", std::string(1, '\0'),
                                        "\xff"};
    int failures = 0;
    int successes = 0;
    for (std::size_t at = 0; at < wrapped.size(); at += 3) {
      if (!agree(wrapped.substr(0, at))) ++failures;
      for (const auto& r : replacements) {
        std::string altered = wrapped;
        altered.replace(at, 1, r);
        if (agree(altered))
          ++successes;
        else
          ++failures;
      }
    }
    // Both kinds of outcome were compared, not only one.
    CHECK(failures > 100);
    CHECK(successes > 100);
    // Document caps around the first document's size.
    const std::size_t first_len = wrapped.find('\n');
    for (std::size_t cap = first_len - 70; cap <= first_len + 70; ++cap) {
      agree(wrapped, lpda::decode::limits{.max_document_bytes = cap});
    }
  }
}
