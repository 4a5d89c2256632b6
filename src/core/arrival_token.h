// Arrival tokens (PHONE-KEYS.md 4): the phone's statement "I have just arrived home", made by
// its own geofence (the CLI's `latchkey phone arrive` stands in for one), without which a lock
// never unlocks on approach. A Bluetooth connection proves nothing about distance; a token is
// fresh intent that a relay between a far-away phone and the door cannot make.
//
// Encoding: deterministic CBOR of
//   {"lock": text, "phone": bytes(32), "serial": u64, "issued_at": u64 (Unix s), "nonce": bytes(16)}
//
// Authentication: the phone's identity is an X25519 key, which signs nothing, so a token is not
// signed on its own. It is accepted only inside the phone's Noise session, whose handshake proved
// that the phone holds the private half of `phone`: CheckArrivalToken requires that key, the
// certificate's serial, this lock, an issued_at within kArrivalTokenLifetimeS, and a nonce this
// lock has not seen used (docs/phone-keys.md "Auto-unlock").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/phone_key.h"
#include "core/status.h"

namespace latchkey::core {

inline constexpr int64_t kArrivalTokenLifetimeS = 180;
// A phone's clock ahead of the lock's by up to this much is tolerated (issued "in the future").
inline constexpr int64_t kArrivalClockSkewS = 30;
inline constexpr std::size_t kMaxArrivalTokenBytes = 256;

using ArrivalNonce = std::array<uint8_t, 16>;

struct ArrivalToken {
  std::string lock;  // this lock's id (never "*": a token is for one door)
  X25519PublicKey phone{};
  uint64_t serial = 0;
  int64_t issued_at = 0;  // Unix seconds
  ArrivalNonce nonce{};
  friend bool operator==(const ArrivalToken&, const ArrivalToken&) = default;
};

std::vector<uint8_t> EncodeArrivalToken(const ArrivalToken& token);
Result<ArrivalToken> DecodeArrivalToken(std::span<const uint8_t> bytes);

// A token the lock has accepted, kept until it could no longer be fresh.
struct UsedArrival {
  ArrivalNonce nonce{};
  int64_t issued_at = 0;
  friend bool operator==(const UsedArrival&, const UsedArrival&) = default;
};
// Used tokens a lock remembers; older ones have expired and need no memory.
inline constexpr std::size_t kMaxUsedArrivals = 64;

enum class ArrivalVerdict : uint8_t { kAccept, kWrongLock, kWrongPhone, kWrongSerial, kStale, kUsed };
template <>
struct EnumNames<ArrivalVerdict> {
  static constexpr auto kNames =
      std::to_array<std::string_view>({"accept", "wrong_lock", "wrong_phone", "wrong_serial", "stale", "used"});
};

// Why the lock refused an auto-unlock whose certificate passed (the phone is told the name).
enum class AutoUnlockRefusal : uint8_t { kNotAllowed, kStaleToken, kUsedToken, kWrongToken, kQuiet };
template <>
struct EnumNames<AutoUnlockRefusal> {
  static constexpr auto kNames = std::to_array<std::string_view>(
      {"auto_not_allowed", "arrival_stale", "arrival_used", "arrival_mismatch", "auto_suppressed"});
};

// The checks of a token presented in a session whose phone and certificate already passed
// CheckPhoneKey; `used` is what the lock remembers.
ArrivalVerdict CheckArrivalToken(const ArrivalToken& token, std::string_view lock_id, const PhoneKeyCert& cert,
                                 const X25519PublicKey& session_key, int64_t now_s,
                                 std::span<const UsedArrival> used);

}  // namespace latchkey::core
