// The read-ahead decoder (decode::read_ahead_source) over the real Agent Activity decoder and real
// gzip files: the same stream as decoding on the caller's thread, errors in the same place, and a
// bounded number of batches ahead. Suite "read_ahead": also run in the ThreadSanitizer build.
#include "lpda/decode/read_ahead.hpp"
#include "lpda/agent_activity/decoder.hpp"

#include "decode_test_util.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using lpda::errc;
using lpda::agent_activity::event;
using lpda::decode::limits;
using lpda::decode::read_ahead_source;
namespace tu = lpda::decode::test_util;

namespace {

// The documented example file (7 events in 3 documents) `copies` times over, gzipped: with
// batches of 100, copies × 7 events make many batches.
std::filesystem::path write_example_gzip(const lpda::test::temp_dir& dir, int copies,
                                         std::size_t cut_bytes = 0) {
  const auto one = lpda::test::read_file(lpda::test::data_dir() / "agent_activity_wrapped.ndjson");
  std::string all;
  for (int i = 0; i < copies; ++i) all += one;
  auto gz = lpda::test::gzip(all);
  gz.resize(gz.size() - cut_bytes);
  const auto path = dir / "file.gz";
  std::ofstream(path, std::ios::binary) << gz;
  return path;
}

limits small_batches() {
  limits lim;
  lim.batch_size = 100;
  return lim;
}

std::unique_ptr<read_ahead_source<event>> read_ahead(const std::filesystem::path& path,
                                                     std::size_t depth) {
  auto d = lpda::agent_activity::decoder::open_file(path, small_batches());
  REQUIRE(d.has_value());
  return std::make_unique<read_ahead_source<event>>(std::move(*d), depth);
}

// A source of batches of one int each, counting how many it has produced.
class counting_source final : public lpda::typed_record_source<int> {
 public:
  explicit counting_source(int total) : total_(total) {}
  std::atomic<int> produced{0};

 protected:
  lpda::result<bool> read_batch(std::vector<int>& out) override {
    out.clear();
    if (produced.load() == total_) return false;
    out.push_back(produced.fetch_add(1));
    return true;
  }

 private:
  int total_;
};

}  // namespace

TEST_SUITE("read_ahead") {
  TEST_CASE("read ahead gives the same batches, events and figures as decoding in place") {
    lpda::test::temp_dir dir;
    const auto path = write_example_gzip(dir, 400);  // 2,800 events, 28 batches
    auto plain = lpda::agent_activity::decoder::open_file(path, small_batches());
    REQUIRE(plain.has_value());
    std::vector<std::size_t> plain_batches;
    const auto expected = tu::drain(**plain, &plain_batches);
    REQUIRE(expected.has_value());
    REQUIRE(expected->size() == 2800);
    REQUIRE(plain_batches.size() == 28);
    for (const std::size_t depth : {1U, 2U, 4U, 16U}) {
      CAPTURE(depth);
      auto ahead = read_ahead(path, depth);
      std::vector<std::size_t> batches;
      const auto got = tu::drain(*ahead, &batches);
      REQUIRE(got.has_value());
      CHECK(*got == *expected);
      CHECK(batches == plain_batches);
      CHECK(ahead->stats().events == 2800);
      CHECK(ahead->stats().documents == (*plain)->stats().documents);
      CHECK(ahead->stats().inflated_bytes == (*plain)->stats().inflated_bytes);
      // The end is final.
      std::vector<event> more;
      CHECK(ahead->next_batch(more).value() == false);
      CHECK(more.empty());
    }
  }

  TEST_CASE("an error comes after the same batches, with the same message, and stays") {
    lpda::test::temp_dir dir;
    const auto path = write_example_gzip(dir, 400, 40);  // the gzip trailer and more cut off
    auto plain = lpda::agent_activity::decoder::open_file(path, small_batches());
    REQUIRE(plain.has_value());
    std::vector<std::size_t> plain_batches;
    const auto expected = tu::drain(**plain, &plain_batches);
    REQUIRE_FALSE(expected.has_value());
    CHECK(expected.error().code == make_error_code(errc::gzip_truncated));
    REQUIRE_FALSE(plain_batches.empty());
    auto ahead = read_ahead(path, 3);
    std::vector<std::size_t> batches;
    const auto got = tu::drain(*ahead, &batches);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == expected.error().code);
    CHECK(std::string(got.error().what()) == expected.error().what());
    CHECK(batches == plain_batches);
    std::vector<event> again;
    auto later = ahead->next_batch(again);
    REQUIRE_FALSE(later.has_value());
    CHECK(later.error().code == expected.error().code);
  }

  TEST_CASE("stop_when fails the next batch with cancelled, and destroying mid-stream joins") {
    lpda::test::temp_dir dir;
    const auto path = write_example_gzip(dir, 400);
    std::atomic<bool> stop{false};
    auto ahead = read_ahead(path, 2);
    ahead->stop_when(stop);
    std::vector<event> batch;
    REQUIRE(ahead->next_batch(batch).value());
    CHECK(batch.size() == 100);
    stop = true;
    auto r = ahead->next_batch(batch);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == make_error_code(errc::cancelled));
    ahead.reset();  // the decoding thread, blocked on a full queue, is stopped and joined
    CHECK(ahead == nullptr);
  }

  TEST_CASE("at most depth batches are decoded ahead of the consumer") {
    for (const std::size_t depth : {1U, 3U}) {
      CAPTURE(depth);
      auto inner = std::make_unique<counting_source>(1000);
      auto* counter = inner.get();
      read_ahead_source<int> ahead(std::move(inner), depth);
      std::vector<int> batch;
      for (int taken = 1; taken <= 5; ++taken) {
        REQUIRE(ahead.next_batch(batch).value());
        CHECK(batch == std::vector<int>{taken - 1});
        // Give the decoding thread time to run as far ahead as it may.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        // Handed out + queued, + the one batch it may hold while the queue is full.
        CHECK(counter->produced.load() <= taken + static_cast<int>(depth) + 1);
        CHECK(counter->produced.load() >= taken + static_cast<int>(depth));
      }
    }
  }
}
