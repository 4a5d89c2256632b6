// What an offline guest code asked for becomes, and what a code's status is (OFFLINE-CODES.md;
// docs/offline-codes.md). Pure: the routes (api_offline_codes.cc) read the body and the store,
// these decide, the service (offline_codes.h) makes the code, stores it and tells the lock.
//
//   auto ask = DecodeOfflineCodeAsk(body);                 // 400 naming a bad field
//   auto planned = PlanOfflineCode(*ask, key.epoch_s, now_ms);
//   if (auto* refusal = std::get_if<Refusal>(&planned)) ...  // 400: the window cannot be a code
//   std::get<OfflineCodeWindow>(planned).fields              // type, start hour, duration
//
// Windows are whole hours since the lock's reference epoch, so a window asked for is rounded
// outward: the start down to its hour, the end up to its hour ("10:20 to 13:10" opens from
// 10:00 to 14:00).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/offline_code.h"
#include "core/offline_code_state.h"
#include "core/status.h"
#include "hub/hub_store.h"
#include "hub/phone_key_rules.h"  // Refusal

namespace latchkey::hub {

// Codes of one lock that can still open the door (neither revoked, cleared, used up nor ended):
// the bound keeps one caller from filling the store, and is far above a holiday let's needs.
inline constexpr std::size_t kMaxLiveOfflineCodesPerLock = 1000;
// The most plaintexts one revocation list may name (the lock's bound).
inline constexpr std::size_t kMaxOfflineRevocations = core::kMaxRevokedOfflineCodes;
// Codes whose windows ended this long ago are forgotten (no lock accepts them, no list names them).
inline constexpr int64_t kForgetEndedOfflineCodesMs = int64_t{30} * 86'400'000;
// A clear code's window when none is given: from now for a day.
inline constexpr int64_t kDefaultClearWindowMs = int64_t{24} * 3'600'000;
inline constexpr std::size_t kMaxOfflineCodeName = 64;  // characters

// The body of POST /api/v1/locks/{lock}/offline-codes.
struct OfflineCodeAsk {
  std::optional<int64_t> starts_at_ms;  // required unless clear
  std::optional<int64_t> ends_at_ms;    // required unless clear
  bool one_time = false;
  bool clear = false;
  std::string name;
};
// Strict: an unknown field, a null, a wrong type, a time that is not RFC 3339, a name over 64
// characters or with control characters, one_time with clear, a window missing a side (but for
// a clear code): kInvalid naming the field.
core::Result<OfflineCodeAsk> DecodeOfflineCodeAsk(const nlohmann::json& body);

// A window as a code carries it: its fields, and its instants (rounded outward to the hour).
struct OfflineCodeWindow {
  core::OfflineCodeFields fields;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  friend bool operator==(const OfflineCodeWindow&, const OfflineCodeWindow&) = default;
};
// The code `ask` becomes for a lock whose key has `epoch_s`, at `now_ms`; a 400 Refusal naming
// the field when the (rounded) window ends before it starts, is longer than 999 hours, starts
// before the epoch or more than 99999 hours after it, or has already ended.
std::variant<OfflineCodeWindow, Refusal> PlanOfflineCode(const OfflineCodeAsk& ask, int64_t epoch_s, int64_t now_ms);

enum class OfflineCodeStatus { kIssued, kUsed, kRevoked, kRevocationPending, kCleared, kExpired };
std::string_view ToString(OfflineCodeStatus status);
std::string_view ToString(core::OfflineCodeType type);  // "window", "one_time", "clear"

// Whether the lock has the revocation of `code` (revoked or cleared): it answered with a list
// version that names it, or a generation above the code's, for this key. A code revoked after
// its window ended needs no list: delivered.
bool RevocationDelivered(const OfflineCodeRecord& code, const OfflineCodeKey& key);
// A code's status at `now_ms`:
// - revoked: revoked on request, and the lock has it (or the window has ended anyway);
//   revocation_pending until then;
// - cleared: a clear code began a newer generation;
// - used: a one-time or clear code the lock reported used;
// - expired: the window has ended; else issued (a window code stays issued after its first use,
//   which `used_at` shows: it opens again within its window).
OfflineCodeStatus StatusOf(const OfflineCodeRecord& code, const OfflineCodeKey& key, int64_t now_ms);
// Whether the code can still open the door as far as the hub knows (StatusOf is issued).
bool LiveOfflineCode(const OfflineCodeRecord& code, const OfflineCodeKey& key, int64_t now_ms);

// The plaintexts a revocation list names at `now_ms`: revoked codes of `generation` (older ones
// the generation covers) whose windows have not ended, ascending.
std::vector<std::string> RevokedPlaintexts(std::span<const OfflineCodeRecord> codes, uint32_t generation,
                                           int64_t now_ms);

// The generation the lock has confirmed for this key (0 when it never answered about it).
uint32_t ConfirmedGeneration(const OfflineCodeKey& key);

}  // namespace latchkey::hub
