#include "core/offline_code_state.h"

#include <algorithm>
#include <limits>

#include "core/cbor.h"

namespace latchkey::core {
namespace {

bool ByPlain(const RememberedOfflineCode& a, std::string_view plain) { return a.plain < plain; }

// 12 plaintext digits that unpack (type 1..3, duration 1..999).
bool PlainCode(std::string_view text) { return UnpackOfflineCode(text).has_value(); }

CborField ReadRevoked(CborReader& r, std::vector<std::string>* out) {
  const auto n = r.Head(4);
  if (!n || *n > kMaxRevokedOfflineCodes) return CborField::kBad;
  for (uint64_t i = 0; i < *n; ++i) {
    const auto code = r.Text();
    if (!code || !PlainCode(*code) || (!out->empty() && *code <= out->back())) return CborField::kBad;
    out->emplace_back(*code);
  }
  return CborField::kRead;
}

CborField ReadRemembered(CborReader& r, std::vector<RememberedOfflineCode>* out) {
  const auto n = r.Head(4);
  if (!n || *n > kMaxRememberedOfflineCodes) return CborField::kBad;
  for (uint64_t i = 0; i < *n; ++i) {
    const auto triple = r.Head(4);
    if (!triple || *triple != 3) return CborField::kBad;
    const auto code = r.Text();
    if (!code || !PlainCode(*code) || (!out->empty() && *code <= out->back().plain)) return CborField::kBad;
    const auto end = r.Uint();
    const auto first = r.Uint();
    if (!end || *end > kMaxOfflineStartHour + kMaxOfflineDurationHours || !first ||
        *first > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return CborField::kBad;
    }
    out->push_back({std::string(*code), static_cast<uint32_t>(*end), static_cast<int64_t>(*first)});
  }
  return CborField::kRead;
}

}  // namespace

bool OfflineCodeState::Revoked(std::string_view plain) const {
  return std::binary_search(revoked.begin(), revoked.end(), plain);
}

const RememberedOfflineCode* OfflineCodeState::Find(std::string_view plain) const {
  const auto it = std::lower_bound(remembered.begin(), remembered.end(), plain, ByPlain);
  return it != remembered.end() && it->plain == plain ? &*it : nullptr;
}

void OfflineCodeState::Remember(RememberedOfflineCode code, int64_t now_s) {
  auto it = std::lower_bound(remembered.begin(), remembered.end(), code.plain, ByPlain);
  if (it != remembered.end() && it->plain == code.plain) {
    *it = std::move(code);
    return;
  }
  if (remembered.size() >= kMaxRememberedOfflineCodes) {
    // Ended windows first: such a code is refused by its window anyway (as long as the clock
    // does not go back past its end, which a trusted clock does not).
    std::erase_if(remembered, [&](const RememberedOfflineCode& c) { return HourStartS(c.end_hour) <= now_s; });
    if (remembered.size() >= kMaxRememberedOfflineCodes) {
      remembered.erase(std::min_element(remembered.begin(), remembered.end(),
                                        [](const auto& a, const auto& b) { return a.end_hour < b.end_hour; }));
    }
    it = std::lower_bound(remembered.begin(), remembered.end(), code.plain, ByPlain);
  }
  remembered.insert(it, std::move(code));
}

std::vector<uint8_t> EncodeOfflineCodeState(const OfflineCodeState& s) {
  CborMap map;
  if (s.key) map.Add("key", [&](CborWriter& w) { w.Bytes(*s.key); });
  map.Add("epoch", [&](CborWriter& w) { w.Head(0, static_cast<uint64_t>(s.epoch_s)); });
  map.Add("generation", [&](CborWriter& w) { w.Head(0, s.generation); });
  map.Add("version", [&](CborWriter& w) { w.Head(0, s.revocations_version); });
  map.Add("revoked", [&](CborWriter& w) {
    w.Head(4, s.revoked.size());
    for (const std::string& code : s.revoked) w.Text(code);
  });
  map.Add("remembered", [&](CborWriter& w) {
    w.Head(4, s.remembered.size());
    for (const RememberedOfflineCode& c : s.remembered) {
      w.Head(4, 3);
      w.Text(c.plain);
      w.Head(0, c.end_hour);
      w.Head(0, static_cast<uint64_t>(c.first_use_s));
    }
  });
  return map.Encode();
}

Result<OfflineCodeState> DecodeOfflineCodeState(std::span<const uint8_t> bytes) {
  OfflineCodeState s;
  const auto read = [&](std::string_view key, CborReader& r) {
    if (key == "key") {
      const auto b = r.Bytes();
      if (!b || b->size() != 32) return CborField::kBad;
      s.key.emplace();
      std::copy(b->begin(), b->end(), s.key->begin());
      return CborField::kRead;
    }
    if (key == "epoch") {
      const auto v = r.Uint();
      if (!v || *v > static_cast<uint64_t>(kMaxOfflineEpochS) || *v % 3600 != 0) {
        return CborField::kBad;
      }
      s.epoch_s = static_cast<int64_t>(*v);
      return CborField::kRead;
    }
    if (key == "generation") {
      const auto v = r.Uint();
      if (!v || *v > std::numeric_limits<uint32_t>::max()) return CborField::kBad;
      s.generation = static_cast<uint32_t>(*v);
      return CborField::kRead;
    }
    if (key == "version") {
      const auto v = r.Uint();
      return v && (s.revocations_version = *v, true) ? CborField::kRead : CborField::kBad;
    }
    if (key == "revoked") return ReadRevoked(r, &s.revoked);
    if (key == "remembered") return ReadRemembered(r, &s.remembered);
    return CborField::kUnknown;
  };
  std::size_t fields = 0;
  LATCHKEY_TRY(ReadCborMap(bytes, "offline codes", read, [](std::string_view) { return std::string("malformed"); },
                           &fields));
  if (fields != (s.key ? 6u : 5u)) return Status::Invalid("offline codes: a field is missing");
  return s;
}

}  // namespace latchkey::core
