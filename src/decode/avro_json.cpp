#include "lpda/decode/avro_json.hpp"

#include <array>
#include <cstdio>

namespace lpda::decode {

std::string_view json_type_name(const scalar& v) noexcept {
  switch (v.k) {
    case scalar::kind::null:
      return "null";
    case scalar::kind::boolean:
      return "a boolean";
    case scalar::kind::string:
      return "a string";
    default:
      return "a number";
  }
}

std::string wrong_type(std::string_view expected, const scalar& v) {
  std::string out = "expected ";
  out += expected;
  out += ", got ";
  out += json_type_name(v);
  return out;
}

refusal to_int64(const scalar& v, std::string_view expected, std::int64_t& out) {
  switch (v.k) {
    case scalar::kind::integer:
      out = v.i;
      return std::nullopt;
    case scalar::kind::too_big:
      return "integer out of int64 range";
    case scalar::kind::inexact:
      return "integer beyond 2^53 written as a floating-point number (not exact)";
    case scalar::kind::fraction: {
      std::array<char, 32> num{};
      std::snprintf(num.data(), num.size(), "%.17g", v.d);
      return std::string("expected an integer, got ") + num.data();
    }
    default:
      return wrong_type(expected, v);
  }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace lpda::decode
