#include "hub/offline_code_rules.h"

#include <algorithm>

#include "core/settings.h"
#include "platform/time_format.h"
#include "wire/json_fields.h"

namespace latchkey::hub {

namespace {

using Json = nlohmann::json;

constexpr int64_t kHourMs = 3'600'000;

int64_t FloorHour(int64_t ms) {
  const int64_t q = ms / kHourMs;
  return (ms % kHourMs < 0 ? q - 1 : q) * kHourMs;
}
int64_t CeilHour(int64_t ms) {
  const int64_t floor = FloorHour(ms);
  return floor == ms ? ms : floor + kHourMs;
}

// An RFC 3339 time field, or nullopt (with `f` failed when it is there but not a time).
std::optional<int64_t> TimeField(wire::JsonFields& f, std::string_view key) {
  auto text = f.Str(key, false, 64);
  if (!text) return std::nullopt;
  auto ms = platform::ParseRfc3339Ms(*text);
  if (!ms) f.Fail(key, "must be an RFC 3339 time such as 2026-12-24T10:00:00Z");
  return ms;
}

}  // namespace

core::Result<OfflineCodeAsk> DecodeOfflineCodeAsk(const Json& body) {
  wire::JsonFields f(body, "body");
  f.OnlyKeys({"starts_at", "ends_at", "one_time", "name", "clear"});
  f.RefuseNulls();
  OfflineCodeAsk ask;
  ask.starts_at_ms = TimeField(f, "starts_at");
  ask.ends_at_ms = TimeField(f, "ends_at");
  ask.one_time = f.Bool("one_time", false).value_or(false);
  ask.clear = f.Bool("clear", false).value_or(false);
  ask.name = f.Str("name", false, 4 * kMaxOfflineCodeName).value_or("");
  if (!f.ok()) return f.status();
  const auto chars = core::Utf8Length(ask.name);
  if (!chars || *chars > kMaxOfflineCodeName) {
    return core::Status::Invalid("name: must be at most " + std::to_string(kMaxOfflineCodeName) + " characters");
  }
  if (std::any_of(ask.name.begin(), ask.name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return core::Status::Invalid("name: must not hold control characters");
  }
  if (ask.clear && ask.one_time) {
    return core::Status::Invalid("one_time: a clear code opens once anyway; give clear or one_time, not both");
  }
  if (!ask.clear && !ask.starts_at_ms) return core::Status::Invalid("starts_at: is required");
  if (!ask.clear && !ask.ends_at_ms) return core::Status::Invalid("ends_at: is required");
  return ask;
}

std::variant<OfflineCodeWindow, Refusal> PlanOfflineCode(const OfflineCodeAsk& ask, int64_t epoch_s, int64_t now_ms) {
  const int64_t start_ms = ask.starts_at_ms.value_or(now_ms);
  const int64_t end_ms = ask.ends_at_ms.value_or(start_ms + kDefaultClearWindowMs);
  if (end_ms <= start_ms) return Refusal::Invalid("ends_at: must be after starts_at");
  OfflineCodeWindow window;
  window.starts_at_ms = FloorHour(start_ms);
  window.ends_at_ms = CeilHour(end_ms);
  const int64_t epoch_ms = epoch_s * 1000;
  const int64_t hours = (window.ends_at_ms - window.starts_at_ms) / kHourMs;
  if (hours > core::kMaxOfflineDurationHours) {
    return Refusal::Invalid("ends_at: the window is " + std::to_string(hours) + " hours (rounded outward to whole " +
                            "hours); a code's window is at most 999 hours");
  }
  if (window.ends_at_ms <= now_ms) return Refusal::Invalid("ends_at: the window has already ended");
  if (window.starts_at_ms < epoch_ms) {
    return Refusal::Invalid("starts_at: this lock's codes start at " + platform::FormatRfc3339Ms(epoch_ms) +
                            " at the earliest (its offline-code key was made then)");
  }
  const int64_t start_hour = (window.starts_at_ms - epoch_ms) / kHourMs;
  if (start_hour > core::kMaxOfflineStartHour) {
    return Refusal::Invalid("starts_at: this lock's codes start by " +
                            platform::FormatRfc3339Ms(epoch_ms + int64_t{core::kMaxOfflineStartHour} * kHourMs) +
                            " at the latest (99999 hours after its offline-code key was made)");
  }
  window.fields.type = ask.clear      ? core::OfflineCodeType::kClear
                       : ask.one_time ? core::OfflineCodeType::kOneTime
                                      : core::OfflineCodeType::kWindow;
  window.fields.start_hour = static_cast<uint32_t>(start_hour);
  window.fields.duration_hours = static_cast<uint16_t>(hours);
  return window;
}

std::string_view ToString(OfflineCodeStatus status) {
  switch (status) {
    case OfflineCodeStatus::kIssued: return "issued";
    case OfflineCodeStatus::kUsed: return "used";
    case OfflineCodeStatus::kRevoked: return "revoked";
    case OfflineCodeStatus::kRevocationPending: return "revocation_pending";
    case OfflineCodeStatus::kCleared: return "cleared";
    case OfflineCodeStatus::kExpired: return "expired";
  }
  return "issued";
}

std::string_view ToString(core::OfflineCodeType type) {
  switch (type) {
    case core::OfflineCodeType::kWindow: return "window";
    case core::OfflineCodeType::kOneTime: return "one_time";
    case core::OfflineCodeType::kClear: return "clear";
  }
  return "window";
}

uint32_t ConfirmedGeneration(const OfflineCodeKey& key) {
  const auto& a = key.applied;
  return a && a->key && a->epoch_s == key.epoch_s ? a->generation : 0;
}

bool RevocationDelivered(const OfflineCodeRecord& code, const OfflineCodeKey& key) {
  if (code.revoked_version && *code.revoked_version == 0) return true;
  const auto& a = key.applied;
  // An answer about another key (one the lock held before this hub's) says nothing about these codes.
  if (!a || !a->key || a->epoch_s != key.epoch_s) return false;
  if (a->generation > code.generation) return true;  // the generation covers it, revoked or cleared
  return code.revoked_version && a->revocations_version >= *code.revoked_version;
}

OfflineCodeStatus StatusOf(const OfflineCodeRecord& code, const OfflineCodeKey& key, int64_t now_ms) {
  if (code.revoked_at_ms) {
    return RevocationDelivered(code, key) || now_ms >= code.ends_at_ms ? OfflineCodeStatus::kRevoked
                                                                      : OfflineCodeStatus::kRevocationPending;
  }
  if (code.cleared_at_ms) return OfflineCodeStatus::kCleared;
  if (code.used_at_ms && code.type != core::OfflineCodeType::kWindow) return OfflineCodeStatus::kUsed;
  if (now_ms >= code.ends_at_ms) return OfflineCodeStatus::kExpired;
  return OfflineCodeStatus::kIssued;
}

bool LiveOfflineCode(const OfflineCodeRecord& code, const OfflineCodeKey& key, int64_t now_ms) {
  return StatusOf(code, key, now_ms) == OfflineCodeStatus::kIssued;
}

std::vector<std::string> RevokedPlaintexts(std::span<const OfflineCodeRecord> codes, uint32_t generation,
                                           int64_t now_ms) {
  std::vector<std::string> out;
  for (const OfflineCodeRecord& c : codes) {
    if (c.revoked_at_ms && c.generation == generation && c.ends_at_ms > now_ms) out.push_back(c.plaintext);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace latchkey::hub
