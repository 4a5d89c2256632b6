// The Noise Protocol Framework (revision 34), sections 4 and 12: the crypto functions a suite
// supplies to CipherState and SymmetricState. Two suites, both over X25519 (libsodium):
//   ChaChaPoly_BLAKE2b  the hub link's (LINK.md, Security), all libsodium. HASHLEN 64.
//   AESGCM_SHA256       the phone keys' (PHONE-KEYS.md section 2), because a browser can run it
//                       with WebCrypto alone. AES-256-GCM and SHA-256 from OpenSSL 3: libsodium's
//                       AES-GCM works only on CPUs with AES instructions, OpenSSL's everywhere.
//                       HASHLEN 32.
// HMAC and HKDF are built from HASH the same way for both (section 4.3), so they live here once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace latchkey::crypto {

enum class NoiseSuite : uint8_t { kChaChaPolyBlake2b, kAesGcmSha256 };

inline constexpr size_t kNoiseDhLen = 32;
inline constexpr size_t kNoiseKeyLen = 32;
inline constexpr size_t kNoiseTagLen = 16;  // both AEADs
inline constexpr size_t kNoiseNonceLen = 12;
inline constexpr size_t kNoiseMaxHashLen = 64;  // BLAKE2b's; SHA-256 uses the first 32
// Section 3: every Noise message, handshake or transport, fits a 16-bit length prefix.
inline constexpr size_t kNoiseMaxMessageLen = 65535;

using NoiseKey = std::array<uint8_t, kNoiseKeyLen>;

// False for a value outside the enum (the fuzzer and a corrupt config can make one).
bool ValidSuite(NoiseSuite suite);
// "ChaChaPoly_BLAKE2b" or "AESGCM_SHA256", as protocol names spell them.
std::string_view NoiseSuiteName(NoiseSuite suite);
// HASHLEN: 64 for BLAKE2b, 32 for SHA-256.
size_t NoiseHashLen(NoiseSuite suite);

// A HASH output (a chaining key, a handshake hash, an HKDF output): HASHLEN bytes of the suite
// that made it. Fixed storage so it stays a plain value that SymmetricState can wipe; bytes past
// size() are always zero. Compares equal only with a digest of the same length and bytes.
class NoiseHash {
 public:
  NoiseHash() = default;
  explicit NoiseHash(size_t size) : size_(size < kNoiseMaxHashLen ? size : kNoiseMaxHashLen) {}

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return size_; }
  uint8_t* begin() { return bytes_.data(); }
  uint8_t* end() { return bytes_.data() + size_; }
  const uint8_t* begin() const { return bytes_.data(); }
  const uint8_t* end() const { return bytes_.data() + size_; }
  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }

  friend bool operator==(const NoiseHash& a, const NoiseHash& b);

 private:
  std::array<uint8_t, kNoiseMaxHashLen> bytes_{};
  size_t size_ = 0;
};

// HASH(a || b): MixHash hashes h || data, and every other use is a single input.
NoiseHash SuiteHash(NoiseSuite suite, std::span<const uint8_t> a, std::span<const uint8_t> b = {});

// HMAC (RFC 2104) over the suite's HASH, with its BLOCKLEN (128 for BLAKE2b, 64 for SHA-256).
NoiseHash SuiteHmac(NoiseSuite suite, std::span<const uint8_t> key, std::span<const uint8_t> data);

// Section 4.3 HKDF: fills outputs[0..n) for n of 2 or 3 from the chaining key and input key
// material. Other n are a programming error and leave outputs untouched.
void NoiseHkdf(NoiseSuite suite, std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
               std::span<NoiseHash> outputs);

// Section 12.3 / 12.4: the 96-bit AEAD nonce is 32 zero bits then the 64-bit counter, which
// ChaChaPoly writes little-endian and AESGCM big-endian. Getting this wrong still round-trips
// between two of our own peers, so only the vectors (and a phone) would notice.
std::array<uint8_t, kNoiseNonceLen> NoiseNonce(NoiseSuite suite, uint64_t n);

// ENCRYPT(k, n, ad, plaintext): ciphertext || 16-byte tag. False only if the library fails
// (out of memory), never for any input; out is then empty.
bool SuiteEncrypt(NoiseSuite suite, std::span<const uint8_t, kNoiseKeyLen> key, uint64_t n,
                  std::span<const uint8_t> ad, std::span<const uint8_t> plaintext,
                  std::vector<uint8_t>& out);
// DECRYPT: false when the tag does not verify (or the input is shorter than a tag); out then
// holds nothing of the plaintext.
bool SuiteDecrypt(NoiseSuite suite, std::span<const uint8_t, kNoiseKeyLen> key, uint64_t n,
                  std::span<const uint8_t> ad, std::span<const uint8_t> ciphertext,
                  std::vector<uint8_t>& out);

}  // namespace latchkey::crypto
