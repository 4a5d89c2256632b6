#include "wire/json_codec.h"

#include <limits>

#include "core/battery.h"
#include "wire/json_fields.h"

namespace latchkey::wire {

using core::Result;
using core::Status;

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

namespace {

std::optional<core::IndexOrAll> IndexOrAllFrom(JsonFields& f, const Json& json, std::string_view key) {
  if (!f.Has(key)) return std::nullopt;
  const Json& v = json.at(std::string(key));
  if (v.is_string() && v.get<std::string>() == "all") return core::IndexOrAll::All();
  const auto n = f.Uint(key, 0, UINT32_MAX, true);
  if (!n) return std::nullopt;
  return core::IndexOrAll{static_cast<uint32_t>(*n), false};
}

}  // namespace

// --- the event envelope (the events themselves: event_forms.h) -------------------------------

Result<EventEnvelope> EventEnvelopeFromJson(const Json& json) {
  JsonFields f(json, "event");
  EventEnvelope e;
  e.seq = f.Uint("seq", 1, INT64_MAX, true).value_or(0);
  e.time_ms = f.Int("time", true).value_or(0);
  const auto kind = f.Str("kind", true, std::numeric_limits<std::size_t>::max());
  if (!f.ok()) return f.status();
  if (kind->empty()) return Status::Invalid("kind: must not be empty");
  e.kind = *kind;
  // A null user is refused (the accessors would read it as absent).
  if (const auto user = json.find("user"); user != json.end() && user->is_null()) {
    return Status::Invalid("user: must be a user index or \"all\"");
  }
  e.user = IndexOrAllFrom(f, json, "user");
  if (!f.ok()) return f.status();
  return e;
}

}  // namespace latchkey::wire
