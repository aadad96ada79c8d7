#pragma once
/// JSON scalars as a data type's mapping receives them from the document framing layer, with the
/// conversions every data type shares.
///
/// Data Access values use Avro's JSON encoding (Avro 1.8.2 specification, "JSON Encoding"): a
/// union value is `null` or a one-key object `{"<branch>": value}`. The framing layer removes those
/// wrappers before a mapping sees a value, so a mapping handles plain scalars only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lpda::decode {

/// One JSON scalar as read, after any union wrapper around it was removed.
struct scalar {
  enum class kind : std::uint8_t {
    null,
    boolean,
    integer,   ///< an integral number that fits int64 (also `2.0` or `1e3` up to 2^53): `i`
    too_big,   ///< an integral number outside int64
    inexact,   ///< an integral number beyond 2^53 written with a fraction or exponent: `d`
    fraction,  ///< a number with a non-zero fraction (or not finite): `d`
    string,    ///< `s`, valid only during the call that receives it
  };
  kind k = kind::null;
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;
};

/// Why a value was refused, e.g. "expected a string, got a number"; nullopt when it was taken.
/// The framing layer puts "document N at byte offset M: <JSON path>: " in front.
using refusal = std::optional<std::string>;

/// "null", "a boolean", "a number" or "a string".
std::string_view json_type_name(const scalar& v) noexcept;

/// "expected <expected>, got <the JSON type of v>".
std::string wrong_type(std::string_view expected, const scalar& v);

/// The value of an integer field: `integer` is stored in `out`; every other kind is refused with
/// the reason `errc::bad_field` messages use ("integer out of int64 range", "integer beyond 2^53
/// written as a floating-point number (not exact)", "expected an integer, got 1.5", or
/// `wrong_type(expected, v)` for null, booleans and strings).
refusal to_int64(const scalar& v, std::string_view expected, std::int64_t& out);

/// ASCII case-insensitive equality, for field names whose letter case varies between LivePerson's
/// field tables and examples.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace lpda::decode
