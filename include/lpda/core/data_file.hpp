#pragma once
/// A file published by the Data Access API, as listed (reference: developers.liveperson.com
/// /data-data-access-agent-activity.html, "JSON Example" of the response).
#include <cstdint>
#include <string>

namespace lpda {

struct data_file {
  std::string key;   ///< ledger key: @name without a trailing ".gz", e.g. "Agent.1461387600000.1461391200000.part-00001-0"
  std::string name;  ///< @name verbatim
  std::string href;  ///< @href verbatim (may name another host than the listing's)
  int part = 0;      ///< part number from the name ("part-00001-0" → 1)
  std::int64_t scope_start_ms = 0;  ///< the file's hour: start, epoch ms UTC
  std::int64_t scope_end_ms = 0;    ///< the file's hour: end, epoch ms UTC
};

}  // namespace lpda
