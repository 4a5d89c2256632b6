#include "core/phone_key.h"

#include <algorithm>
#include <limits>

#include "core/cbor.h"

namespace latchkey::core {
namespace {

constexpr int kFieldCount = 11;  // v serial lock user phone not_before not_after ops auto epoch sig

// The op names in canonical order (sorted by their encoded bytes: shorter first).
void WriteOps(CborWriter& w, const PhoneOps& ops) {
  w.Head(4, static_cast<uint64_t>(ops.lock) + ops.unlock + ops.unlatch);
  if (ops.lock) w.Text("lock");
  if (ops.unlock) w.Text("unlock");
  if (ops.unlatch) w.Text("unlatch");
}

CborMap FieldsWithoutSig(const PhoneKeyCert& c) {
  CborMap map;
  map.Add("v", [&](CborWriter& w) { w.Head(0, c.v); });
  map.Add("serial", [&](CborWriter& w) { w.Head(0, c.serial); });
  map.Add("lock", [&](CborWriter& w) { w.Text(c.lock); });
  map.Add("user", [&](CborWriter& w) { w.Head(0, c.user); });
  map.Add("phone", [&](CborWriter& w) { w.Bytes(c.phone); });
  map.Add("not_before", [&](CborWriter& w) { w.Int(c.not_before); });
  map.Add("not_after", [&](CborWriter& w) { w.Int(c.not_after); });
  map.Add("ops", [&](CborWriter& w) { WriteOps(w, c.ops); });
  map.Add("auto", [&](CborWriter& w) { w.Bool(c.auto_unlock); });
  map.Add("epoch", [&](CborWriter& w) { w.Head(0, c.epoch); });
  return map;
}

Status Bad(std::string_view field, std::string_view why) {
  return Status::Invalid(std::string(field) + ": " + std::string(why));
}

bool UsableLock(std::string_view id) {
  if (id.empty() || id.size() > kMaxPhoneKeyLockId) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) { return ch > 0x20 && ch < 0x7F; });
}

template <std::size_t N>
bool ReadFixedBytes(CborReader& r, std::array<uint8_t, N>* out) {
  const auto b = r.Bytes();
  if (!b || b->size() != N) return false;
  std::copy(b->begin(), b->end(), out->begin());
  return true;
}

bool ReadOps(CborReader& r, PhoneOps* ops) {
  const auto n = r.Head(4);
  if (!n || *n == 0 || *n > 3) return false;
  int last = -1;  // names must come in canonical order, each once
  for (uint64_t i = 0; i < *n; ++i) {
    const auto name = r.Text();
    if (!name) return false;
    static constexpr std::array<std::string_view, 3> kNames = {"lock", "unlock", "unlatch"};
    const auto it = std::find(kNames.begin(), kNames.end(), *name);
    if (it == kNames.end()) return false;
    const int rank = static_cast<int>(it - kNames.begin());
    if (rank <= last) return false;
    last = rank;
    bool* flags[] = {&ops->lock, &ops->unlock, &ops->unlatch};
    *flags[rank] = true;
  }
  return true;
}

// One field's value into `c`.
CborField ReadField(CborReader& r, std::string_view key, PhoneKeyCert* c) {
  constexpr auto kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const auto ok = [](bool read) { return read ? CborField::kRead : CborField::kBad; };
  if (key == "v") {
    const auto v = r.Uint();
    return ok(v && *v == 1);
  }
  if (key == "serial") {
    const auto v = r.Uint();
    return ok(v && (c->serial = *v, true));
  }
  if (key == "lock") {
    const auto v = r.Text();
    return ok(v && UsableLock(*v) && (c->lock = std::string(*v), true));
  }
  if (key == "user") {
    const auto v = r.Uint();
    return ok(v && *v <= std::numeric_limits<UserIndex>::max() && (c->user = static_cast<UserIndex>(*v), true));
  }
  if (key == "phone") return ok(ReadFixedBytes(r, &c->phone));
  if (key == "not_before" || key == "not_after") {
    const auto v = r.Uint();
    if (!v || *v > kMaxInt) return CborField::kBad;
    (key == "not_before" ? c->not_before : c->not_after) = static_cast<int64_t>(*v);
    return CborField::kRead;
  }
  if (key == "ops") return ok(ReadOps(r, &c->ops));
  if (key == "auto") {
    const auto v = r.Bool();
    return ok(v && (c->auto_unlock = *v, true));
  }
  if (key == "epoch") {
    const auto v = r.Uint();
    return ok(v && *v <= std::numeric_limits<uint32_t>::max() && (c->epoch = static_cast<uint32_t>(*v), true));
  }
  if (key == "sig") return ok(ReadFixedBytes(r, &c->sig));
  return CborField::kUnknown;
}

