#include "core/event.h"

#include <string_view>

#include "core/cbor.h"

namespace latchkey::core {
namespace {

void AddIndexOrAll(CborMap& map, std::string_view key, const IndexOrAll& v) {
  map.Add(key, [&](CborWriter& w) {
    if (v.all) w.Text("all");
    else w.Int(v.index);
  });
}

template <typename E>
void AddEnum(CborMap& map, std::string_view key, const std::optional<E>& v) {
  if (v) map.Add(key, [&](CborWriter& w) { w.Text(ToString(*v)); });
}

}  // namespace

std::vector<uint8_t> CanonicalEncoding(const Event& e) {
  CborMap map;
  map.Add("seq", [&](CborWriter& w) { w.Head(0, e.seq); });
  map.Add("time", [&](CborWriter& w) { w.Int(e.time_ms); });
  map.Add("kind", [&](CborWriter& w) { w.Text(ToString(e.kind)); });
  // The change kind names its operation "operation" as lock operations do.
  if (e.operation) AddEnum(map, "operation", e.operation);
  else AddEnum(map, "operation", e.change);
  AddEnum(map, "source", e.source);
  if (e.user) AddIndexOrAll(map, "user", *e.user);
  if (e.credential) {
    map.Add("credential", [&](CborWriter& w) {
      CborMap inner;
      inner.Add("type", [&](CborWriter& iw) { iw.Text(ToString(e.credential->type)); });
      inner.Add("index", [&](CborWriter& iw) { iw.Head(0, e.credential->index); });
      if (e.credential->serial != 0) inner.Add("serial", [&](CborWriter& iw) { iw.Head(0, e.credential->serial); });
      if (e.credential->window_hours != 0) {  // an offline code's window: Unix seconds, hours
        inner.Add("start", [&](CborWriter& iw) { iw.Int(e.credential->window_start_s); });
        inner.Add("duration", [&](CborWriter& iw) { iw.Head(0, e.credential->window_hours); });
      }
      w.Raw(inner.Encode());
    });
  }
  if (e.actor) map.Add("actor", [&](CborWriter& w) { w.Text(*e.actor); });
  AddEnum(map, "error", e.error);
  AddEnum(map, "alarm", e.alarm);
  AddEnum(map, "door_state", e.door_state);
  AddEnum(map, "data_type", e.data_type);
  if (e.index) AddIndexOrAll(map, "index", *e.index);
  if (e.external_power) map.Add("external_power", [&](CborWriter& w) { w.Bool(*e.external_power); });
  if (e.count) map.Add("count", [&](CborWriter& w) { w.Head(0, *e.count); });
  if (e.from_ms) map.Add("from", [&](CborWriter& w) { w.Int(*e.from_ms); });
  if (e.to_ms) map.Add("to", [&](CborWriter& w) { w.Int(*e.to_ms); });
  if (e.forced) map.Add("forced", [&](CborWriter& w) { w.Bool(*e.forced); });
  if (e.auto_unlock) map.Add("auto", [&](CborWriter& w) { w.Bool(*e.auto_unlock); });
  return map.Encode();
}

Digest ChainHashOf(const Crypto& crypto, const Digest& prev, const Event& event) {
  const std::vector<uint8_t> bytes = CanonicalEncoding(event);
  return crypto.ChainHash(prev, bytes);
}

std::optional<uint64_t> VerifyChain(const Crypto& crypto, const Digest& prev,
                                    const std::vector<Event>& events) {
  Digest hash = prev;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (i > 0 && e.seq != events[i - 1].seq + 1) return e.seq;
    const Digest expected = ChainHashOf(crypto, hash, e);
    if (!ConstantTimeEqual(expected, e.hash)) return e.seq;
    hash = e.hash;
  }
  return std::nullopt;
}

Event OperationEvent(Operation op, Source source) {
  Event e;
  e.kind = EventKind::kLockOperation;
  e.operation = op;
  e.source = source;
  return e;
}

Event OperationErrorEvent(Operation op, Source source, AccessError error) {
  Event e;
  e.kind = EventKind::kLockOperationError;
  e.operation = op;
  e.source = source;
  e.error = error;
  return e;
}

Event AlarmEvent(AlarmKind alarm) {
  Event e;
  e.kind = EventKind::kAlarm;
  e.alarm = alarm;
  return e;
}

Event DoorEvent(DoorState state) {
  Event e;
  e.kind = EventKind::kDoorState;
  e.door_state = state;
  return e;
}

Event ChangeEvent(DataType type, ChangeOperation op, const Actor& actor) {
  Event e;
  e.kind = EventKind::kChange;
  e.data_type = type;
  e.change = op;
  e.source = actor.source;
  if (!actor.name.empty()) e.actor = std::string(actor.name);
  return e;
}

Event ClockEvent(int64_t from_ms, int64_t to_ms, bool forced, const Actor& actor) {
  Event e = ChangeEvent(DataType::kClock, ChangeOperation::kModify, actor);
  e.from_ms = from_ms;
  e.to_ms = to_ms;
  if (forced) e.forced = true;
  return e;
}

Event PowerEvent(bool external_power) {
  Event e;
  e.kind = EventKind::kPower;
  e.external_power = external_power;
  return e;
}

}  // namespace latchkey::core
