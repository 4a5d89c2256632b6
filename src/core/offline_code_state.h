// What a lock holds of offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md "On the
// lock"): the key and reference epoch the hub gave it, the generation it is at, the hub's list of
// revoked codes, and the codes it must remember (one-time and clear codes once used, and the
// first use of a window longer than 24 h). One record, kept in the store's meta table under
// "offline_codes" and written in the same batch as the event that records its change, so that a
// one-time code is spent on disk before the grant's event can reach the hub.
//
//   OfflineCodeState s;
//   s.key = key; s.epoch_s = 1795600800; s.generation = 0;
//   s.Remember({.plain = "204242004838", .end_hour = 4246, .first_use_s = now_s}, now_s);
//   s.Find("204242004838")      // the remembered entry: a one-time code is spent
//   s.Revoked("104242004123")   // whether the hub's list names it
//   EncodeOfflineCodeState(s)   // deterministic CBOR; DecodeOfflineCodeState reads it back
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/offline_code.h"
#include "core/status.h"

namespace latchkey::core {

// The most codes a revocation list may name (the hub leaves out codes whose windows ended).
inline constexpr std::size_t kMaxRevokedOfflineCodes = 512;
// The latest reference epoch: every window under it still ends before the year 10000, which is
// as far as the API writes times (platform/time_format.h). 10000-01-01T00:00:00Z less 100998 h.
inline constexpr int64_t kMaxOfflineEpochS = 253'402'300'800 - int64_t{kMaxOfflineStartHour + kMaxOfflineDurationHours} * 3600;

struct RememberedOfflineCode {
  std::string plain;        // the 12 plaintext digits (type, start, duration, check)
  uint32_t end_hour = 0;    // start + duration: hours since the epoch at which the window ends
  int64_t first_use_s = 0;  // Unix seconds of the grant that first used it
  friend bool operator==(const RememberedOfflineCode&, const RememberedOfflineCode&) = default;
};

struct OfflineCodeState {
  std::optional<OfflineCodeKey> key;  // none: no offline code opens the lock
  int64_t epoch_s = 0;                // the reference epoch: Unix seconds, a multiple of 3600
  uint32_t generation = 0;            // of the check digits (offline_code.h); only ever rises
  uint64_t revocations_version = 0;   // of the newest list applied (0: none)
  std::vector<std::string> revoked;   // plaintexts, ascending, at most kMaxRevokedOfflineCodes
  std::vector<RememberedOfflineCode> remembered;  // by plaintext, at most kMaxRememberedOfflineCodes

  bool Revoked(std::string_view plain) const;
  const RememberedOfflineCode* Find(std::string_view plain) const;
  // Unix seconds at which hour `hour` since the epoch begins.
  int64_t HourStartS(uint32_t hour) const { return epoch_s + int64_t{hour} * 3600; }
  // Adds (or replaces) `code`. When kMaxRememberedOfflineCodes are held, the codes whose windows
  // ended by `now_s` go first; if none did, the one whose window ends first.
  void Remember(RememberedOfflineCode code, int64_t now_s);

  friend bool operator==(const OfflineCodeState&, const OfflineCodeState&) = default;
};

// Its stored form: deterministic CBOR of
//   {"key"?: bytes(32), "epoch": u64, "generation": u32, "version": u64,
//    "revoked": [text(12)...], "remembered": [[text(12), u32 end hour, u64 first use]...]}
// read as strictly as what arrives from outside (a store can be damaged): lists sorted without
// repeats, every code 12 plaintext digits that unpack, within the caps.
std::vector<uint8_t> EncodeOfflineCodeState(const OfflineCodeState& state);
Result<OfflineCodeState> DecodeOfflineCodeState(std::span<const uint8_t> bytes);

}  // namespace latchkey::core
