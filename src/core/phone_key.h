// Phone keys (PHONE-KEYS.md 1): a certificate that the home's hub signs with its Ed25519 home
// key, naming a phone's X25519 identity, a lock (or every lock of the home), a window of Unix
// seconds, the operations it allows and an epoch. The lock checks it offline with
// CheckPhoneKey before the access decision of LOCK-SEMANTICS.md 7 runs.
//
// Encoding: deterministic CBOR (cbor.h) of the map
//   {"v": 1, "serial": u64, "lock": text, "user": u16, "phone": bytes(32), "not_before": u64,
//    "not_after": u64, "ops": [text...], "auto": bool, "epoch": u32, "sig": bytes(64)}
// with keys sorted by their encoded bytes and `ops` a non-empty array of distinct names sorted
// the same way ("lock" < "unlock" < "unlatch"). The signature covers the same map without
// "sig". DecodePhoneKey accepts exactly that shape, so decode -> encode is the identity and the
// bytes the hub signed are the bytes the lock re-encodes. docs/phone-keys.md has an example.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/types.h"

namespace latchkey::core {

using X25519PublicKey = std::array<uint8_t, 32>;

// The most bytes a certificate may have on the wire; larger input is refused unread.
inline constexpr std::size_t kMaxPhoneKeyBytes = 1024;
// The `lock` of a certificate for every lock of the home.
inline constexpr std::string_view kEveryLock = "*";
// The most bytes of a `lock` id (lock ids are "lk-" and 16 hex digits, docs/link.md).
inline constexpr std::size_t kMaxPhoneKeyLockId = 64;

// The operations a certificate allows (a subset of unlock, lock, unlatch; never empty).
struct PhoneOps {
  bool lock = false;
  bool unlock = false;
  bool unlatch = false;
  // Whether the certificate allows `op`; false for anything but lock, unlock and unlatch.
  bool Allows(Operation op) const;
  bool empty() const { return !lock && !unlock && !unlatch; }
  friend bool operator==(const PhoneOps&, const PhoneOps&) = default;
};

struct PhoneKeyCert {
  uint32_t v = 1;          // format version; only 1 exists
  uint64_t serial = 0;     // unique per hub; what a revocation names
  std::string lock;        // a lock id, or kEveryLock
  UserIndex user = 0;      // the lock's user it acts as; 0: a certificate-only guest
  X25519PublicKey phone{};  // the phone's static Noise key
  int64_t not_before = 0;  // Unix seconds; valid while not_before <= now < not_after
  int64_t not_after = 0;
  PhoneOps ops;
  bool auto_unlock = false;  // "auto": may auto-unlock with an arrival token
  uint32_t epoch = 0;      // refused below the lock's minimum epoch (revoke-all raises it)
  Ed25519Signature sig{};  // by the home key over PhoneKeySignedBytes
  friend bool operator==(const PhoneKeyCert&, const PhoneKeyCert&) = default;
};

// The bytes the home key signs: the canonical map without "sig".
std::vector<uint8_t> PhoneKeySignedBytes(const PhoneKeyCert& cert);
// The whole certificate, with "sig", as it travels.
std::vector<uint8_t> EncodePhoneKey(const PhoneKeyCert& cert);
// Parses a certificate. Anything but the canonical encoding of a well-formed certificate
// (another shape, a missing or extra key, a wrong type or size, a non-shortest head, keys out
// of order, trailing bytes, more than kMaxPhoneKeyBytes) is refused with kInvalid naming the
// field ("phone: not 32 bytes"). A valid signature is not checked here: see CheckPhoneKey.
Result<PhoneKeyCert> DecodePhoneKey(std::span<const uint8_t> bytes);

// What the lock answers a certificate, in the order CheckPhoneKey tests them.
enum class PhoneKeyVerdict : uint8_t {
  kAccept,
  kNoHomeKey,       // the lock has no home key from its hub: it trusts no certificate
  kBadSignature,    // not signed by the lock's home key (or altered since)
  kWrongPhone,      // presented by a session whose static key is not `phone`
  kWrongLock,       // `lock` is neither this lock's id nor "*"
  kClockUntrusted,  // the lock's clock is not trusted: no window can be checked
  kNotYetValid,     // now < not_before
  kExpired,         // now >= not_after
  kBelowEpoch,      // epoch < the lock's minimum epoch
  kRevoked,         // serial on the lock's revocation list
  kOpNotAllowed,    // `ops` lacks the requested operation
};
template <>
struct EnumNames<PhoneKeyVerdict> {
  static constexpr auto kNames = std::to_array<std::string_view>(
      {"accept", "no_home_key", "bad_signature", "wrong_phone", "wrong_lock", "clock_untrusted",
       "not_yet_valid", "expired", "below_epoch", "revoked", "op_not_allowed"});
};

// What the lock knows when a phone presents a certificate. Views: the caller keeps them alive.
struct PhoneKeyContext {
  std::string_view lock_id;
  std::optional<Ed25519PublicKey> home_key;  // from the paired hub's set_home_key
  int64_t now_s = 0;                         // the lock's real-time clock, Unix seconds
  bool clock_trusted = false;
  uint32_t min_epoch = 0;
  std::span<const uint64_t> revoked;         // revoked serials, any order
  X25519PublicKey session_key{};             // the static key the Noise handshake proved
  // What the phone asks for; nullopt: the status, which any valid certificate may read.
  std::optional<Operation> op = Operation::kUnlock;
};

struct PhoneKeyCheck {
  PhoneKeyVerdict verdict = PhoneKeyVerdict::kAccept;
  // Whether the refusal feeds the door's wrong-attempt counter (LOCK-SEMANTICS.md 7): only a
  // bad signature or a phone that is not the certificate's. A stale, revoked or misdirected
  // key from an honest phone must not lock the family out (PHONE-KEYS.md 1).
  bool counts_as_wrong_attempt = false;
  bool ok() const { return verdict == PhoneKeyVerdict::kAccept; }
};

// The lock's offline check of a certificate; on accept the access decision runs next, with
// source phone and credential {phone_key, serial}. Checks in the order of PhoneKeyVerdict: the
// signature before anything the certificate says, and the phone before the window, so that a
// captured certificate replayed by another phone always counts as a wrong attempt.
PhoneKeyCheck CheckPhoneKey(const Crypto& crypto, const PhoneKeyCert& cert, const PhoneKeyContext& context);

}  // namespace latchkey::core
