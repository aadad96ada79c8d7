#pragma once
// A data type that exists only in the tests: a tiny record and its mapping on the generic decode
// layer, written the way a real data type's folder is (record, mapping, decoder, `decode`
// columns). Registering it is one `datatypes::add` call; nothing outside this folder and that
// call changes. Its files are Data Access envelopes whose records read
// `{"id": <string>, "value": <integer or null>}`, Avro unions wrapped or not.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/decode/mapped_decoder.hpp"
#include "lpda/decode/text_columns.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

namespace lpda::test::probe_type {

inline constexpr const char* name = "probeType";

struct probe {
  std::string id;                    ///< required
  std::optional<std::int64_t> value;  ///< null or missing → nullopt

  friend bool operator==(const probe&, const probe&) = default;
};

/// The decoder of one probe file.
std::unique_ptr<decode::mapped_decoder<probe>> from_bytes(std::string bytes,
                                                          decode::limits lim = {});
result<std::unique_ptr<record_source>> open_file(const std::filesystem::path& path,
                                                 const decode::limits& lim);

/// Its registry line: `datatypes::add` of this type, once per process (later calls do nothing).
void register_type();

/// `decode` columns: id,value (CSV: an absent value is an empty field).
result<std::uint64_t> write_text(record_source& source, decode::text_format format,
                                 std::ostream& out);

}  // namespace lpda::test::probe_type
