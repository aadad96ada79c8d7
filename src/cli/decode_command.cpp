#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/decode/agent_activity_decoder.hpp"
#include "lpda/decode/event_format.hpp"

#include <ostream>

namespace lpda::cli {

int run_decode(const decode_options& opts, std::ostream& out, std::ostream& err) {
  auto opened = decode::agent_activity_decoder::open_file(opts.file);
  if (!opened) {
    err << "lpda-sync decode: " << opts.file << ": " << opened.error().what() << '\n';
    return exit_no_input;
  }
  auto& decoder = **opened;
  const bool csv = opts.format == "csv";
  if (csv) out << decode::csv_header() << '\n';
  std::vector<agent_activity_event> batch;
  for (;;) {
    auto more = decoder.next_batch(batch);
    if (!more) {
      out.flush();
      const auto code = more.error().code;
      err << "lpda-sync decode: " << opts.file << ": " << more.error().what() << '\n';
      return code == make_error_code(errc::unreadable) ? exit_no_input : exit_data;
    }
    if (!*more) break;
    for (const auto& e : batch) out << (csv ? decode::to_csv(e) : decode::to_ndjson(e)) << '\n';
  }
  const auto& s = decoder.stats();
  err << "lpda-sync decode: " << opts.file << ": " << s.events << " events in " << s.documents
      << " documents (" << decode::to_string(s.kind) << ", " << s.input_bytes << " bytes, "
      << s.inflated_bytes << " inflated)\n";
  return out.good() ? exit_ok : exit_partial;
}

}  // namespace lpda::cli
