#include "hub/home_key.h"

#include <sodium.h>

#include "store/secret_file.h"

namespace latchkey::hub {

core::Result<HomeKey> HomeKey::LoadOrCreate(const std::string& path) {
  auto loaded = store::LoadOrCreateSecret(path);
  LATCHKEY_TRY(loaded);
  store::Secret seed = std::move(loaded).value();
  HomeKey key(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

HomeKey::HomeKey(const crypto::SecretKey& seed) : pair_(crypto::Ed25519KeyPairFromSeed(seed)) {}

HomeKey::HomeKey(HomeKey&& other) noexcept : pair_(other.pair_) {
  sodium_memzero(other.pair_.secret.data(), other.pair_.secret.size());
}

// The secret half does not outlive the key in freed memory.
HomeKey::~HomeKey() { sodium_memzero(pair_.secret.data(), pair_.secret.size()); }

std::vector<uint8_t> HomeKey::Sign(core::PhoneKeyCert& cert) const {
  cert.sig = crypto::SignEd25519(pair_, core::PhoneKeySignedBytes(cert));
  return core::EncodePhoneKey(cert);
}

std::vector<uint8_t> HomeKey::Sign(core::PhoneRevocations& list) const {
  list.sig = crypto::SignEd25519(pair_, core::PhoneRevocationsSignedBytes(list));
  return core::EncodePhoneRevocations(list);
}

}  // namespace latchkey::hub
