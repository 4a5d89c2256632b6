#include "core/arrival_token.h"

#include <algorithm>
#include <limits>

#include "core/cbor.h"

namespace latchkey::core {
namespace {

template <std::size_t N>
CborField ReadFixed(CborReader& r, std::array<uint8_t, N>* out) {
  const auto b = r.Bytes();
  if (!b || b->size() != N) return CborField::kBad;
  std::copy(b->begin(), b->end(), out->begin());
  return CborField::kRead;
}

CborField ReadField(CborReader& r, std::string_view key, ArrivalToken* t) {
  const auto ok = [](bool read) { return read ? CborField::kRead : CborField::kBad; };
  if (key == "lock") {
    const auto v = r.Text();
    return ok(v && !v->empty() && v->size() <= kMaxPhoneKeyLockId && *v != kEveryLock &&
              (t->lock = std::string(*v), true));
  }
  if (key == "phone") return ReadFixed(r, &t->phone);
  if (key == "serial") {
    const auto v = r.Uint();
    return ok(v && (t->serial = *v, true));
  }
  if (key == "issued_at") {
    const auto v = r.Uint();
    return ok(v && *v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
              (t->issued_at = static_cast<int64_t>(*v), true));
  }
  if (key == "nonce") return ReadFixed(r, &t->nonce);
  return CborField::kUnknown;
}

std::string Expected(std::string_view key) {
  if (key == "lock") return "not a lock id (1..64 characters, not \"*\")";
  if (key == "phone") return "not 32 bytes";
  if (key == "nonce") return "not 16 bytes";
  if (key == "issued_at") return "not Unix seconds (an unsigned integer below 2^63)";
  return "not an unsigned integer of at most 64 bits";  // serial
}

}  // namespace

std::vector<uint8_t> EncodeArrivalToken(const ArrivalToken& t) {
  CborMap map;
  map.Add("lock", [&](CborWriter& w) { w.Text(t.lock); });
  map.Add("phone", [&](CborWriter& w) { w.Bytes(t.phone); });
  map.Add("serial", [&](CborWriter& w) { w.Head(0, t.serial); });
  map.Add("issued_at", [&](CborWriter& w) { w.Int(t.issued_at); });
  map.Add("nonce", [&](CborWriter& w) { w.Bytes(t.nonce); });
  return map.Encode();
}

Result<ArrivalToken> DecodeArrivalToken(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxArrivalTokenBytes) return Status::Invalid("arrival: larger than 256 bytes");
  ArrivalToken token;
  std::size_t fields = 0;
  LATCHKEY_TRY(ReadCborMap(
      bytes, "arrival", [&](std::string_view key, CborReader& r) { return ReadField(r, key, &token); }, Expected,
      &fields));
  if (fields != 5) return Status::Invalid("arrival: not the 5 fields lock, phone, serial, issued_at, nonce");
  return token;
}

ArrivalVerdict CheckArrivalToken(const ArrivalToken& token, std::string_view lock_id, const PhoneKeyCert& cert,
                                 const X25519PublicKey& session_key, int64_t now_s,
                                 std::span<const UsedArrival> used) {
  if (token.lock != lock_id) return ArrivalVerdict::kWrongLock;
  if (!ConstantTimeEqual(token.phone, session_key)) return ArrivalVerdict::kWrongPhone;
  if (token.serial != cert.serial) return ArrivalVerdict::kWrongSerial;
  // issued_at <= now + skew and now < issued_at + lifetime, without overflow for any input.
  if (token.issued_at > now_s + kArrivalClockSkewS || now_s - token.issued_at >= kArrivalTokenLifetimeS) {
    return ArrivalVerdict::kStale;
  }
  const bool seen = std::any_of(used.begin(), used.end(),
                                [&](const UsedArrival& u) { return ConstantTimeEqual(u.nonce, token.nonce); });
  return seen ? ArrivalVerdict::kUsed : ArrivalVerdict::kAccept;
}

}  // namespace latchkey::core
