#include "lpda/decode/text_columns.hpp"

namespace lpda::decode {

void append_csv_field(std::string& out, std::string_view v) {
  if (v.empty()) {
    out += "\"\"";  // an empty string, as opposed to an absent value (empty field)
    return;
  }
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace lpda::decode
