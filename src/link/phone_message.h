// Messages of the phone session (PHONE-KEYS.md 2; docs/phone-keys.md, "The session on the wire").
// Each is one CBOR map whose "t" names it:
//
//   lock       {"t": "lock", "lock": text}                          lock -> phone, handshake payload
//   hello      {"t": "hello", "cert": bytes, "revocations"?: bytes} phone -> lock, last handshake payload
//   challenge  {"t": "challenge", "nonce": bytes(16)}               lock -> phone
//   req        {"t": "req", "op": text, "nonce": bytes(16), "arrival"?: bytes}    phone -> lock
//   res        {"t": "res", "ok": bool, "result"?: {...}, "error"?: {...}}        lock -> phone
//
// in deterministic CBOR (core/cbor.h): shortest heads, definite lengths, keys sorted by their
// encoded bytes (so "t", one character, always comes first). The decoder accepts only that form
// and only the fields of the message's type, so decode -> encode gives back the same bytes: a
// phone written in another language learns at once if it encodes anything the lock would not
// send itself. The certificate, the revocation list and the arrival token are carried as opaque
// bytes; the lock daemon decodes and checks them (core/phone_key.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/arrival_token.h"
#include "core/phone_revocations.h"
#include "core/status.h"
#include "core/types.h"

namespace latchkey::link {

inline constexpr std::size_t kPhoneNonceLen = 16;
// The signed revocation list an admin's phone carries (core/phone_revocations.h), opaque here.
using core::kMaxPhoneRevocationBytes;
// An arrival token (core/arrival_token.h), opaque here.
inline constexpr std::size_t kMaxPhoneArrivalBytes = core::kMaxArrivalTokenBytes;
// A reason the session itself gives (not the access decision nor CheckPhoneKey): a req whose
// nonce is not the outstanding challenge's.
inline constexpr std::string_view kStaleChallengeReason = "stale_challenge";

using PhoneNonce = std::array<uint8_t, kPhoneNonceLen>;

// What a req asks for. The order follows core::Operation for the first three.
enum class PhoneOp : uint8_t { kLock, kUnlock, kUnlatch, kStatus };
// The operation that the access decision and the certificate's `ops` check; nullopt for status,
// which reads the lock's state and needs no operation right.
std::optional<core::Operation> OperationOf(PhoneOp op);

// {"t": "lock"}: who the phone is talking to, in the lock's handshake payload (XX message 2,
// IK message 2), encrypted to the phone.
struct PhoneLockHello {
  std::string lock;  // the lock's id: 1..64 printable ASCII characters, no spaces
  friend bool operator==(const PhoneLockHello&, const PhoneLockHello&) = default;
};

// {"t": "hello"}: the phone's certificate (core::EncodePhoneKey form) in its last handshake
// payload (XX message 3, IK message 1), and, from an admin's or owner's phone, the home's signed
// revocation list.
struct PhoneHello {
  std::vector<uint8_t> cert;                        // 1..core::kMaxPhoneKeyBytes
  std::optional<std::vector<uint8_t>> revocations;  // 1..kMaxPhoneRevocationBytes when present
  friend bool operator==(const PhoneHello&, const PhoneHello&) = default;
};

// {"t": "challenge"}: a fresh nonce that the next req must echo.
struct PhoneChallenge {
  PhoneNonce nonce{};
  friend bool operator==(const PhoneChallenge&, const PhoneChallenge&) = default;
};

// {"t": "req"}: one operation, echoing the outstanding challenge.
struct PhoneRequest {
  PhoneOp op = PhoneOp::kUnlock;
  PhoneNonce nonce{};
  std::optional<std::vector<uint8_t>> arrival;  // 1..kMaxPhoneArrivalBytes when present
  friend bool operator==(const PhoneRequest&, const PhoneRequest&) = default;
};

// "result" of a successful res: the lock's state once the bolt stopped.
struct PhoneResult {
  core::LockState lock_state = core::LockState::kUnknown;
  std::optional<core::DoorState> door_state;
  std::optional<uint8_t> battery_percent;  // 0..100
  friend bool operator==(const PhoneResult&, const PhoneResult&) = default;
};

// "error" of a refused res.
struct PhoneError {
  // An API.md error code: invalid, unauthorized, forbidden, denied, not_found, duplicate,
  // occupied, resource_exhausted, jammed, too_large, rate_limited, lock_offline, lock_timeout,
  // busy or internal.
  std::string code;
  // Why: a core::AccessError name (with "denied"), a core::PhoneKeyVerdict name other than
  // "accept" (the certificate's refusal), or kStaleChallengeReason.
  std::optional<std::string> reason;
  friend bool operator==(const PhoneError&, const PhoneError&) = default;
};

// {"t": "res"}: the answer to a req. ok with a result, or not ok with an error; never both.
struct PhoneResponse {
  bool ok = false;
  std::optional<PhoneResult> result;
  std::optional<PhoneError> error;
  friend bool operator==(const PhoneResponse&, const PhoneResponse&) = default;
};

using PhoneMessage = std::variant<PhoneLockHello, PhoneHello, PhoneChallenge, PhoneRequest, PhoneResponse>;

// The "t" of each alternative: "lock", "hello", "challenge", "req", "res".
std::string_view PhoneMessageType(const PhoneMessage& message);

// The deterministic CBOR of `message`. kInvalid, naming the field, for a message that
// DecodePhoneMessage would refuse (a lock id with a space, ok without a result, an unknown error
// code, an empty certificate, ...): nothing leaves that the other side must refuse.
core::Result<std::vector<uint8_t>> EncodePhoneMessage(const PhoneMessage& message);

// Parses one message. kInvalid naming the field ("nonce: not 16 bytes", "req: unknown field
// \"x\"") for anything else: not a map, an unknown or missing "t", a missing, unknown, repeated
// or out-of-order key, a wrong type or size, a non-shortest head, trailing bytes.
core::Result<PhoneMessage> DecodePhoneMessage(std::span<const uint8_t> bytes);

// Convenience for a success and a refusal.
PhoneResponse PhoneOk(PhoneResult result);
PhoneResponse PhoneRefused(std::string_view code, std::string_view reason = {});

}  // namespace latchkey::link

namespace latchkey::core {
template <>
struct EnumNames<link::PhoneOp> {
  static constexpr auto kNames = std::to_array<std::string_view>({"lock", "unlock", "unlatch", "status"});
};
}  // namespace latchkey::core
