#pragma once
/// The text forms `lpda-sync decode` prints, shared by every data type: one NDJSON line or one CSV
/// record per record, the columns being the data type's.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::decode {

enum class text_format {
  ndjson,  ///< one compact JSON object per line (https://github.com/ndjson/ndjson-spec)
  csv,     ///< a header line, then one record per line (RFC 4180)
};

/// A data type's `decode` columns: the CSV header line (no line break) and one record as one
/// NDJSON line or one CSV record (no line break), the columns in the header's order.
template <class Record>
struct text_columns {
  std::string_view csv_header;
  std::string (*ndjson)(const Record&);
  std::string (*csv)(const Record&);
};

/// Appends `v` as one CSV field (RFC 4180 §2): enclosed in double quotes with inner quotes doubled
/// when it holds a comma, double quote, CR or LF; an empty string is written `""`, so it stays
/// distinguishable from an absent value (an empty field, which the caller writes by appending
/// nothing).
void append_csv_field(std::string& out, std::string_view v);

/// Writes every record of `source` to `out` in `format` (for CSV, the header line first), one line
/// each ending in '\n'. Returns the number of records written, or the source's first error; lines
/// of earlier batches have then been written.
template <class Record>
result<std::uint64_t> write_text(typed_record_source<Record>& source, text_format format,
                                 const text_columns<Record>& columns, std::ostream& out) {
  const bool csv = format == text_format::csv;
  if (csv) out << columns.csv_header << '\n';
  std::uint64_t written = 0;
  std::vector<Record> batch;
  for (;;) {
    auto more = source.next_batch(batch);
    if (!more) return more.error();
    if (!*more) return written;
    for (const auto& r : batch) out << (csv ? columns.csv(r) : columns.ndjson(r)) << '\n';
    written += batch.size();
  }
}

}  // namespace lpda::decode
