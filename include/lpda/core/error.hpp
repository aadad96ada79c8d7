#pragma once
/// Error values shared by every module.
///
/// Expected runtime failures (network, TLS, HTTP status, decode, store contention) are returned
/// as values: `lpda::result<T>` holds either a T or an `lpda::error`, whose `code` is in
/// `lpda::error_category()` (or a system/Asio category) and whose `message` says what failed
/// and where (JSON path, byte offset, URL, YAML line). Exceptions are kept for start-up and
/// config errors and broken invariants.
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <type_traits>

namespace lpda {

/// lpda's own error conditions. Values are stable (they appear in logs and the ledger).
enum class errc {
  // input files and decoding
  unreadable = 1,      ///< a file or spool could not be opened or read
  unsupported_format,  ///< magic bytes are neither gzip nor JSON (PKZIP, binary, ...)
  gzip_corrupt,        ///< bad gzip header, bad deflate data or CRC/length mismatch
  gzip_truncated,      ///< gzip stream ends before its trailer
  trailing_data,       ///< non-zero bytes after the last gzip member
  inflated_limit,      ///< `max_inflated_bytes` exceeded
  document_limit,      ///< `max_document_bytes` exceeded
  malformed_json,      ///< JSON syntax error
  bad_field,           ///< a required field missing, null, of the wrong type or out of range
  // network and protocol
  network = 100,       ///< connect, reset, DNS, unexpected EOF
  timeout,             ///< a connect / handshake / I/O / request deadline expired
  tls,                 ///< TLS handshake or certificate verification failed
  throttled,           ///< HTTP 429
  server_error,        ///< HTTP 5xx
  auth_failed,         ///< HTTP 401 or 403
  client_error,        ///< other HTTP 4xx
  protocol,            ///< malformed HTTP, bad redirect, body larger than allowed, ...
  host_not_allowed,    ///< credentials would go to a host outside `allowed_hosts`
  bad_listing,         ///< a listing response that cannot be understood
  // storage
  store_busy = 200,    ///< the database stayed locked by another writer past the retry bound
  store_schema,        ///< the database schema is newer than this binary or unusable
  store_io,            ///< any other SQLite failure
  store_full,          ///< too little free disk for a migration; nothing was changed
  // configuration and control
  config_invalid = 300,
  cancelled,
};

/// The category of `lpda::errc`; its name is "lpda".
const boost::system::error_category& error_category() noexcept;

/// Makes an error_code in `error_category()`.
boost::system::error_code make_error_code(errc e) noexcept;

/// A failure value: a code for decisions (retry, quarantine, exit status) and a message for
/// people, which names what failed and where. Never contains secrets.
struct error {
  boost::system::error_code code;
  std::string message;

  error() = default;
  error(boost::system::error_code c, std::string m) : code(c), message(std::move(m)) {}
  error(errc c, std::string m) : code(make_error_code(c)), message(std::move(m)) {}

  /// "message" or, when the message is empty, the code's own text.
  std::string what() const { return message.empty() ? code.message() : message; }
};

/// Either a T or an `lpda::error`. `result<void>` for operations without a value.
template <class T>
using result = boost::system::result<T, error>;

/// Thrown by `result<T>::value()` on an error (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

/// The exception thrown for an `lpda::error` that is not handled as a value.
class error_exception : public std::runtime_error {
 public:
  explicit error_exception(error e) : std::runtime_error(e.what()), error_(std::move(e)) {}
  const lpda::error& err() const noexcept { return error_; }

 private:
  lpda::error error_;
};

}  // namespace lpda

template <>
struct boost::system::is_error_code_enum<lpda::errc> : std::true_type {};
