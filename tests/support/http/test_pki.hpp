#pragma once
// Test-only: a throw-away certificate authority and server certificates made with OpenSSL's
// APIs, so TLS tests need no files from outside the test.
#include <string>
#include <vector>

namespace lpda::test::http {

/// A key pair and certificate in PEM.
struct pem_pair {
  std::string cert_pem;
  std::string key_pem;
};

/// A self-signed CA (EC P-256, SHA-256, valid from one hour ago for one day).
pem_pair make_ca(const std::string& common_name);

/// A server certificate signed by `ca`, with subjectAltName DNS entries `dns_names` and IP
/// entries `ips`, extendedKeyUsage serverAuth. Throws std::runtime_error on failure.
pem_pair make_server_cert(const pem_pair& ca, const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ips);

}  // namespace lpda::test::http
