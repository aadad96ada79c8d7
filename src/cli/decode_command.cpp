#include "commands.hpp"
#include "lpda/cli/exit_codes.hpp"
#include "lpda/datatypes/registry.hpp"
#include "lpda/decode/mapped_decoder.hpp"

#include <ostream>
#include <stdexcept>

namespace lpda::cli {

int run_decode(const decode_options& opts, std::ostream& out, std::ostream& err) {
  // cli.cpp accepts only registered names.
  const auto* type = datatypes::find(opts.data_type);
  if (!type) throw std::logic_error("decode: unknown data type " + opts.data_type);
  auto opened = type->open_file(opts.file, decode::limits{});
  if (!opened) {
    err << "lpda-sync decode: " << opts.file << ": " << opened.error().what() << '\n';
    return exit_no_input;
  }
  auto& source = **opened;
  const auto format = opts.format == "csv" ? decode::text_format::csv : decode::text_format::ndjson;
  auto written = type->write_text(source, format, out);
  if (!written) {
    out.flush();
    const auto code = written.error().code;
    err << "lpda-sync decode: " << opts.file << ": " << written.error().what() << '\n';
    return input_exit_code(code, exit_data);
  }
  const auto& s = *decode::stats_of(source);
  err << "lpda-sync decode: " << opts.file << ": " << s.events << ' ' << type->records_noun
      << " in " << s.documents << (s.documents == 1 ? " document (" : " documents (")
      << decode::to_string(s.kind) << ", " << s.input_bytes << " bytes, " << s.inflated_bytes
      << " inflated)\n";
  return out.good() ? exit_ok : exit_partial;
}

}  // namespace lpda::cli
