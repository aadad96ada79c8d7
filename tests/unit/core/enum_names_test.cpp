#include "lpda/core/enum_names.hpp"

#include <doctest/doctest.h>

namespace {

enum class colour { red, green, blue };
constexpr auto colour_names =
    lpda::make_enum_names<colour>({{colour::red, "red"}, {colour::green, "green"}});

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("enum_names reads a table in both directions") {
    static_assert(colour_names.name(colour::green) == "green");
    CHECK(colour_names.name(colour::red) == "red");
    CHECK(colour_names.name(colour::blue).empty());  // not in the table
    CHECK(colour_names.parse("green") == colour::green);
    CHECK_FALSE(colour_names.parse("Green").has_value());
    CHECK_FALSE(colour_names.parse("").has_value());
    CHECK(colour_names.entries().size() == 2);
  }
}
