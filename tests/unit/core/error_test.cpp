#include "lpda/core/error.hpp"

#include <doctest/doctest.h>

TEST_SUITE("core") {
  TEST_CASE("errc converts to an error_code in the lpda category") {
    const boost::system::error_code ec = lpda::errc::gzip_truncated;
    CHECK(std::string(ec.category().name()) == "lpda");
    CHECK(ec.value() == static_cast<int>(lpda::errc::gzip_truncated));
    CHECK(ec.message() == "truncated gzip data");
  }

  TEST_CASE("result<T>::value() throws error_exception carrying the message") {
    lpda::result<int> r = lpda::error{lpda::errc::bad_field, "$.agentID: missing"};
    CHECK_FALSE(r.has_value());
    CHECK_THROWS_WITH_AS(r.value(), "$.agentID: missing", lpda::error_exception);
  }

  TEST_CASE("error::what falls back to the code's text") {
    const lpda::error e{lpda::errc::timeout, ""};
    CHECK(e.what() == "timed out");
  }
}
