// Offline guest codes (OFFLINE-CODES.md): a 12-digit code the hub computes and the lock checks
// with nothing but its clock and a secret the hub gave it, so that a host can hand a cleaner a
// code for "Saturday 10:00-14:00" while the lock has no connection.
//
// The plaintext is 12 decimal digits:
//
//   T SSSSS DDD CCC
//   | |     |   check: HMAC-SHA256(generation key, "TSSSSSDDD" as ASCII), first 4 bytes as a
//   | |     |          big-endian integer, mod 1000
//   | |     duration: hours, 001..999
//   | start: hours since the lock's reference epoch, 00000..99999 (about 11 years)
//   type: 1 window, 2 one-time within the window, 3 clear
//
// and the code typed on the keypad is its FF1 encryption (crypto/ff1.h; AES-256 with the 32-byte
// offline-code key, radix 10, tweak = the lock's id as bytes), followed by '#'.
//
// Generations (our extension, docs/offline-codes.md): "clear revokes every offline code issued
// before it" needs the lock to tell an earlier code from a later one, which the 12 digits cannot
// say. So the check digits are keyed per generation: generation 0 uses the offline-code key
// itself (exactly the spec's formula), generation g >= 1 the key
// HMAC-SHA256(offline-code key, "latchkey offline-code generation " + decimal g). A clear code is
// the first code of a new generation: the hub issues it, and every code after it, under g + 1.
// A lock at generation g accepts check digits of g or g + 1; a code of g + 1 moves it to g + 1
// (whether or not the clear code itself was ever typed), and from then on every code of g fails.
// The hub also tells the lock its generation on every connect, and it only ever rises.
//
//   OfflineCodeFields fields{.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4};
//   std::string plain = PackOfflineCode(fields, OfflineCodeCheck(crypto, key, generation, fields));
//   // hub: code = crypto::Ff1Encrypt(key, lock_id, plain)
//   // lock: plain = crypto.Ff1Decrypt(...); auto parsed = UnpackOfflineCode(plain);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/env.h"

namespace latchkey::core {

inline constexpr std::size_t kOfflineCodeDigits = 12;
inline constexpr uint32_t kMaxOfflineStartHour = 99999;
inline constexpr uint16_t kMaxOfflineDurationHours = 999;
// A window longer than this must be first used within this long of its start.
inline constexpr uint16_t kOfflineFirstUseHours = 24;
// Used one-time codes (and first uses of long windows) a lock remembers, persisted.
inline constexpr std::size_t kMaxRememberedOfflineCodes = 1024;

using OfflineCodeKey = std::array<uint8_t, 32>;

enum class OfflineCodeType : uint8_t { kWindow = 1, kOneTime = 2, kClear = 3 };

struct OfflineCodeFields {
  OfflineCodeType type = OfflineCodeType::kWindow;
  uint32_t start_hour = 0;      // hours since the reference epoch, 0..kMaxOfflineStartHour
  uint16_t duration_hours = 1;  // 1..kMaxOfflineDurationHours
  friend bool operator==(const OfflineCodeFields&, const OfflineCodeFields&) = default;
};

struct OfflineCodePlain {
  OfflineCodeFields fields;
  uint16_t check = 0;  // 0..999
  friend bool operator==(const OfflineCodePlain&, const OfflineCodePlain&) = default;
};

// Whether the fields are in range (type 1..3, start <= 99999, duration 1..999).
bool ValidOfflineCodeFields(const OfflineCodeFields& fields);

// The 12 plaintext digits of in-range fields and a check value 0..999.
std::string PackOfflineCode(const OfflineCodeFields& fields, uint16_t check);

// The key of the check digits of `generation` (see above): the offline-code key itself for 0.
std::array<uint8_t, 32> OfflineGenerationKey(const Crypto& crypto, const OfflineCodeKey& key, uint32_t generation);

// The check value 0..999 of `fields` under `generation`.
uint16_t OfflineCodeCheck(const Crypto& crypto, const OfflineCodeKey& key, uint32_t generation,
                          const OfflineCodeFields& fields);

// The fields of 12 plaintext digits; nullopt unless they are exactly 12 ASCII digits with a type
// of 1..3 and a duration of 1..999.
std::optional<OfflineCodePlain> UnpackOfflineCode(std::string_view digits);

}  // namespace latchkey::core
