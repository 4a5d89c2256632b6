// The seams through which the world reaches the pure core: time, cryptography, time zones.
// The core never reads a clock, a file or a random source itself; an adapter does, and tests
// pass fakes (src/core/testing) that they control to the millisecond.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace latchkey::core {

// Two clocks, as a lock has them: a monotonic one for durations (lockout, relock, motor,
// windows) and the real-time clock for schedules and event times.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on a clock that never goes back; restarts from any value after power-up.
  virtual int64_t MonotonicMs() const = 0;
  // Milliseconds since the Unix epoch, UTC, from the real-time clock.
  virtual int64_t WallMs() const = 0;
};

using Digest = std::array<uint8_t, 32>;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

// BLAKE2b for the core: the keyed digest that stands in for credential data (keyed with a
// per-lock secret that the adapter holds), and the unkeyed hash of the event chain. Ed25519
// verification for what the home's hub signs (phone-key certificates, phone_key.h).
class Crypto {
 public:
  virtual ~Crypto() = default;
  // BLAKE2b-256 keyed with the lock's secret over `data`.
  virtual Digest KeyedDigest(std::span<const uint8_t> data) const = 0;
  // BLAKE2b-256 over `prev || data` (no key).
  virtual Digest ChainHash(const Digest& prev, std::span<const uint8_t> data) const = 0;
  // Whether `signature` is a valid Ed25519 signature (RFC 8032) by `public_key` over `message`;
  // refuses non-canonical signatures and small-order keys, as libsodium does.
  virtual bool VerifyEd25519(const Ed25519PublicKey& public_key, std::span<const uint8_t> message,
                             const Ed25519Signature& signature) const = 0;
  // HMAC-SHA256 (RFC 2104) of `data` under `key`: the check digits of offline codes.
  virtual Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) const = 0;
  // FF1 (NIST SP 800-38G) decryption of decimal `digits` under AES with `key` (16, 24 or 32
  // bytes) and `tweak`, radix 10: the plaintext digits, or nullopt when `digits` are not 2..56
  // ASCII digits or the key is not of an AES size. The lock decrypts a typed offline code with it.
  virtual std::optional<std::string> Ff1DecryptDigits(std::span<const uint8_t> key, std::span<const uint8_t> tweak,
                                                      std::string_view digits) const = 0;
};

// A local civil time: what a wall clock in the lock's time zone shows.
struct LocalTime {
  int year = 1970;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int weekday = 0;  // 0 = Monday .. 6 = Sunday
};

// The IANA time zone database, behind an interface so that the core stays free of files.
class ZoneRules {
 public:
  virtual ~ZoneRules() = default;
  virtual bool IsKnownZone(std::string_view zone) const = 0;
  // The local time in `zone` at `utc_ms`; nullopt for an unknown zone.
  virtual std::optional<LocalTime> ToLocal(std::string_view zone, int64_t utc_ms) const = 0;
};

// Compares two byte ranges in time that depends only on their length.
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace latchkey::core
