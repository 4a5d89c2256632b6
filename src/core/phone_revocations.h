// The revocation list of a home's phone keys (PHONE-KEYS.md 1 "Revocation"): the serials the
// owner revoked and the minimum epoch, versioned and signed by the home key, so that it can
// reach a lock two ways with the same trust: pushed by the hub over the link
// (`revoke_phone_keys`), or carried by an admin's phone in its session (a lock the hub cannot
// reach still learns it). A lock applies a list only when it verifies and is newer than the one
// it holds, so an old list replayed by anyone changes nothing.
//
// Encoding: deterministic CBOR (cbor.h) of
//   {"v": 1, "version": u64, "epoch": u32, "revoked": [u64...], "sig": bytes(64)}
// with `revoked` strictly ascending and at most kMaxRevokedPhoneKeys serials; the signature
// covers the same map without "sig". The list is complete each time (not a delta): the hub
// leaves out serials whose certificates have expired, which no lock would accept anyway.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace latchkey::core {

// Revoked serials a list may name. Certificates live 24 h by default and at most 90 days, so
// only keys revoked within their lifetime are listed; beyond this the owner raises the epoch
// (revoke-all), which costs the lock four bytes.
inline constexpr std::size_t kMaxRevokedPhoneKeys = 512;
inline constexpr std::size_t kMaxPhoneRevocationBytes = 8192;

struct PhoneRevocations {
  uint64_t version = 0;           // raised by the hub with every change; a lock keeps the newest
  uint32_t epoch = 0;             // certificates below it are refused (revoke-all raises it)
  std::vector<uint64_t> revoked;  // strictly ascending
  Ed25519Signature sig{};
  friend bool operator==(const PhoneRevocations&, const PhoneRevocations&) = default;
};

std::vector<uint8_t> PhoneRevocationsSignedBytes(const PhoneRevocations& list);
std::vector<uint8_t> EncodePhoneRevocations(const PhoneRevocations& list);
// Strict, as DecodePhoneKey: only the canonical encoding of a well-formed list; kInvalid names
// the field. The signature is not checked here (see VerifyPhoneRevocations).
Result<PhoneRevocations> DecodePhoneRevocations(std::span<const uint8_t> bytes);
bool VerifyPhoneRevocations(const Crypto& crypto, const Ed25519PublicKey& home_key, const PhoneRevocations& list);

}  // namespace latchkey::core
