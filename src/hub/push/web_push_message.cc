#include "hub/push/web_push_message.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include <memory>
#include <vector>

#include "crypto/openssl_ptr.h"

namespace latchkey::hub::push {

namespace {

// HKDF-SHA256 (RFC 5869), extract then expand, `out.size()` bytes.
core::Status Hkdf(std::span<const uint8_t> salt, std::span<const uint8_t> ikm, std::string_view label,
                  std::span<const uint8_t> context, std::span<uint8_t> out) {
  // info = label || 0x00 || context
  std::vector<uint8_t> info(label.begin(), label.end());
  info.push_back(0);
  info.insert(info.end(), context.begin(), context.end());
  crypto::OpenSslPtr<EVP_KDF, EVP_KDF_free> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  crypto::OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    ERR_clear_error();
    return core::Status::IoError("HKDF failed");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<MessageKeys> DeriveMessageKeys(const EVP_PKEY& sender, const PushKeys& to, const Salt& salt) {
  auto browser = P256FromPublic(to.p256dh);
  LATCHKEY_TRY(browser);
  auto shared = P256Ecdh(sender, **browser);
  LATCHKEY_TRY(shared);
  MessageKeys keys;
  keys.ecdh_secret = *shared;
  // key_info's context: the browser's public key, then the sender's (RFC 8291 section 3.4).
  const P256Point sender_public = P256PublicPoint(sender);
  std::vector<uint8_t> both(to.p256dh.begin(), to.p256dh.end());
  both.insert(both.end(), sender_public.begin(), sender_public.end());
  std::array<uint8_t, 32> ikm{};
  LATCHKEY_TRY(Hkdf(to.auth, keys.ecdh_secret, "WebPush: info", both, ikm));
  LATCHKEY_TRY(Hkdf(salt, ikm, "Content-Encoding: aes128gcm", {}, keys.cek));
  LATCHKEY_TRY(Hkdf(salt, ikm, "Content-Encoding: nonce", {}, keys.nonce));
  return keys;
}

core::Result<std::string> EncryptWebPush(std::string_view payload, const PushKeys& to, const EVP_PKEY& sender,
                                         const Salt& salt) {
  if (payload.size() > kMaxPayload) {
    return core::Status::Invalid("a push payload has at most " + std::to_string(kMaxPayload) + " bytes");
  }
  auto keys = DeriveMessageKeys(sender, to, salt);
  LATCHKEY_TRY(keys);
  // The header (RFC 8188 section 2.1): salt, record size, the key id (the sender's public key).
  const P256Point sender_public = P256PublicPoint(sender);
  std::string body(salt.begin(), salt.end());
  for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>((kRecordSize >> shift) & 0xff));
  body.push_back(static_cast<char>(sender_public.size()));
  body.append(sender_public.begin(), sender_public.end());
  // One record, the last: the payload and the delimiter 0x02, no padding.
  std::string record(payload);
  record.push_back('\x02');
  crypto::OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> ctx(EVP_CIPHER_CTX_new());
  std::string sealed(record.size() + 16, '\0');
  int written = 0;
  int final_written = 0;
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_gcm(), keys->cek.data(), keys->nonce.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &written, reinterpret_cast<const unsigned char*>(record.data()),
                        static_cast<int>(record.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + written, &final_written) != 1 ||
      static_cast<std::size_t>(written + final_written) != record.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out + record.size()) != 1) {
    ERR_clear_error();
    return core::Status::IoError("AES-128-GCM failed");
  }
  body += sealed;
  return body;
}

core::Result<std::string> EncryptWebPush(std::string_view payload, const PushKeys& to, Env& env) {
  auto sender = P256Generate();
  LATCHKEY_TRY(sender);
  Salt salt{};
  env.RandomBytes(salt);
  return EncryptWebPush(payload, to, **sender, salt);
}

}  // namespace latchkey::hub::push
