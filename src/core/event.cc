#include "core/event.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace latchkey::core {
namespace {

// Deterministic CBOR (RFC 8949 4.2.1) for the few shapes an event has.
class CborWriter {
 public:
  void Head(uint8_t major, uint64_t value) {
    const auto m = static_cast<uint8_t>(major << 5);
    if (value < 24) {
      out_.push_back(static_cast<uint8_t>(m | value));
    } else if (value <= 0xFF) {
      out_.push_back(m | 24);
      Be(value, 1);
    } else if (value <= 0xFFFF) {
      out_.push_back(m | 25);
      Be(value, 2);
    } else if (value <= 0xFFFFFFFFull) {
      out_.push_back(m | 26);
      Be(value, 4);
    } else {
      out_.push_back(m | 27);
      Be(value, 8);
    }
  }
  void Int(int64_t v) {
    if (v >= 0) Head(0, static_cast<uint64_t>(v));
    else Head(1, static_cast<uint64_t>(-(v + 1)));
  }
  void Text(std::string_view s) {
    Head(3, s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void Bool(bool b) { out_.push_back(b ? 0xF5 : 0xF4); }
  void Raw(const std::vector<uint8_t>& bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  void Be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// A map under construction: encoded (key, value) pairs, sorted by encoded key on output.
class CborMap {
 public:
  template <typename F>
  void Add(std::string_view key, F&& write_value) {
    CborWriter k, v;
    k.Text(key);
    write_value(v);
    entries_.emplace_back(k.Take(), v.Take());
  }
  std::vector<uint8_t> Encode() {
    std::sort(entries_.begin(), entries_.end());
    CborWriter w;
    w.Head(5, entries_.size());
    for (const auto& [k, v] : entries_) {
      w.Raw(k);
      w.Raw(v);
    }
    return w.Take();
  }

 private:
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> entries_;
};

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
