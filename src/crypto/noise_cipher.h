// The Noise Protocol Framework (revision 34), sections 4-5: the crypto functions of
// 25519/ChaChaPoly/BLAKE2b (section 12), CipherState and SymmetricState.
// Everything sits on libsodium; HMAC-BLAKE2b and HKDF are written here because libsodium has
// no HMAC over BLAKE2b.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace latchkey::crypto {

inline constexpr size_t kNoiseDhLen = 32;
inline constexpr size_t kNoiseKeyLen = 32;
inline constexpr size_t kNoiseTagLen = 16;
inline constexpr size_t kNoiseHashLen = 64;
inline constexpr size_t kNoiseBlockLen = 128;
// Section 3: every Noise message, handshake or transport, fits a 16-bit length prefix.
inline constexpr size_t kNoiseMaxMessageLen = 65535;

using NoiseHash = std::array<uint8_t, kNoiseHashLen>;
using NoiseKey = std::array<uint8_t, kNoiseKeyLen>;

// HMAC (RFC 2104) over unkeyed BLAKE2b-512, as section 4.3 builds it from HASH.
NoiseHash HmacBlake2b(std::span<const uint8_t> key, std::span<const uint8_t> data);

// Section 4.3 HKDF: fills outputs[0..n) for n of 2 or 3 from the chaining key and input key
// material. Other n are a programming error and leave outputs untouched.
void NoiseHkdf(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
               std::span<NoiseHash> outputs);

// A key and a 64-bit nonce counter. Rekey is left out: a session lives far shorter than the
// 2^64-1 messages after which the nonce is spent, and reaching that limit is an error rather than
// wrap-around (which would reuse a nonce).
//
// Move-only: a copy would be a second sender with the same key and nonce, i.e. nonce reuse.
// A moved-from CipherState has no key.
class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(std::span<const uint8_t, kNoiseKeyLen> key);
  ~CipherState();
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;

  bool has_key() const { return has_key_; }
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
  uint64_t nonce_ = 0;
  bool has_key_ = false;
};

// Section 5.2: the chaining key and handshake hash that every handshake token feeds.
class SymmetricState {
 public:
  explicit SymmetricState(std::string_view protocol_name);
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

  NoiseHash ck_{};
  NoiseHash h_{};
  CipherState cipher_;
};

}  // namespace latchkey::crypto
