// The stored form of PhoneKeyState (store.h): deterministic CBOR of
//   {"home_key"?: bytes(32), "version": u64, "epoch": u32, "revoked": [u64...],
//    "arrivals": [[bytes(16), u64]...]}
// read as strictly as what arrives from outside, since a store can be damaged.
#include <algorithm>
#include <limits>

#include "core/cbor.h"
#include "core/phone_revocations.h"
#include "core/store.h"

namespace latchkey::core {
namespace {

CborField ReadSerials(CborReader& r, std::vector<uint64_t>* out) {
  const auto n = r.Head(4);
  if (!n || *n > kMaxRevokedPhoneKeys) return CborField::kBad;
  for (uint64_t i = 0; i < *n; ++i) {
    const auto serial = r.Uint();
    if (!serial || (!out->empty() && *serial <= out->back())) return CborField::kBad;
    out->push_back(*serial);
  }
  return CborField::kRead;
}

CborField ReadArrivals(CborReader& r, std::vector<UsedArrival>* out) {
  const auto n = r.Head(4);
  if (!n || *n > kMaxUsedArrivals) return CborField::kBad;
  for (uint64_t i = 0; i < *n; ++i) {
    UsedArrival used;
    const auto pair = r.Head(4);
    const auto nonce = pair && *pair == 2 ? r.Bytes() : std::nullopt;
    if (!nonce || nonce->size() != used.nonce.size()) return CborField::kBad;
    std::copy(nonce->begin(), nonce->end(), used.nonce.begin());
    const auto at = r.Uint();
    if (!at || *at > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return CborField::kBad;
    used.issued_at = static_cast<int64_t>(*at);
    out->push_back(used);
  }
  return CborField::kRead;
}

}  // namespace

std::vector<uint8_t> EncodePhoneKeyState(const PhoneKeyState& s) {
  CborMap map;
  if (s.home_key) map.Add("home_key", [&](CborWriter& w) { w.Bytes(*s.home_key); });
  map.Add("version", [&](CborWriter& w) { w.Head(0, s.revocations_version); });
  map.Add("epoch", [&](CborWriter& w) { w.Head(0, s.min_epoch); });
  map.Add("revoked", [&](CborWriter& w) {
    w.Head(4, s.revoked.size());
    for (uint64_t serial : s.revoked) w.Head(0, serial);
  });
  map.Add("arrivals", [&](CborWriter& w) {
    w.Head(4, s.used_arrivals.size());
    for (const UsedArrival& used : s.used_arrivals) {
      w.Head(4, 2);
      w.Bytes(used.nonce);
      w.Int(used.issued_at);
    }
  });
  return map.Encode();
}

Result<PhoneKeyState> DecodePhoneKeyState(std::span<const uint8_t> bytes) {
  PhoneKeyState s;
  const auto read = [&](std::string_view key, CborReader& r) {
    if (key == "home_key") {
      const auto b = r.Bytes();
      if (!b || b->size() != 32) return CborField::kBad;
      s.home_key.emplace();
      std::copy(b->begin(), b->end(), s.home_key->begin());
      return CborField::kRead;
    }
    if (key == "version") {
      const auto v = r.Uint();
      return v && (s.revocations_version = *v, true) ? CborField::kRead : CborField::kBad;
    }
    if (key == "epoch") {
      const auto v = r.Uint();
      return v && *v <= std::numeric_limits<uint32_t>::max() && (s.min_epoch = static_cast<uint32_t>(*v), true)
                 ? CborField::kRead
                 : CborField::kBad;
    }
    if (key == "revoked") return ReadSerials(r, &s.revoked);
    if (key == "arrivals") return ReadArrivals(r, &s.used_arrivals);
    return CborField::kUnknown;
  };
  std::size_t fields = 0;
  LATCHKEY_TRY(ReadCborMap(bytes, "phone keys", read, [](std::string_view) { return std::string("malformed"); },
                           &fields));
  if (fields != (s.home_key ? 5u : 4u)) return Status::Invalid("phone keys: a field is missing");
  return s;
}

}  // namespace latchkey::core
