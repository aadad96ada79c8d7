#include "test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace lpda::test::http {
namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

pkey_ptr new_key() {
  pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  check(k != nullptr, "EC key generation");
  return k;
}

std::string bio_string(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string cert_pem(X509* x) {
  bio_ptr b(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_X509(b.get(), x) == 1, "PEM_write_bio_X509");
  return bio_string(b.get());
}

std::string key_pem(EVP_PKEY* k) {
  bio_ptr b(BIO_new(BIO_s_mem()), BIO_free);
  check(PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_string(b.get());
}

x509_ptr read_cert(const std::string& pem) {
  bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  x509_ptr x(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr), X509_free);
  check(x != nullptr, "PEM_read_bio_X509");
  return x;
}

pkey_ptr read_key(const std::string& pem) {
  bio_ptr b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  pkey_ptr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  check(k != nullptr, "PEM_read_bio_PrivateKey");
  return k;
}

void add_ext(X509* issuer, X509* subject, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int ok = X509_add_ext(subject, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok == 1, "X509_add_ext");
}

x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, long serial) {
  x509_ptr x(X509_new(), X509_free);
  check(x != nullptr, "X509_new");
  check(X509_set_version(x.get(), 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400) != nullptr, "notAfter");
  check(X509_set_pubkey(x.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                   0) == 1,
        "subject CN");
  return x;
}

}  // namespace

pem_pair make_ca(const std::string& common_name) {
  auto key = new_key();
  auto x = new_cert(key.get(), common_name, 1);
  check(X509_set_issuer_name(x.get(), X509_get_subject_name(x.get())) == 1, "issuer");
  add_ext(x.get(), x.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(x.get(), x.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(x.get(), x.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(x.get(), key.get(), EVP_sha256()) > 0, "X509_sign (CA)");
  return {cert_pem(x.get()), key_pem(key.get())};
}

pem_pair make_server_cert(const pem_pair& ca, const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ips) {
  auto ca_cert = read_cert(ca.cert_pem);
  auto ca_key = read_key(ca.key_pem);
  auto key = new_key();
  static long serial = 100;
  const std::string cn =
      dns_names.empty() ? (ips.empty() ? "server" : ips.front()) : dns_names.front();
  auto x = new_cert(key.get(), cn, ++serial);
  check(X509_set_issuer_name(x.get(), X509_get_subject_name(ca_cert.get())) == 1, "issuer");
  add_ext(ca_cert.get(), x.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(ca_cert.get(), x.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(ca_cert.get(), x.get(), NID_ext_key_usage, "serverAuth");
  add_ext(ca_cert.get(), x.get(), NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& i : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + i;
  if (!san.empty()) add_ext(ca_cert.get(), x.get(), NID_subject_alt_name, san);
  check(X509_sign(x.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign (server)");
  return {cert_pem(x.get()), key_pem(key.get())};
}

}  // namespace lpda::test::http
