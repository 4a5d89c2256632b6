// The forms of what the lock records as it runs: its events and its runtime record, each with
// one FieldTable per form (field_table.h) as the records of record_forms.h have, named at every
// call site:
//
//   store:  wire::EncodeEvent(wire::Form::kStore, event), wire::DecodeRuntime(wire::Form::kStore, j)
//   lock:   wire::EncodeEvent(wire::Form::kLink, event)     (the "events" message)
//   hub:    wire::EncodeEvent(wire::Form::kApi, event)      (history, stream, webhooks)
//
// An event, store and link form (the one document both share, which the hub mirrors):
//   {"seq": 7, "time": 1795593600000, "kind": "lock_operation", "operation": "unlock",
//    "source": "keypad", "user": 3, "credential": {"type": "pin", "index": 2}, "hash": "ab00..."}
// Kind-specific fields are there only when the event has them; "operation" is an Operation, or
// a ChangeOperation for kind "change"; "user" and "index" are a number or "all"; "from" and "to"
// (a clock change) are Unix ms like "time"; "hash" is 64 hex digits. The API form is the same
// document with "time", "from" and "to" (and an offline code's credential "start", which is Unix
// seconds in the other forms) as RFC 3339 text ("2026-11-25T08:00:00.000Z"). Unknown
// fields pass every form (a newer lock's).
//
// The runtime record has only a store form (the lock never sends it): durations as what
// remains, the log's position with "last_hash" as hex; the fields that came with wave 2 and
// "wall_estimate_ms" may be absent (a store written before them).
#pragma once

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/status.h"
#include "core/store.h"
#include "wire/field_table.h"
#include "wire/record_forms.h"

namespace latchkey::wire {

// Events; the store and link forms are one table's document, the API form writes times as text.
const FieldTable<core::Event>& EventFields(Form form);
nlohmann::json EncodeEvent(Form form, const core::Event& event);
core::Result<core::Event> DecodeEvent(Form form, const nlohmann::json& json);

// The runtime record, store form only (no other form exists).
const FieldTable<core::RuntimeState>& RuntimeFields();
nlohmann::json EncodeRuntime(const core::RuntimeState& runtime);
core::Result<core::RuntimeState> DecodeRuntime(const nlohmann::json& json);

}  // namespace latchkey::wire
