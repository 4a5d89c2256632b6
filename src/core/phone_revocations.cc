#include "core/phone_revocations.h"

#include <algorithm>
#include <limits>

#include "core/cbor.h"

namespace latchkey::core {
namespace {

CborMap FieldsWithoutSig(const PhoneRevocations& list) {
  CborMap map;
  map.Add("v", [&](CborWriter& w) { w.Head(0, 1); });
  map.Add("version", [&](CborWriter& w) { w.Head(0, list.version); });
  map.Add("epoch", [&](CborWriter& w) { w.Head(0, list.epoch); });
  map.Add("revoked", [&](CborWriter& w) {
    w.Head(4, list.revoked.size());
    for (uint64_t serial : list.revoked) w.Head(0, serial);
  });
  return map;
}

CborField ReadField(CborReader& r, std::string_view key, PhoneRevocations* list) {
  const auto ok = [](bool read) { return read ? CborField::kRead : CborField::kBad; };
  if (key == "v") {
    const auto v = r.Uint();
    return ok(v && *v == 1);
  }
  if (key == "version") {
    const auto v = r.Uint();
    return ok(v && (list->version = *v, true));
  }
  if (key == "epoch") {
    const auto v = r.Uint();
    return ok(v && *v <= std::numeric_limits<uint32_t>::max() && (list->epoch = static_cast<uint32_t>(*v), true));
  }
  if (key == "revoked") {
    const auto n = r.Head(4);
    if (!n || *n > kMaxRevokedPhoneKeys) return CborField::kBad;
    for (uint64_t i = 0; i < *n; ++i) {
      const auto serial = r.Uint();
      if (!serial || (!list->revoked.empty() && *serial <= list->revoked.back())) return CborField::kBad;
      list->revoked.push_back(*serial);
    }
    return CborField::kRead;
  }
  if (key == "sig") {
    const auto b = r.Bytes();
    if (!b || b->size() != list->sig.size()) return CborField::kBad;
    std::copy(b->begin(), b->end(), list->sig.begin());
    return CborField::kRead;
  }
  return CborField::kUnknown;
}

std::string Expected(std::string_view key) {
  if (key == "v") return "not 1";
  if (key == "epoch") return "not an integer in 0..4294967295";
  if (key == "revoked") return "not a list of at most 512 serials in ascending order";
  if (key == "sig") return "not 64 bytes";
  return "not an unsigned integer of at most 64 bits";  // version
}

}  // namespace

std::vector<uint8_t> PhoneRevocationsSignedBytes(const PhoneRevocations& list) {
  return FieldsWithoutSig(list).Encode();
}

std::vector<uint8_t> EncodePhoneRevocations(const PhoneRevocations& list) {
  CborMap map = FieldsWithoutSig(list);
  map.Add("sig", [&](CborWriter& w) { w.Bytes(list.sig); });
  return map.Encode();
}

Result<PhoneRevocations> DecodePhoneRevocations(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxPhoneRevocationBytes) return Status::Invalid("revocations: larger than 8192 bytes");
  PhoneRevocations list;
  std::size_t fields = 0;
  LATCHKEY_TRY(ReadCborMap(
      bytes, "revocations", [&](std::string_view key, CborReader& r) { return ReadField(r, key, &list); }, Expected,
      &fields));
  if (fields != 5) return Status::Invalid("revocations: not the 5 fields v, version, epoch, revoked, sig");
  return list;
}

bool VerifyPhoneRevocations(const Crypto& crypto, const Ed25519PublicKey& home_key, const PhoneRevocations& list) {
  return crypto.VerifyEd25519(home_key, PhoneRevocationsSignedBytes(list), list.sig);
}

}  // namespace latchkey::core
