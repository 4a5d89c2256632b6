#include "crypto/sodium_crypto.h"

#include <sodium.h>

namespace latchkey::crypto {

bool InitSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

SodiumCrypto::SodiumCrypto(const SecretKey& digest_key) : key_(digest_key) { InitSodium(); }

SodiumCrypto::~SodiumCrypto() { sodium_memzero(key_.data(), key_.size()); }

core::Digest SodiumCrypto::KeyedDigest(std::span<const uint8_t> data) const {
  core::Digest out{};
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), key_.data(), key_.size());
  return out;
}

core::Digest SodiumCrypto::ChainHash(const core::Digest& prev, std::span<const uint8_t> data) const {
  core::Digest out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, prev.data(), prev.size());
  crypto_generichash_update(&state, data.data(), data.size());
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

SecretKey RandomKey() {
  InitSodium();
  SecretKey key{};
  randombytes_buf(key.data(), key.size());
  return key;
}

}  // namespace latchkey::crypto
