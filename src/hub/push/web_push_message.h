// Web Push message encryption (RFC 8291): what the hub POSTs to a push service is the payload
// encrypted so that only the subscribed browser can read it; the push service sees its size.
//
// For each message the hub makes a fresh P-256 key pair and a random 16-byte salt, and:
//   ecdh_secret = ECDH(hub's fresh key, browser's p256dh)
//   IKM   = HKDF-SHA256(salt = browser's auth secret, IKM = ecdh_secret,
//                       info = "WebPush: info" 0x00 || p256dh || hub's fresh public key, 32)
//   CEK   = HKDF-SHA256(salt, IKM, "Content-Encoding: aes128gcm" 0x00, 16)
//   NONCE = HKDF-SHA256(salt, IKM, "Content-Encoding: nonce" 0x00, 12)
// and the body is the `aes128gcm` content coding of RFC 8188 with one record:
//   salt (16) || rs = 4096 (4, big-endian) || idlen = 65 (1) || the fresh public key (65)
//   || AES-128-GCM(CEK, NONCE, payload || 0x02) with its 16-byte tag.
// The request then carries `Content-Encoding: aes128gcm`. Only the layout is written here: ECDH,
// HKDF and AES-GCM are OpenSSL's (p256.h, EVP_KDF "HKDF", EVP aes-128-gcm). Checked against the
// worked example of RFC 8291 Appendix A (tests/unit/web_push_test.cc).
//
//   PushKeys keys{subscription.p256dh, subscription.auth};
//   auto body = EncryptWebPush(R"({"title":"Front door unlocked",...})", keys, env);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/env.h"
#include "hub/push/p256.h"

namespace latchkey::hub::push {

// A subscription's keys (PushSubscription.getKey("p256dh"), getKey("auth")).
struct PushKeys {
  P256Point p256dh{};
  std::array<uint8_t, 16> auth{};
};

using Salt = std::array<uint8_t, 16>;

// The one record's size, and so the largest payload: a push service must take a body of
// 4096 bytes (RFC 8291 section 4), which holds the 86-byte header, the tag and the delimiter.
inline constexpr std::size_t kRecordSize = 4096;
inline constexpr std::size_t kMaxPayload = kRecordSize - 86 - 16 - 1;

// What one message is encrypted with (above), for a test against RFC 8291's intermediate values.
struct MessageKeys {
  P256Scalar ecdh_secret{};
  std::array<uint8_t, 16> cek{};
  std::array<uint8_t, 12> nonce{};
};
core::Result<MessageKeys> DeriveMessageKeys(const EVP_PKEY& sender, const PushKeys& to, const Salt& salt);

// The body of a message from `sender` (a fresh key pair) with `salt`; kInvalid for a payload
// over kMaxPayload bytes or keys that are not P-256 (the subscription's were checked when it
// was made).
core::Result<std::string> EncryptWebPush(std::string_view payload, const PushKeys& to, const EVP_PKEY& sender,
                                         const Salt& salt);
// The same with a fresh key pair (OpenSSL's random source) and a salt from `env`.
core::Result<std::string> EncryptWebPush(std::string_view payload, const PushKeys& to, Env& env);

}  // namespace latchkey::hub::push
