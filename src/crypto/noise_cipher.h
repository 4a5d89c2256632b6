// The Noise Protocol Framework (revision 34), section 5: CipherState and SymmetricState, over
// either suite of noise_suite.h (the link's ChaChaPoly/BLAKE2b unless told otherwise).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "crypto/noise_suite.h"  // IWYU pragma: export

namespace latchkey::crypto {

// A key and a 64-bit nonce counter. Rekey is left out: a session lives far shorter than the
// 2^64-1 messages after which the nonce is spent, and reaching that limit is an error rather than
// wrap-around (which would reuse a nonce).
//
// Move-only: a copy would be a second sender with the same key and nonce, i.e. nonce reuse.
// A moved-from CipherState has no key.
class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(std::span<const uint8_t, kNoiseKeyLen> key,
                       NoiseSuite suite = NoiseSuite::kChaChaPolyBlake2b);
  ~CipherState();
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;

  bool has_key() const { return has_key_; }
  NoiseSuite suite() const { return suite_; }
  uint64_t nonce() const { return nonce_; }
  // Section 5.1 SetNonce exists for transports that reorder; ours never do, so only tests use it
  // (to reach the nonce limit).
  void set_nonce_for_testing(uint64_t nonce) { nonce_ = nonce; }

  // Unlike the spec's EncryptWithAd, a CipherState without a key refuses rather than passing
  // plaintext through: a default-constructed transport must never send in the clear. The
  // handshake's key-less pass-through lives in SymmetricState instead.
  core::Result<std::vector<uint8_t>> Encrypt(std::span<const uint8_t> ad,
                                             std::span<const uint8_t> plaintext);
  // On any failure nothing of the plaintext is returned and the nonce stays where it was.
  core::Result<std::vector<uint8_t>> Decrypt(std::span<const uint8_t> ad,
                                             std::span<const uint8_t> ciphertext);

 private:
  void Wipe();

  NoiseKey key_{};
  NoiseSuite suite_ = NoiseSuite::kChaChaPolyBlake2b;
  uint64_t nonce_ = 0;
  bool has_key_ = false;
};

// Section 5.2: the chaining key and handshake hash that every handshake token feeds. The suite
// must be the one the protocol name ends with; the name itself is only hashed, never parsed.
class SymmetricState {
 public:
  SymmetricState(std::string_view protocol_name, NoiseSuite suite);
  ~SymmetricState();
  SymmetricState(SymmetricState&&) noexcept = default;
  SymmetricState& operator=(SymmetricState&&) noexcept = default;
  SymmetricState(const SymmetricState&) = delete;
  SymmetricState& operator=(const SymmetricState&) = delete;

  void MixKey(std::span<const uint8_t> ikm);
  void MixHash(std::span<const uint8_t> data);
  void MixKeyAndHash(std::span<const uint8_t> ikm);
  // Appends to out; before the first MixKey the bytes go out in the clear (as section 5.2 says).
  core::Status EncryptAndHash(std::span<const uint8_t> plaintext, std::vector<uint8_t>& out);
  core::Result<std::vector<uint8_t>> DecryptAndHash(std::span<const uint8_t> ciphertext);
  // The first CipherState is for initiator-to-responder traffic, the second for the reverse.
  std::pair<CipherState, CipherState> Split() const;

  bool has_key() const { return cipher_.has_key(); }
  const NoiseHash& handshake_hash() const { return h_; }

 private:
  void InitializeKey(const NoiseHash& temp_k);

  NoiseSuite suite_;
  NoiseHash ck_;
  NoiseHash h_;
  CipherState cipher_;
};

}  // namespace latchkey::crypto
