// The hub's self-signed certificate (hub/tls_certificate.h) and its TLS contexts (hub/tls_context.h).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "hub/tls_certificate.h"
#include "hub/tls_context.h"

namespace latchkey::hub {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;

CertPtr ReadCert(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  CertPtr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class TlsCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/latchkey-tlscert-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/tls";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
  std::string dir_;
};

TEST_F(TlsCertificateTest, MakesAServerCertificateForTheListenAddressAndLoopback) {
  SelfSignedOptions options;
  options.ip_addresses = {"192.0.2.7"};
  options.dns_names = {"hub.example"};
  auto files = LoadOrCreateSelfSigned(dir_, options);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_TRUE(files->generated);
  EXPECT_EQ(Mode(dir_), 0700u);
  EXPECT_EQ(Mode(files->key_path), 0600u);
  EXPECT_EQ(Mode(files->cert_path), 0644u);

  CertPtr cert = ReadCert(files->cert_path);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "hub.example", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(cert.get(), "192.0.2.8", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "evil.example", 0, 0, nullptr), 1);
  // A server certificate (not a CA) for TLS servers, signed by its own P-256 key, valid ~2 years.
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  ASSERT_NE(pub, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(pub), 256);
  EXPECT_EQ(X509_verify(cert.get(), pub), 1);
  std::time_t in_700_days = std::time(nullptr) + 700LL * 24 * 3600;
  std::time_t in_740_days = std::time(nullptr) + 740LL * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &in_700_days), 0);
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert.get()), &in_740_days), 0);

  // The fingerprint is the SHA-256 of the DER certificate, as `openssl x509 -fingerprint` shows it.
  unsigned char* der = nullptr;
  const int der_size = i2d_X509(cert.get(), &der);
  ASSERT_GT(der_size, 0);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, der, static_cast<unsigned long long>(der_size));
  OPENSSL_free(der);
  std::string expected;
  for (std::size_t i = 0; i < sizeof digest; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i + 1 < sizeof digest ? "%02X:" : "%02X", digest[i]);
    expected += hex;
  }
  EXPECT_EQ(files->fingerprint, expected);
}

TEST_F(TlsCertificateTest, ReusesTheCertificateOnLaterStarts) {
  SelfSignedOptions options;
  options.ip_addresses = {"192.0.2.7"};
  auto first = LoadOrCreateSelfSigned(dir_, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  options.extra_ip_addresses = {"198.51.100.1"};  // a new interface alone changes nothing
  auto second = LoadOrCreateSelfSigned(dir_, options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->fingerprint, first->fingerprint);
}

TEST_F(TlsCertificateTest, ReplacesACertificateThatDoesNotCoverANewListenAddress) {
  SelfSignedOptions options;
  options.ip_addresses = {"192.0.2.7"};
  auto first = LoadOrCreateSelfSigned(dir_, options);
  ASSERT_TRUE(first.ok());
  options.ip_addresses = {"192.0.2.9"};
  auto second = LoadOrCreateSelfSigned(dir_, options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->generated);
  EXPECT_NE(second->fingerprint, first->fingerprint);
  EXPECT_NE(second->replaced_because.find("192.0.2.9"), std::string::npos) << second->replaced_because;
  CertPtr cert = ReadCert(second->cert_path);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.9", 0), 1);
}

TEST_F(TlsCertificateTest, ReplacesAPairWhoseKeyDoesNotMatch) {
  auto first = LoadOrCreateSelfSigned(dir_, {});
  ASSERT_TRUE(first.ok());
  // A crash between writing the new key and the new certificate leaves such a pair.
  const std::string other = root_ + "/other";
  ASSERT_TRUE(LoadOrCreateSelfSigned(other, {}).ok());
  std::filesystem::copy_file(other + "/key.pem", dir_ + "/key.pem", std::filesystem::copy_options::overwrite_existing);
  auto second = LoadOrCreateSelfSigned(dir_, {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->generated);
  EXPECT_TRUE(MakeServerTlsContext(second->cert_path, second->key_path).ok());
}

TEST_F(TlsCertificateTest, RefusesAKeyOthersCanRead) {
  auto first = LoadOrCreateSelfSigned(dir_, {});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(::chmod(first->key_path.c_str(), 0644), 0);
  auto second = LoadOrCreateSelfSigned(dir_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("chmod 600"), std::string::npos) << second.status().ToString();
}

TEST_F(TlsCertificateTest, ServerContextNamesTheFileThatDoesNotLoad) {
  auto files = LoadOrCreateSelfSigned(dir_, {});
  ASSERT_TRUE(files.ok());
  auto missing = MakeServerTlsContext(root_ + "/nope.pem", files->key_path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(root_ + "/nope.pem"), std::string::npos) << missing.status().ToString();

  const std::string garbage = root_ + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  EXPECT_FALSE(MakeServerTlsContext(garbage, files->key_path).ok());

  const std::string other = root_ + "/other";
  ASSERT_TRUE(LoadOrCreateSelfSigned(other, {}).ok());
  auto mismatched = MakeServerTlsContext(files->cert_path, other + "/key.pem");
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("does not belong"), std::string::npos)
      << mismatched.status().ToString();

  EXPECT_TRUE(MakeServerTlsContext(files->cert_path, files->key_path).ok());
  EXPECT_FALSE(MakeClientTlsContext(root_ + "/no-ca.pem").ok());
  EXPECT_TRUE(MakeClientTlsContext(files->cert_path).ok());
}

}  // namespace
}  // namespace latchkey::hub
