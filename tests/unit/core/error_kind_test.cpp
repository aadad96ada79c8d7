#include "lpda/core/error_kind.hpp"

#include <doctest/doctest.h>

#include <boost/system/errc.hpp>

#include <set>
#include <string>

using lpda::errc;

namespace {

// Every enumerator of errc, written out here rather than read from the table.
constexpr errc all_kinds[] = {errc::unreadable,     errc::unsupported_format,
                              errc::gzip_corrupt,   errc::gzip_truncated,
                              errc::trailing_data,  errc::inflated_limit,
                              errc::document_limit, errc::malformed_json,
                              errc::bad_field,      errc::network,
                              errc::timeout,        errc::tls,
                              errc::throttled,      errc::server_error,
                              errc::auth_failed,    errc::client_error,
                              errc::protocol,       errc::host_not_allowed,
                              errc::bad_listing,    errc::store_busy,
                              errc::store_schema,   errc::store_io,
                              errc::store_full,     errc::config_invalid,
                              errc::cancelled};

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("the error kind table has one row per errc in order") {
    const auto table = lpda::error_kind_table();
    REQUIRE(table.size() == std::size(all_kinds));
    for (std::size_t i = 0; i < table.size(); ++i) {
      CAPTURE(i);
      CHECK(table[i].kind == all_kinds[i]);
      CHECK(&lpda::traits_of(all_kinds[i]) == &table[i]);
    }
  }

  TEST_CASE("metric labels are the enumerators' names and each is unique") {
    CHECK(lpda::traits_of(errc::unreadable).label == "unreadable");
    CHECK(lpda::traits_of(errc::server_error).label == "server_error");
    CHECK(lpda::traits_of(errc::host_not_allowed).label == "host_not_allowed");
    CHECK(lpda::traits_of(errc::store_schema).label == "store_schema");
    CHECK(lpda::traits_of(errc::cancelled).label == "cancelled");
    std::set<std::string> seen;
    for (const auto& row : lpda::error_kind_table())
      CHECK(seen.insert(std::string(row.label)).second);
  }

  TEST_CASE("the HTTP client retries 429 and 5xx and timeouts and network failures only") {
    const std::set<errc> retried{errc::throttled, errc::server_error, errc::timeout, errc::network};
    for (const errc k : all_kinds) {
      CAPTURE(static_cast<int>(k));
      CHECK(lpda::traits_of(k).retry_request == (retried.count(k) == 1));
    }
  }

  TEST_CASE("scopes - credentials stop the account - local failures the poll - the rest a file") {
    const std::set<errc> poll{errc::store_busy, errc::store_io, errc::store_schema,
                              errc::store_full, errc::unreadable};
    for (const errc k : all_kinds) {
      CAPTURE(static_cast<int>(k));
      const auto want = k == errc::auth_failed ? lpda::failure_scope::account
                        : poll.count(k) == 1   ? lpda::failure_scope::poll
                                               : lpda::failure_scope::file;
      CHECK(lpda::traits_of(k).scope == want);
    }
  }

  TEST_CASE("temporary and unreachable kinds and exit codes") {
    const std::set<errc> temporary{errc::network,      errc::timeout,    errc::throttled,
                                   errc::server_error, errc::store_busy, errc::store_full};
    const std::set<errc> unreachable{errc::network, errc::timeout, errc::tls};
    for (const errc k : all_kinds) {
      CAPTURE(static_cast<int>(k));
      const auto& t = lpda::traits_of(k);
      CHECK(t.temporary == (temporary.count(k) == 1));
      CHECK(t.unreachable == (unreachable.count(k) == 1));
      const int want =
          k == errc::auth_failed || k == errc::store_schema || k == errc::config_invalid ? 78
          : temporary.count(k) == 1                                                      ? 75
                                                                                         : 1;
      CHECK(t.exit_code == want);
    }
  }

  TEST_CASE("traits_of an error_code answers only for lpda's own category") {
    const auto* row = lpda::traits_of(lpda::make_error_code(errc::throttled));
    REQUIRE(row != nullptr);
    CHECK(row->kind == errc::throttled);
    CHECK(lpda::traits_of(boost::system::errc::make_error_code(
              boost::system::errc::connection_refused)) == nullptr);
  }

  TEST_CASE("worse_exit_code ranks 0 < 75 < 1 < 78 and any other code") {
    CHECK(lpda::worse_exit_code(0, 75) == 75);
    CHECK(lpda::worse_exit_code(75, 0) == 75);
    CHECK(lpda::worse_exit_code(75, 1) == 1);
    CHECK(lpda::worse_exit_code(1, 75) == 1);
    CHECK(lpda::worse_exit_code(1, 78) == 78);
    CHECK(lpda::worse_exit_code(78, 1) == 78);
    CHECK(lpda::worse_exit_code(78, 64) == 78);
    CHECK(lpda::worse_exit_code(0, 0) == 0);
  }

  TEST_CASE("input_exit_code - 66 for an unreadable input - 78 for what a person must fix") {
    for (const auto& row : lpda::error_kind_table()) {
      CAPTURE(row.label);
      CHECK(row.missing_input == (row.kind == errc::unreadable));
    }
    const auto code = [](errc e) { return lpda::make_error_code(e); };
    CHECK(lpda::input_exit_code(code(errc::unreadable), 65) == 66);
    CHECK(lpda::input_exit_code(code(errc::store_schema), 1) == 78);
    CHECK(lpda::input_exit_code(code(errc::config_invalid), 75) == 78);
    CHECK(lpda::input_exit_code(code(errc::network), 75) == 75);
    CHECK(lpda::input_exit_code(code(errc::gzip_corrupt), 65) == 65);
    CHECK(lpda::input_exit_code(code(errc::store_io), 1) == 1);
    CHECK(lpda::input_exit_code(
              boost::system::errc::make_error_code(boost::system::errc::address_in_use), 75) == 75);
  }
}
