#include "lpda/core/error.hpp"

namespace lpda {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "lpda"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::unreadable: return "input cannot be read";
      case errc::unsupported_format: return "unsupported file format";
      case errc::gzip_corrupt: return "corrupt gzip data";
      case errc::gzip_truncated: return "truncated gzip data";
      case errc::trailing_data: return "unexpected bytes after the last gzip member";
      case errc::inflated_limit: return "inflated size limit exceeded";
      case errc::document_limit: return "JSON document size limit exceeded";
      case errc::malformed_json: return "malformed JSON";
      case errc::bad_field: return "bad or missing field";
      case errc::network: return "network error";
      case errc::timeout: return "timed out";
      case errc::tls: return "TLS error";
      case errc::throttled: return "throttled (HTTP 429)";
      case errc::server_error: return "server error (HTTP 5xx)";
      case errc::auth_failed: return "not authorized (HTTP 401/403)";
      case errc::client_error: return "client error (HTTP 4xx)";
      case errc::protocol: return "protocol error";
      case errc::host_not_allowed: return "host not in allowed_hosts";
      case errc::bad_listing: return "listing cannot be understood";
      case errc::store_busy: return "database is locked by another writer";
      case errc::store_schema: return "database schema error";
      case errc::store_io: return "database error";
      case errc::store_full: return "not enough free disk for the database";
      case errc::config_invalid: return "invalid configuration";
      case errc::cancelled: return "cancelled";
    }
    return "lpda error " + std::to_string(ev);
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw error_exception(e);
}

}  // namespace lpda
