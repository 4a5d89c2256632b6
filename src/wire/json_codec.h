// JSON forms of the core's records, shared by the lock store, the link (CBOR is the same
// document, encoded by nlohmann::json::to_cbor) and the hub's API. Field names are those of
// LOCK-SEMANTICS.md and API.md. Every decoder checks every field and type and returns kInvalid
// with the field's name; nothing malformed reaches the core. The records with a table per form
// (settings, users, schedules: record_forms.h; events and the runtime record: event_forms.h)
// keep their formless names here as the link form.
#pragma once

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/lock.h"
#include "core/store.h"

namespace latchkey::wire {

using Json = nlohmann::json;

// Events: {"seq", "time" (ms since the epoch, UTC), "kind", fields..., "hash" (hex)}, the link
// form of event_forms.h (the store's too; new code names its form there).
Json EventToJson(const core::Event& event);
core::Result<core::Event> EventFromJson(const Json& json);

// What every event has whatever its kind: its seq, time, kind and user. This is what the hub's
// mirror reads (and indexes) of an event it stores. It is read without knowing the kind, so a
// kind this build does not know (a newer lock's) is kept, and without the hash; the ranges are
// those the mirror's SQLite keys hold. EventFromJson checks the whole event.
struct EventEnvelope {
  uint64_t seq = 0;                      // 1..2^63-1
  int64_t time_ms = 0;                   // "time"
  std::string kind;                      // any non-empty string
  std::optional<core::IndexOrAll> user;  // absent when the event has none
};
// kInvalid, naming the field, when `json` is not an object with a "seq", "time" and "kind" as
// above and, if present, a "user" that is 0..2^32-1 or "all".
core::Result<EventEnvelope> EventEnvelopeFromJson(const Json& json);

// Settings (LOCK-SEMANTICS.md 2), whole, and users: the document that all three forms of
// record_forms.h share today (new code names its form there).
Json SettingsToJson(const core::Settings& settings);
core::Result<core::Settings> SettingsFromJson(const Json& json);
// A partial settings write: unknown fields and wrong types are invalid.
core::Result<core::SettingsPatch> SettingsPatchFromJson(const Json& json);

// Users with their credentials list and schedules (as above).
Json UserToJson(const core::User& user);
core::Result<core::User> UserFromJson(const Json& json);

// Credentials' {type, index} and schedules: the document all forms of record_forms.h share
// today (as above). A list of credentials is appended to `out` (`what` names it in errors).
Json CredentialRefToJson(const core::CredentialRef& ref);
core::Result<core::CredentialRef> CredentialRefFromJson(const Json& json);
core::Status CredentialRefsFromJson(const Json& list, std::string_view what, std::vector<core::CredentialRef>* out);

Json WeekDayToJson(const core::WeekDaySchedule& s);
core::Result<core::WeekDaySchedule> WeekDayFromJson(const Json& json);
Json YearDayToJson(const core::YearDaySchedule& s);
core::Result<core::YearDaySchedule> YearDayFromJson(const Json& json);
Json HolidayToJson(const core::HolidaySchedule& s);
core::Result<core::HolidaySchedule> HolidayFromJson(const Json& json);


std::string ToHex(std::span<const uint8_t> bytes);
// Exactly `out.size()` bytes of hex, or false.
bool FromHex(std::string_view hex, std::span<uint8_t> out);

}  // namespace latchkey::wire
