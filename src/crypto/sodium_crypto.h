// The core's Crypto seam on libsodium: BLAKE2b (crypto_generichash) keyed with the lock's
// 32-byte secret for credential digests, and unkeyed for the event chain; Ed25519
// (crypto_sign_verify_detached) for phone-key certificates; HMAC-SHA256 and FF1 (ff1.h, on OpenSSL)
// for offline guest codes. Also the signing side of Ed25519,
// for the hub's home key and for tests.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/env.h"
#include "core/status.h"

namespace latchkey::crypto {

using SecretKey = std::array<uint8_t, 32>;

// Initialises libsodium once; false if it cannot (no usable random source).
bool InitSodium();

class SodiumCrypto : public core::Crypto {
 public:
  explicit SodiumCrypto(const SecretKey& digest_key);
  ~SodiumCrypto() override;
  core::Digest KeyedDigest(std::span<const uint8_t> data) const override;
  core::Digest ChainHash(const core::Digest& prev, std::span<const uint8_t> data) const override;
  bool VerifyEd25519(const core::Ed25519PublicKey& public_key, std::span<const uint8_t> message,
                     const core::Ed25519Signature& signature) const override;
  core::Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) const override;
  // FF1 from crypto/ff1.h (OpenSSL's AES).
  std::optional<std::string> Ff1DecryptDigits(std::span<const uint8_t> key, std::span<const uint8_t> tweak,
                                              std::string_view digits) const override;

 private:
  SecretKey key_;
};

// 32 bytes from the system's random source.
SecretKey RandomKey();

// An Ed25519 key pair (the hub's home key). `secret` is libsodium's 64-byte form (seed then
// public key); the 32-byte seed is what a file needs to keep.
struct Ed25519KeyPair {
  core::Ed25519PublicKey public_key{};
  std::array<uint8_t, 64> secret{};
};

// A fresh key pair from the system's random source.
Ed25519KeyPair NewEd25519KeyPair();
// The key pair of a 32-byte seed (deterministic: a stored key, or a test's fixed key).
Ed25519KeyPair Ed25519KeyPairFromSeed(const SecretKey& seed);
// The detached Ed25519 signature of `message` (deterministic for a given key and message).
core::Ed25519Signature SignEd25519(const Ed25519KeyPair& key, std::span<const uint8_t> message);

}  // namespace latchkey::crypto
