// libFuzzer target: any byte string through the Agent Activity decoder, with small caps so that
// bombs and monster documents are reached quickly, draining every batch and formatting each event.
// Crashes, sanitizer reports, leaks and timeouts are findings; decode errors are expected results.
#include "lpda/agent_activity/columns.hpp"
#include "lpda/agent_activity/decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  lpda::decode::limits lim;
  lim.max_inflated_bytes = 1 << 20;
  lim.max_document_bytes = 64 << 10;
  lim.batch_size = 7;
  auto decoder = lpda::agent_activity::decoder::from_bytes(
      std::string(reinterpret_cast<const char*>(data), size), lim);
  std::vector<lpda::agent_activity::event> batch;
  std::uint64_t events = 0;
  for (;;) {
    auto r = decoder->next_batch(batch);
    if (!r) {
      // A failed decoder stays failed with the same error.
      auto again = decoder->next_batch(batch);
      if (again || again.error().message != r.error().message || !batch.empty()) std::abort();
      break;
    }
    if (!*r) {
      if (!batch.empty()) std::abort();
      break;
    }
    if (batch.empty() || batch.size() > lim.batch_size) std::abort();
    for (const auto& e : batch) {
      if (lpda::agent_activity::to_ndjson(e).empty() || lpda::agent_activity::to_csv(e).empty()) std::abort();
    }
    events += batch.size();
  }
  const auto& st = decoder->stats();
  if (st.events != events || st.inflated_bytes > lim.max_inflated_bytes + (64 << 10)) std::abort();
  return 0;
}
