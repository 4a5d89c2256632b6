#include "device/sim_world.h"

#include "core/battery.h"
#include "device/lock_ops.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace latchkey::device {

using link::Json;
using wire::JsonFields;

SimWorld::SimWorld(LockRuntime& runtime, hal::sim::SimBoard& board, Hooks hooks)
    : runtime_(runtime), board_(board), hooks_(std::move(hooks)) {}

Json SimWorld::Decision(const core::Result<core::Decision>& decision) {
  if (!decision.ok()) return LockOps::FromStatus(decision.status());
  return LockOps::Ok(wire::DecisionToJson(*decision));
}

void SimWorld::Handle(const Json& args, Reply reply) {
  JsonFields f(args, "sim");
  const auto what = f.Str("what", true, 32);
  if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
  hal::InputSink* sink = board_.sink();
  if (sink == nullptr) return reply(LockOps::Error("invalid", "the lock is not running"));
  const auto state = [&] { return LockOps::Ok(hooks_.state ? hooks_.state() : Json::object()); };
  const auto done = [&](const core::Status& s) {
    runtime_.Reschedule();
    reply(s.ok() ? state() : LockOps::FromStatus(s));
  };

  if (*what == "keypad") {
    const auto keys = f.Str("keys", true, 64);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    auto decision = sink->OnKeypad(*keys);
    if (!decision.ok()) return reply(LockOps::FromStatus(decision.status()));
    if (!*decision) {  // keys typed, nothing submitted yet
      return reply(LockOps::Ok(Json{{"result", "pending"}, {"input", "buffered"},
                                    {"lock_state", std::string(core::ToString(runtime_.lock().status().lock_state))}}));
    }
    return reply(Decision(**decision));
  }
  if (*what == "rfid") {
    const auto uid = f.Str("uid", true, 64);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    return reply(Decision(sink->OnRfid(*uid)));
  }
  if (*what == "finger" || *what == "face") {
    const auto t = f.Str("template", true, 64);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    return reply(Decision(*what == "finger" ? sink->OnFingerprint(*t) : sink->OnFace(*t)));
  }
  if (*what == "button") return reply(Decision(sink->OnOutsideButton()));
  if (*what == "thumbturn" || *what == "key") {
    const auto action = f.Str("action", true, 16);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    if (*action != "lock" && *action != "unlock") return reply(LockOps::Error("invalid", "action: must be lock or unlock"));
    const bool lock = *action == "lock";
    board_.sim_bolt().MoveByHand(lock ? core::BoltSense::kLocked : core::BoltSense::kUnlocked);
    return done(sink->OnManualBolt(*what == "key" ? core::Source::kKey : core::Source::kManual,
                                   lock ? core::Operation::kLock : core::Operation::kUnlock));
  }
  if (*what == "door") {
    const auto door = f.Str("state", true, 16);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    if (*door != "open" && *door != "closed") return reply(LockOps::Error("invalid", "state: must be open or closed"));
    return done(sink->OnDoor(*door == "open"));
  }
  if (*what == "battery") {
    const auto mv = f.Uint("millivolts", 0, core::kMaxBatteryMillivolts, false);
    const auto percent = f.Uint("percent", 0, 100, false);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    if (mv.has_value() == percent.has_value()) {
      return reply(LockOps::Error("invalid", "give exactly one of millivolts and percent"));
    }
    return done(sink->OnBattery(mv ? static_cast<uint32_t>(*mv) : core::BatteryMillivolts(static_cast<uint32_t>(*percent))));
  }
  if (*what == "external_power") {
    const auto connected = f.Bool("connected", true);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    return done(sink->OnExternalPower(*connected));
  }
  if (*what == "tamper") return done(sink->OnTamper());
  if (*what == "jam") {
    const auto next = f.Bool("next", true);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    board_.sim_bolt().JamNext(*next);
    return reply(state());
  }
  if (*what == "clock") {
    const auto advance = f.Uint("advance_s", 0, 366ull * 24 * 3600, false);
    const auto set = f.Str("set", false, 40);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    if (advance.has_value() == set.has_value()) return reply(LockOps::Error("invalid", "give exactly one of advance_s and set"));
    if (advance) {
      board_.sim_clock().Advance(static_cast<int64_t>(*advance) * 1000);
    } else {
      const auto wall = platform::ParseRfc3339Ms(*set);
      if (!wall) return reply(LockOps::Error("invalid", "set: must be an RFC 3339 time"));
      board_.sim_clock().SetWall(*wall);
    }
    // Every timer that fell due fires now.
    return done(runtime_.lock().Tick());
  }
  if (*what == "power_cycle") {
    board_.sim_clock().RebootMonotonic();
    return done(runtime_.PowerCycle());
  }
  if (*what == "network") {
    const auto connected = f.Bool("connected", true);
    if (!f.ok()) return reply(LockOps::FromStatus(f.status()));
    if (hooks_.set_network) hooks_.set_network(*connected);
    return reply(state());
  }
  reply(LockOps::Error("invalid", "unknown sim input '" + what->substr(0, 32) + "'"));
}

}  // namespace latchkey::device
