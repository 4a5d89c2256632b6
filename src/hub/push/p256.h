// P-256 (secp256r1, "prime256v1") keys with OpenSSL 3's EVP interface, for Web Push: the hub's
// VAPID key signs ES256 JWTs (RFC 8292), and each message is encrypted with an ECDH secret
// between a fresh key of the hub's and the browser's key (RFC 8291). Keys travel as raw bytes:
// a private key as its 32-byte scalar, a public key as the 65-byte uncompressed point
// (0x04 || x || y), which is what browsers give (PushSubscription's p256dh) and take
// (PushManager's applicationServerKey).
//
//   auto mine = P256Generate();                         // a fresh key pair
//   auto theirs = P256FromPublic(p256dh);               // refused unless a point on the curve
//   auto secret = P256Ecdh(*mine, *theirs);             // 32 bytes: the shared x coordinate
//   auto sig = P256SignEs256(*mine, "header.payload");  // r || s, 64 bytes (JWS form)
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/status.h"

namespace latchkey::hub::push {

struct PKeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using P256Key = std::unique_ptr<EVP_PKEY, PKeyFree>;

using P256Point = std::array<uint8_t, 65>;
using P256Scalar = std::array<uint8_t, 32>;

// A fresh key pair from OpenSSL's random source.
core::Result<P256Key> P256Generate();
// The key pair whose private scalar is `scalar` (big-endian); kInvalid unless 0 < scalar < n.
core::Result<P256Key> P256FromPrivate(std::span<const uint8_t> scalar);
// A public key from its uncompressed point; kInvalid unless 65 bytes of a point on the curve.
core::Result<P256Key> P256FromPublic(std::span<const uint8_t> point);
// The uncompressed point of `key` (either kind).
P256Point P256PublicPoint(const EVP_PKEY& key);
// ECDH: the x coordinate of `mine`'s scalar times `theirs`'s point.
core::Result<P256Scalar> P256Ecdh(const EVP_PKEY& mine, const EVP_PKEY& theirs);
// ECDSA with SHA-256 over `data` (ES256, RFC 7518 3.4): r || s, each 32 bytes big-endian.
core::Result<std::array<uint8_t, 64>> P256SignEs256(const EVP_PKEY& key, std::string_view data);

}  // namespace latchkey::hub::push
