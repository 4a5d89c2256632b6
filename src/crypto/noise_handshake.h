// Noise (revision 34) handshakes. The link runs XX between a paired hub and lock and XXpsk3 for
// pairing (the psk is derived from the lock's setup code), over ChaChaPoly/BLAKE2b; a phone runs
// XX until it has pinned the lock's static key and IK after, over AESGCM/SHA256
// (docs/phone-keys.md). Only these three patterns are in the table; adding one is a table row,
// not new code. Any pattern runs over either suite.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/noise_cipher.h"

namespace latchkey::crypto {

using NoisePublicKey = std::array<uint8_t, kNoiseDhLen>;

// An X25519 key pair. Wipes its private half when it goes away, so copies are safe to drop.
struct NoiseKeypair {
  std::array<uint8_t, kNoiseDhLen> priv{};
  NoisePublicKey pub{};
  ~NoiseKeypair();
};

// From the system's random source.
NoiseKeypair GenerateKeypair();
// Rebuilds the public half of a stored (or test-vector) private key; Invalid unless 32 bytes.
core::Result<NoiseKeypair> KeypairFromPrivate(std::span<const uint8_t> priv);

enum class NoisePattern { kXX, kXXpsk3, kIK };

// "Noise_XX_25519_ChaChaPoly_BLAKE2b", "Noise_IK_25519_AESGCM_SHA256" and so on: the name that
// seeds the handshake hash. Empty for a suite outside the enum.
std::string_view NoiseProtocolName(NoisePattern pattern,
                                   NoiseSuite suite = NoiseSuite::kChaChaPolyBlake2b);

struct HandshakeConfig {
  NoisePattern pattern = NoisePattern::kXX;
  // The link's suite unless told otherwise; both sides must agree, or the first authenticated
  // message fails (the suite is in the protocol name, which seeds the handshake hash).
  NoiseSuite suite = NoiseSuite::kChaChaPolyBlake2b;
  bool initiator = false;
  // Copied into the handshake hash by Start; need not outlive it.
  std::span<const uint8_t> prologue;
  NoiseKeypair s;
  // The responder's static key, known beforehand: required for the IK initiator, refused
  // everywhere else (XX learns it; compare remote_static() after the handshake instead).
  std::optional<NoisePublicKey> rs;
  // Required for XXpsk3, refused by the others.
  std::optional<NoiseKey> psk;
  // Fixed ephemeral for the test vectors; a real handshake must leave it empty.
  std::optional<NoiseKeypair> e_for_testing;
  ~HandshakeConfig();
};

// The two directions of an established session.
struct TransportPair {
  CipherState send;
  CipherState recv;
};

// Section 5.3 HandshakeState. Any error (a failed decryption, a malformed message, a low-order
// public key) poisons the handshake: every later call fails too, since its hash and keys may
// already have absorbed bad input.
class Handshake {
 public:
  static core::Result<Handshake> Start(const HandshakeConfig& config);

  ~Handshake();
  Handshake(Handshake&&) noexcept = default;
  Handshake& operator=(Handshake&&) noexcept = default;
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // The next handshake message, carrying payload (encrypted once the pattern has a key). Invalid,
  // without touching the state, when it is not our turn or the message would pass 65535 bytes.
  core::Result<std::vector<uint8_t>> WriteMessage(std::span<const uint8_t> payload);
  // The payload of the peer's next handshake message.
  core::Result<std::vector<uint8_t>> ReadMessage(std::span<const uint8_t> message);

  bool finished() const;
  bool failed() const { return failed_; }
  // True when the next call should be WriteMessage (and the handshake is still going).
  bool writes_next() const;
  // Identifies the session (channel binding); final once finished(). HASHLEN bytes: 64 for
  // ChaChaPoly/BLAKE2b, 32 for AESGCM/SHA256.
  const NoiseHash& handshake_hash() const { return symmetric_.handshake_hash(); }
  // The peer's static key once a message (or IK's pre-message) has carried it. The caller must
  // check it against the key it trusts: Noise only proves the peer holds its private half.
  const std::optional<NoisePublicKey>& remote_static() const { return rs_; }

  // Once finished, and only once: the transport keys, oriented for this side.
  core::Result<TransportPair> Split();

 private:
  Handshake(NoisePattern pattern, bool initiator, SymmetricState symmetric);
  // MixKey(DH(ours, theirs)), each side picking its ephemeral or static key.
  core::Status MixDh(bool local_ephemeral, bool remote_ephemeral);
  // ee, es, se, ss and psk (a Token of the .cc's pattern table).
  core::Status MixKeys(uint8_t token);
  core::Status Fail(core::Status status);

  NoisePattern pattern_;
  bool initiator_;
  SymmetricState symmetric_;
  NoiseKeypair s_;
  std::optional<NoiseKeypair> e_;
  std::optional<NoiseKeypair> fixed_e_;
  std::optional<NoisePublicKey> rs_;
  std::optional<NoisePublicKey> re_;
  std::optional<NoiseKey> psk_;
  size_t message_index_ = 0;
  bool failed_ = false;
  bool split_ = false;
};

}  // namespace latchkey::crypto
