// libFuzzer target: any byte string through the Agent Activity decoder, with small caps so that
// bombs and monster documents are reached quickly, draining every batch and formatting each event.
// Each input is decoded twice, with simdjson and with the streaming parser alone: both must give
// the same events, the same error and the same figures.
// Crashes, sanitizer reports, leaks, timeouts and disagreements are findings; decode errors are
// expected results.
#include "decode/parser_choice.hpp"
#include "lpda/decode/agent_activity_decoder.hpp"
#include "lpda/decode/event_format.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

struct outcome {
  std::vector<lpda::agent_activity_event> events;
  std::optional<std::string> error;
  std::uint64_t documents = 0;
  std::uint64_t inflated = 0;
};

outcome decode(const std::uint8_t* data, std::size_t size, bool simdjson) {
  lpda::decode::detail::use_simdjson(simdjson);
  lpda::decode::limits lim;
  lim.max_inflated_bytes = 1 << 20;
  lim.max_document_bytes = 64 << 10;
  lim.batch_size = 7;
  auto decoder = lpda::decode::agent_activity_decoder::from_bytes(
      std::string(reinterpret_cast<const char*>(data), size), lim);
  std::vector<lpda::agent_activity_event> batch;
  outcome out;
  for (;;) {
    auto r = decoder->next_batch(batch);
    if (!r) {
      // A failed decoder stays failed with the same error.
      auto again = decoder->next_batch(batch);
      if (again || again.error().message != r.error().message || !batch.empty()) std::abort();
      out.error = r.error().message;
      break;
    }
    if (!*r) {
      if (!batch.empty()) std::abort();
      break;
    }
    if (batch.empty() || batch.size() > lim.batch_size) std::abort();
    for (const auto& e : batch) {
      if (lpda::decode::to_ndjson(e).empty() || lpda::decode::to_csv(e).empty()) std::abort();
      out.events.push_back(e);
    }
  }
  const auto& st = decoder->stats();
  if (st.events != out.events.size() || st.inflated_bytes > lim.max_inflated_bytes + (64 << 10))
    std::abort();
  out.documents = st.documents;
  out.inflated = st.inflated_bytes;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const outcome fast = decode(data, size, true);
  const outcome exact = decode(data, size, false);
  if (fast.events != exact.events || fast.error != exact.error ||
      fast.documents != exact.documents || fast.inflated != exact.inflated)
    std::abort();
  return 0;
}
