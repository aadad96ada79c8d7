#include "lpda/core/error_kind.hpp"

#include <array>

namespace lpda {
namespace {

using enum failure_scope;
constexpr int failure = exit_code_failure;
constexpr int temporary = exit_code_temporary;
constexpr int config = exit_code_config;

// kind, label, retry_request, temporary, unreachable, scope, exit_code, missing_input
constexpr std::array table{
    error_kind_traits{errc::unreadable, "unreadable", false, false, false, poll, failure, true},
    error_kind_traits{errc::unsupported_format, "unsupported_format", false, false, false, file,
                      failure, false},
    error_kind_traits{errc::gzip_corrupt, "gzip_corrupt", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::gzip_truncated, "gzip_truncated", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::trailing_data, "trailing_data", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::inflated_limit, "inflated_limit", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::document_limit, "document_limit", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::malformed_json, "malformed_json", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::bad_field, "bad_field", false, false, false, file, failure, false},
    error_kind_traits{errc::network, "network", true, true, true, file, temporary, false},
    error_kind_traits{errc::timeout, "timeout", true, true, true, file, temporary, false},
    // A failed handshake or certificate is the CA bundle or a proxy: no retry helps it, but it
    // is the connection that failed, which `check` reports as unreachable.
    error_kind_traits{errc::tls, "tls", false, false, true, file, failure, false},
    error_kind_traits{errc::throttled, "throttled", true, true, false, file, temporary, false},
    error_kind_traits{errc::server_error, "server_error", true, true, false, file, temporary,
                      false},
    error_kind_traits{errc::auth_failed, "auth_failed", false, false, false, account, config,
                      false},
    error_kind_traits{errc::client_error, "client_error", false, false, false, file, failure,
                      false},
    error_kind_traits{errc::protocol, "protocol", false, false, false, file, failure, false},
    error_kind_traits{errc::host_not_allowed, "host_not_allowed", false, false, false, file,
                      failure, false},
    error_kind_traits{errc::bad_listing, "bad_listing", false, false, false, file, failure, false},
    // Another writer holds the database: waiting is the cure, like a network failure.
    error_kind_traits{errc::store_busy, "store_busy", false, true, false, poll, temporary, false},
    error_kind_traits{errc::store_schema, "store_schema", false, false, false, poll, config, false},
    error_kind_traits{errc::store_io, "store_io", false, false, false, poll, failure, false},
    // Too little free disk to start a migration: nothing was changed, and a later start (after
    // logs rotate, or a person frees space) may succeed, so 75 like a busy database.
    error_kind_traits{errc::store_full, "store_full", false, true, false, poll, temporary, false},
    error_kind_traits{errc::config_invalid, "config_invalid", false, false, false, file, config,
                      false},
    error_kind_traits{errc::cancelled, "cancelled", false, false, false, file, failure, false},
};

// A kind with two rows would let callers disagree on it.
constexpr bool in_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    for (std::size_t j = i + 1; j < table.size(); ++j)
      if (table[i].kind == table[j].kind) return false;
  return true;
}
static_assert(in_order(), "each errc has one row");

int rank(int code) noexcept {
  switch (code) {
    case 0:
      return 0;
    case exit_code_temporary:
      return 1;
    case exit_code_failure:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

const error_kind_traits* traits_of(const boost::system::error_code& code) noexcept {
  if (code.category() != error_category()) return nullptr;
  for (const auto& row : table)
    if (static_cast<int>(row.kind) == code.value()) return &row;
  return nullptr;
}

const error_kind_traits& traits_of(errc kind) noexcept {
  for (const auto& row : table)
    if (row.kind == kind) return row;
  // An errc value outside the enumerators (a cast): the most cautious row.
  static constexpr error_kind_traits unknown{
      errc::cancelled, "other", false, false, false, failure_scope::file, exit_code_failure, false};
  return unknown;
}

std::span<const error_kind_traits> error_kind_table() noexcept {
  return table;
}

int input_exit_code(const boost::system::error_code& code, int otherwise) noexcept {
  const auto* row = traits_of(code);
  if (!row) return otherwise;
  if (row->missing_input) return exit_code_no_input;
  return row->exit_code == exit_code_config ? exit_code_config : otherwise;
}

int worse_exit_code(int a, int b) noexcept {
  return rank(b) > rank(a) ? b : a;
}

}  // namespace lpda
