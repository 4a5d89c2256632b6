// The hub's home key (PHONE-KEYS.md 1): an Ed25519 key pair made on the hub's first start and
// kept as its 32-byte seed in DATA/home-key (0600, store::LoadOrCreateSecret). Its public key is
// what every paired lock gets over the link (`set_home_key`), and the only key whose phone-key
// certificates and revocation lists a lock accepts; so the seed never leaves the hub, and losing
// it means every lock must be given the new key (the hub does on the next connect) and every
// phone a new certificate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/phone_key.h"
#include "core/phone_revocations.h"
#include "core/status.h"
#include "crypto/sodium_crypto.h"

namespace latchkey::hub {

// In DATA: the home key's seed.
inline constexpr std::string_view kHomeKeyFile = "home-key";

class HomeKey {
 public:
  // The key whose seed is in `path`, made there first if there is none (a seed that others may
  // read, or of the wrong size, is an error: store/secret_file.h).
  static core::Result<HomeKey> LoadOrCreate(const std::string& path);
  // The key of a known seed (tests; docs/phone-keys.md's example uses seed 01 x 32).
  explicit HomeKey(const crypto::SecretKey& seed);
  ~HomeKey();
  HomeKey(HomeKey&&) noexcept;
  HomeKey& operator=(HomeKey&&) = delete;
  HomeKey(const HomeKey&) = delete;
  HomeKey& operator=(const HomeKey&) = delete;

  const core::Ed25519PublicKey& public_key() const { return pair_.public_key; }
  // Signs `cert` (its `sig` is set) and returns it as it travels (EncodePhoneKey).
  std::vector<uint8_t> Sign(core::PhoneKeyCert& cert) const;
  // Signs `list` (its `sig` is set) and returns it as it travels (EncodePhoneRevocations).
  std::vector<uint8_t> Sign(core::PhoneRevocations& list) const;

 private:
  crypto::Ed25519KeyPair pair_;
};

}  // namespace latchkey::hub
