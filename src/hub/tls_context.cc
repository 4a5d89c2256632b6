#include "hub/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

namespace latchkey::hub {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" TLS 1.2 suites without the DHE ones (they need DH parameters this
// hub does not ship, and every client of the last decade has ECDHE). TLS 1.3 keeps OpenSSL's
// defaults, which are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string OpenSslReason(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

core::Status ApplyPolicy(TlsContext& context) {
  SSL_CTX* ctx = context.native_handle();
  context.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return core::Status::IoError("OpenSSL refuses the TLS policy (TLS 1.2+, intermediate ciphers)");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::shared_ptr<TlsContext>> MakeServerTlsContext(const std::string& cert_path, const std::string& key_path) {
  auto context = std::make_shared<TlsContext>(ssl::context::tls_server);
  LATCHKEY_TRY(ApplyPolicy(*context));
  boost::system::error_code ec;
  // The key first: a certificate loaded after a key it does not match drops the key quietly, and
  // the check below then names the mismatch (the other order reports it as a key that "does not load").
  context->use_private_key_file(key_path, ssl::context::pem, ec);
  if (ec) return core::Status::Invalid("TLS key " + key_path + " does not load: " + OpenSslReason(ec));
  context->use_certificate_chain_file(cert_path, ec);
  if (ec) return core::Status::Invalid("TLS certificate " + cert_path + " does not load: " + OpenSslReason(ec));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return core::Status::Invalid("TLS key " + key_path + " does not belong to the certificate " + cert_path);
  }
  return context;
}

core::Result<std::shared_ptr<TlsContext>> MakeClientTlsContext(const std::string& ca_file) {
  auto context = std::make_shared<TlsContext>(ssl::context::tls_client);
  LATCHKEY_TRY(ApplyPolicy(*context));
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return core::Status::IoError("cannot load the system's trusted certificates: " + OpenSslReason(ec));
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) return core::Status::Invalid("CA file " + ca_file + " does not load: " + OpenSslReason(ec));
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

core::Result<std::shared_ptr<TlsContext>> MakeWebhookTlsContext(const std::string& extra_ca_file) {
  auto context = std::make_shared<TlsContext>(ssl::context::tls_client);
  LATCHKEY_TRY(ApplyPolicy(*context));
  boost::system::error_code ec;
  context->set_default_verify_paths(ec);
  if (ec) return core::Status::IoError("cannot load the system's trusted certificates: " + OpenSslReason(ec));
  if (!extra_ca_file.empty()) {
    context->load_verify_file(extra_ca_file, ec);
    if (ec) return core::Status::Invalid("webhook_cacert " + extra_ca_file + " does not load: " + OpenSslReason(ec));
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

bool SetTlsHost(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // SNI carries names only (RFC 6066); an address is checked against the certificate's IP SANs.
  const bool ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                        : SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace latchkey::hub
