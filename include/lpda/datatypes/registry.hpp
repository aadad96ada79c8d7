#pragma once
/// The data-type registry: one descriptor per Data Access data type, so sync, `decode`, config
/// validation and `status` take the list of types from one place. Adding a data type is a folder
/// of its own (record, mapping, decoder, columns, store tables) and one entry here.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/decode/text_columns.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace lpda::datatypes {

/// What the product knows of one data type.
struct data_type {
  /// The Data Access name: the base resource's link name and the `data_types` config value, e.g.
  /// "agentActivity".
  std::string name;
  /// What its records are called in `decode`'s summary line, e.g. "events".
  std::string records_noun;
  /// Opens a decoder of a downloaded (spool) file: a `typed_record_source` of the type's record,
  /// whose figures `decode::stats_of` gives. `errc::unreadable` when the file cannot be opened;
  /// content errors come from the source's `next_batch`.
  result<std::unique_ptr<record_source>> (*open_file)(const std::filesystem::path& path,
                                                      const decode::limits& lim) = nullptr;
  /// `decode::write_text` with the type's columns, over a source `open_file` made.
  result<std::uint64_t> (*write_text)(record_source& source, decode::text_format format,
                                      std::ostream& out) = nullptr;
};

/// The Data Access name of the type used when none is named ("agentActivity").
inline constexpr std::string_view default_name = "agentActivity";

/// Every registered type: the built-in ones, then those added with `add`. Pointers stay valid for
/// the life of the process.
std::vector<const data_type*> all();

/// The type named `name` (exact spelling), or nullptr.
const data_type* find(std::string_view name);

/// The names of `all()`, in that order: what config validation admits in `data_types` and
/// `decode --data-type` accepts.
std::vector<std::string> known_names();

/// Registers a further type (a test's own type), after the others; throws
/// `std::invalid_argument` when the name is taken or a function is missing. Start-up only: not
/// synchronised with readers.
void add(data_type type);

}  // namespace lpda::datatypes
