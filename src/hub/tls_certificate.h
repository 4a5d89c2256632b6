// The hub's own TLS certificate, for when nobody configured one: a self-signed EC P-256
// certificate made with OpenSSL on first start and kept in DATA/tls (cert.pem 0644, key.pem
// 0600), so that a hub on the home network serves HTTPS from its first second and its users can
// pin the certificate by its SHA-256 fingerprint.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"

namespace latchkey::hub {

struct CertificateFiles {
  std::string cert_path;
  std::string key_path;
  // SHA-256 of the certificate (DER) as "AB:CD:...", as `openssl x509 -fingerprint -sha256` shows it.
  std::string fingerprint;
  bool generated = false;  // made by this call (else an existing one was reused)
  std::string replaced_because;  // why an existing certificate was not reused ("" if none was there)
};

struct SelfSignedOptions {
  // Names and addresses the certificate is valid for (subjectAltName). "localhost", 127.0.0.1
  // and ::1 are always added; so is this machine's host name.
  std::vector<std::string> dns_names;
  // ip_addresses must be covered by a reused certificate too; extra_ip_addresses only go into a
  // new one (the interfaces of a hub on 0.0.0.0 come and go: a new VPN address should not
  // change the certificate users have pinned).
  std::vector<std::string> ip_addresses;
  std::vector<std::string> extra_ip_addresses;
  std::chrono::hours validity = std::chrono::hours(24 * 730);  // two years
};

// The certificate in `dir` (cert.pem + key.pem), made first when there is none, when it does not
// load, when it expires within 30 days, or when it does not cover one of `options.ip_addresses`
// (the hub now listens on an address it was not made for). Files are written atomically,
// the key first, so a crash leaves the old pair, the new one, or a pair that does not match and
// is replaced on the next start.
core::Result<CertificateFiles> LoadOrCreateSelfSigned(const std::string& dir, const SelfSignedOptions& options);

// The fingerprint of the first certificate in the PEM file at `cert_path`.
core::Result<std::string> CertificateFingerprint(const std::string& cert_path);

// This machine's host name and the addresses of its up interfaces (for a hub listening on
// 0.0.0.0 or ::, whose certificate should be valid for every address it can be reached at).
std::string LocalHostName();
std::vector<std::string> LocalAddresses();

}  // namespace latchkey::hub
