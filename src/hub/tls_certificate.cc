#include "hub/tls_certificate.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "crypto/openssl_ptr.h"
#include "store/secret_file.h"

namespace latchkey::hub {

namespace {

using Pkey = crypto::OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using Cert = crypto::OpenSslPtr<X509, X509_free>;
using Bio = crypto::OpenSslPtr<BIO, BIO_free_all>;
using Bignum = crypto::OpenSslPtr<BIGNUM, BN_free>;
using Extension = crypto::OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using crypto::OpenSslErrorText;

Cert ReadCert(const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return nullptr;
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

Pkey ReadKey(const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return nullptr;
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string Fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) return "";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i + 1 < length ? "%02X:" : "%02X", digest[i]);
    out += hex;
  }
  return out;
}

// A host name usable as a dNSName (letters, digits, '-' and '.'), so that an odd host name
// cannot break the subjectAltName syntax.
bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; });
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

std::string AltNames(const SelfSignedOptions& options) {
  std::vector<std::string> dns = options.dns_names;
  dns.push_back(LocalHostName());
  dns.push_back("localhost");
  std::vector<std::string> ips = options.ip_addresses;
  ips.insert(ips.end(), options.extra_ip_addresses.begin(), options.extra_ip_addresses.end());
  ips.push_back("127.0.0.1");
  ips.push_back("::1");
  std::vector<std::string> entries;
  const auto add = [&entries](const std::string& entry) {
    if (std::find(entries.begin(), entries.end(), entry) == entries.end()) entries.push_back(entry);
  };
  for (const auto& name : dns) {
    if (IsDnsName(name)) add("DNS:" + name);
  }
  for (const auto& ip : ips) {
    unsigned char binary[16];
    if (::inet_pton(AF_INET, ip.c_str(), binary) == 1 || ::inet_pton(AF_INET6, ip.c_str(), binary) == 1) add("IP:" + ip);
  }
  std::string text;
  for (const auto& entry : entries) text += (text.empty() ? "" : ",") + entry;
  return text;
}

core::Status Generate(const std::string& dir, const SelfSignedOptions& options) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Cert cert(X509_new());
  Bignum serial(BN_new());
  if (!key || !cert || !serial) return core::Status::IoError(OpenSslErrorText("cannot make a P-256 key"));
  // A random positive 127-bit serial: no two certificates of this hub share one.
  bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            // An hour in the past: a client whose clock is a little behind still accepts it.
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                            std::chrono::duration_cast<std::chrono::seconds>(options.validity).count()) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1;
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string common_name = "latchkey hub " + LocalHostName();
  common_name.resize(std::min<std::size_t>(common_name.size(), 64));  // the CN's upper bound
  ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("latchkey"), -1, -1, 0) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1 &&
       X509_set_issuer_name(cert.get(), name) == 1;
  // A server certificate, not a CA: browsers refuse a CA certificate as a server's own.
  ok = ok && AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
       AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
       AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") &&
       AddExtension(cert.get(), NID_subject_key_identifier, "hash") &&
       AddExtension(cert.get(), NID_subject_alt_name, AltNames(options)) &&
       X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return core::Status::IoError(OpenSslErrorText("cannot make a self-signed certificate"));

  Bio key_pem(BIO_new(BIO_s_mem()));
  Bio cert_pem(BIO_new(BIO_s_mem()));
  if (!key_pem || !cert_pem || PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1) {
    return core::Status::IoError(OpenSslErrorText("cannot encode the certificate"));
  }
  const auto text = [](BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  std::string key_text = text(key_pem.get());
  core::Status written = store::WriteFileAtomically(dir + "/key.pem", key_text, 0600);
  OPENSSL_cleanse(key_text.data(), key_text.size());
  if (!written.ok()) return written;
  return store::WriteFileAtomically(dir + "/cert.pem", text(cert_pem.get()), 0644);
}

// Why the pair in `dir` cannot be reused as it is ("" when it can).
std::string Unusable(const std::string& dir, const SelfSignedOptions& options) {
  Cert cert = ReadCert(dir + "/cert.pem");
  Pkey key = ReadKey(dir + "/key.pem");
  ERR_clear_error();
  if (!cert || !key) return "it does not load";
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return "the key does not match the certificate";
  }
  std::time_t soon = std::time(nullptr) + 30 * 24 * 3600;
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &soon) <= 0) {
    return "it expires within 30 days";
  }
  for (const auto& ip : options.ip_addresses) {
    if (X509_check_ip_asc(cert.get(), ip.c_str(), 0) != 1) return "it is not valid for " + ip;
  }
  return "";
}

}  // namespace

core::Result<CertificateFiles> LoadOrCreateSelfSigned(const std::string& dir, const SelfSignedOptions& options) {
  std::error_code fs_error;
  std::filesystem::create_directories(dir, fs_error);
  if (fs_error) return core::Status::IoError("cannot create " + dir + ": " + fs_error.message());
  ::chmod(dir.c_str(), 0700);
  CertificateFiles files;
  files.cert_path = dir + "/cert.pem";
  files.key_path = dir + "/key.pem";

  struct stat cert_stat {}, key_stat {};
  const bool exists = ::stat(files.cert_path.c_str(), &cert_stat) == 0 && ::stat(files.key_path.c_str(), &key_stat) == 0;
  if (exists && (key_stat.st_mode & 077) != 0) {
    // As with the hub's other secrets: a key others could read is an error to fix, not to use.
    return core::Status::Invalid(files.key_path + " is readable by others: chmod 600 it, or remove " + dir +
                                 " to get a new certificate");
  }
  const std::string why = exists ? Unusable(dir, options) : "";
  if (!exists || !why.empty()) {
    LATCHKEY_TRY(Generate(dir, options));
    files.generated = true;
    files.replaced_because = why;
  }
  auto fingerprint = CertificateFingerprint(files.cert_path);
  LATCHKEY_TRY(fingerprint);
  files.fingerprint = *fingerprint;
  return files;
}

core::Result<std::string> CertificateFingerprint(const std::string& cert_path) {
  Cert cert = ReadCert(cert_path);
  if (!cert) return core::Status::Invalid(OpenSslErrorText("cannot read a PEM certificate from " + cert_path));
  std::string fingerprint = Fingerprint(cert.get());
  if (fingerprint.empty()) return core::Status::IoError(OpenSslErrorText("cannot hash " + cert_path));
  return fingerprint;
}

std::string LocalHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::vector<std::string> LocalAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_UP) == 0) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* address = nullptr;
    if (a->ifa_addr->sa_family == AF_INET) {
      address = &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr;
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      // A link-local address needs a zone ("%eth0") to be used, which a certificate cannot name.
      if (IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) continue;
      address = &v6->sin6_addr;
    }
    if (address == nullptr || ::inet_ntop(a->ifa_addr->sa_family, address, text, sizeof text) == nullptr) continue;
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace latchkey::hub
