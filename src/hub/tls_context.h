// OpenSSL contexts for the hub's HTTPS server and for its TLS clients (the command line,
// webhooks). One policy for both: TLS 1.2 or later, the ciphers of Mozilla's "intermediate"
// profile (forward-secret AEAD only), no compression, no renegotiation.
#pragma once

#include <boost/asio/ssl.hpp>

#include <memory>
#include <string>

#include "core/status.h"

namespace latchkey::hub {

using TlsContext = boost::asio::ssl::context;

// A server context serving the certificate chain at `cert_path` with the key at `key_path` (PEM).
// An error says which file did not load, or that the key does not belong to the certificate.
core::Result<std::shared_ptr<TlsContext>> MakeServerTlsContext(const std::string& cert_path, const std::string& key_path);

// A client context that verifies the server's certificate against the PEM bundle at
// `ca_file`, or against the system's trust store when `ca_file` is empty. The caller still sets
// the expected host name on each stream (SetTlsHost).
core::Result<std::shared_ptr<TlsContext>> MakeClientTlsContext(const std::string& ca_file);

// The hub's client context for https:// webhooks: the system's trust store (public receivers)
// plus, when `extra_ca_file` is set, the PEM bundle in it (a home CA, a receiver's self-signed
// certificate). A file that is missing or holds no PEM certificate is an error naming it.
core::Result<std::shared_ptr<TlsContext>> MakeWebhookTlsContext(const std::string& extra_ca_file);

// Makes `ssl` (a client's connection) send `host` as SNI when it is a name and verify that the
// certificate is valid for `host` (a name or an IP address). False when OpenSSL refuses it.
bool SetTlsHost(SSL* ssl, const std::string& host);

}  // namespace latchkey::hub
