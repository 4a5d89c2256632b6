#include "crypto/sodium_crypto.h"

#include <sodium.h>

#include "crypto/ff1.h"

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

bool SodiumCrypto::VerifyEd25519(const core::Ed25519PublicKey& public_key, std::span<const uint8_t> message,
                                 const core::Ed25519Signature& signature) const {
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) == 0;
}

core::Digest SodiumCrypto::HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) const {
  core::Digest out{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, data.data(), data.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

std::optional<std::string> SodiumCrypto::Ff1DecryptDigits(std::span<const uint8_t> key, std::span<const uint8_t> tweak,
                                                          std::string_view digits) const {
  auto plain = Ff1Decrypt(key, tweak, 10, digits);
  if (!plain.ok()) return std::nullopt;
  return std::move(plain).value();
}

SecretKey RandomKey() {
  InitSodium();
  SecretKey key{};
  randombytes_buf(key.data(), key.size());
  return key;
}

Ed25519KeyPair NewEd25519KeyPair() {
  InitSodium();
  Ed25519KeyPair key;
  crypto_sign_keypair(key.public_key.data(), key.secret.data());
  return key;
}

Ed25519KeyPair Ed25519KeyPairFromSeed(const SecretKey& seed) {
  InitSodium();
  Ed25519KeyPair key;
  crypto_sign_seed_keypair(key.public_key.data(), key.secret.data(), seed.data());
  return key;
}

core::Ed25519Signature SignEd25519(const Ed25519KeyPair& key, std::span<const uint8_t> message) {
  InitSodium();
  core::Ed25519Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), key.secret.data());
  return sig;
}

}  // namespace latchkey::crypto