// What a refused field's value should have been, for the message.
std::string Expected(std::string_view key) {
  if (key == "v") return "not 1";
  if (key == "lock") return "not a lock id (1..64 printable characters) or \"*\"";
  if (key == "user") return "not an integer in 0..65535";
  if (key == "phone") return "not 32 bytes";
  if (key == "ops") return "not a non-empty array of distinct lock, unlock, unlatch in that order";
  if (key == "auto") return "not a boolean";
  if (key == "epoch") return "not an integer in 0..4294967295";
  if (key == "sig") return "not 64 bytes";
  if (key == "serial") return "not an unsigned integer of at most 64 bits";
  return "not Unix seconds (an unsigned integer below 2^63)";  // not_before, not_after
}

}  // namespace

bool PhoneOps::Allows(Operation op) const {
  switch (op) {
    case Operation::kLock: return lock;
    case Operation::kUnlock: return unlock;
    case Operation::kUnlatch: return unlatch;
    default: return false;
  }
}

std::vector<uint8_t> PhoneKeySignedBytes(const PhoneKeyCert& cert) { return FieldsWithoutSig(cert).Encode(); }

std::vector<uint8_t> EncodePhoneKey(const PhoneKeyCert& cert) {
  CborMap map = FieldsWithoutSig(cert);
  map.Add("sig", [&](CborWriter& w) { w.Bytes(cert.sig); });
  return map.Encode();
}

Result<PhoneKeyCert> DecodePhoneKey(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxPhoneKeyBytes) return Bad("certificate", "larger than 1024 bytes");
  PhoneKeyCert cert;
  std::size_t fields = 0;
  LATCHKEY_TRY(ReadCborMap(
      bytes, "certificate", [&](std::string_view key, CborReader& r) { return ReadField(r, key, &cert); }, Expected,
      &fields));
  // Distinct keys, all known: with eleven of them every field is present.
  if (fields != kFieldCount) {
    return Bad("certificate", "not the 11 fields v, serial, lock, user, phone, not_before, not_after, ops, auto, epoch, sig");
  }
  if (cert.not_after <= cert.not_before) return Bad("not_after", "not after not_before");
  // The reader accepts only canonical items, so this holds; checked anyway because the
  // signature is verified over the re-encoding, which must be exactly what arrived.
  const std::vector<uint8_t> again = EncodePhoneKey(cert);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
    return Bad("certificate", "not in deterministic encoding");
  }
  return cert;
}

PhoneKeyCheck CheckPhoneKey(const Crypto& crypto, const PhoneKeyCert& cert, const PhoneKeyContext& ctx) {
  const auto refuse = [](PhoneKeyVerdict verdict, bool counts = false) { return PhoneKeyCheck{verdict, counts}; };
  if (!ctx.home_key) return refuse(PhoneKeyVerdict::kNoHomeKey);
  if (!crypto.VerifyEd25519(*ctx.home_key, PhoneKeySignedBytes(cert), cert.sig)) {
    return refuse(PhoneKeyVerdict::kBadSignature, true);
  }
  if (!ConstantTimeEqual(cert.phone, ctx.session_key)) return refuse(PhoneKeyVerdict::kWrongPhone, true);
  if (cert.lock != kEveryLock && cert.lock != ctx.lock_id) return refuse(PhoneKeyVerdict::kWrongLock);
  if (!ctx.clock_trusted) return refuse(PhoneKeyVerdict::kClockUntrusted);
  if (ctx.now_s < cert.not_before) return refuse(PhoneKeyVerdict::kNotYetValid);
  if (ctx.now_s >= cert.not_after) return refuse(PhoneKeyVerdict::kExpired);
  if (cert.epoch < ctx.min_epoch) return refuse(PhoneKeyVerdict::kBelowEpoch);
  if (std::find(ctx.revoked.begin(), ctx.revoked.end(), cert.serial) != ctx.revoked.end()) {
    return refuse(PhoneKeyVerdict::kRevoked);
  }
  if (ctx.op && !cert.ops.Allows(*ctx.op)) return refuse(PhoneKeyVerdict::kOpNotAllowed);
  return {};
}

}  // namespace latchkey::core
