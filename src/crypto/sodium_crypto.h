// The core's Crypto seam on libsodium: BLAKE2b (crypto_generichash) keyed with the lock's
// 32-byte secret for credential digests, and unkeyed for the event chain.
#pragma once

#include <array>
#include <cstdint>

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

 private:
  SecretKey key_;
};

// 32 bytes from the system's random source.
SecretKey RandomKey();

}  // namespace latchkey::crypto
