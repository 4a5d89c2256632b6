#include "device/sim_world.h"

#include <array>
#include <type_traits>

#include "core/battery.h"
#include "device/lock_ops.h"
#include "link/enum_table.h"
#include "link/sim_inputs.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"
#include "wire/state_forms.h"

namespace latchkey::device {

using link::Json;
using link::SimInput;

// What a row's handler works with: the world, the board's input sink, and which row it is.
struct SimWorld::Row {
  SimWorld& world;
  hal::InputSink& sink;
  SimInput what;
  const Reply& reply;

  LockRuntime& runtime() { return world.runtime_; }
  hal::sim::SimBoard& board() { return world.board_; }
  // The lock object after the change.
  Json State() { return LockOps::Ok(world.hooks_.state ? world.hooks_.state() : Json::object()); }
  // After a physical change: the lock's timers are rescheduled and the new state answered.
  void Done(const core::Status& s) {
    runtime().Reschedule();
    reply(s.ok() ? State() : LockOps::FromStatus(s));
  }
  void SetNetwork(bool connected) {
    if (world.hooks_.set_network) world.hooks_.set_network(connected);
  }
  void Decision(const core::Result<core::Decision>& decision) {
    if (!decision.ok()) return reply(LockOps::FromStatus(decision.status()));
    reply(LockOps::Ok(wire::EncodeDecision(wire::Form::kLink, *decision)));
  }
};

namespace {

using Row = SimWorld::Row;

void Keypad(Row& r, const link::SimKeypad& in) {
  auto decision = r.sink.OnKeypad(in.keys);
  if (!decision.ok()) return r.reply(LockOps::FromStatus(decision.status()));
  if (!*decision) {  // keys typed, nothing submitted yet
    return r.reply(LockOps::Ok(Json{{"result", "pending"}, {"input", "buffered"},
                                    {"lock_state", std::string(core::ToString(r.runtime().lock().status().lock_state))}}));
  }
  r.Decision(**decision);
}

void Rfid(Row& r, const link::SimRfid& in) { r.Decision(r.sink.OnRfid(in.uid)); }

void Biometric(Row& r, const link::SimBiometric& in) {
  r.Decision(r.what == SimInput::kFinger ? r.sink.OnFingerprint(in.template_id) : r.sink.OnFace(in.template_id));
}

void Button(Row& r, const link::SimNothing&) { r.Decision(r.sink.OnOutsideButton()); }

void ByHand(Row& r, const link::SimByHand& in) {
  if (in.action != "lock" && in.action != "unlock") return r.reply(LockOps::Error("invalid", "action: must be lock or unlock"));
  const bool lock = in.action == "lock";
  r.board().sim_bolt().MoveByHand(lock ? core::BoltSense::kLocked : core::BoltSense::kUnlocked);
  r.Done(r.sink.OnManualBolt(r.what == SimInput::kKey ? core::Source::kKey : core::Source::kManual,
                             lock ? core::Operation::kLock : core::Operation::kUnlock));
}

void Door(Row& r, const link::SimDoor& in) {
  if (in.state != "open" && in.state != "closed") return r.reply(LockOps::Error("invalid", "state: must be open or closed"));
  r.Done(r.sink.OnDoor(in.state == "open"));
}

void Battery(Row& r, const link::SimBattery& in) {
  if (in.millivolts.has_value() == in.percent.has_value()) {
    return r.reply(LockOps::Error("invalid", "give exactly one of millivolts and percent"));
  }
  r.Done(r.sink.OnBattery(in.millivolts ? *in.millivolts : core::BatteryMillivolts(*in.percent)));
}

void ExternalPower(Row& r, const link::SimConnected& in) { r.Done(r.sink.OnExternalPower(in.connected)); }

void Tamper(Row& r, const link::SimNothing&) { r.Done(r.sink.OnTamper()); }

void Jam(Row& r, const link::SimJam& in) {
  r.board().sim_bolt().JamNext(in.next);
  r.reply(r.State());
}

void Clock(Row& r, const link::SimClock& in) {
  if (in.advance_s.has_value() == in.set.has_value()) {
    return r.reply(LockOps::Error("invalid", "give exactly one of advance_s and set"));
  }
  if (in.advance_s) {
    r.board().sim_clock().Advance(static_cast<int64_t>(*in.advance_s) * 1000);
  } else {
    const auto wall = platform::ParseRfc3339Ms(*in.set);
    if (!wall) return r.reply(LockOps::Error("invalid", "set: must be an RFC 3339 time"));
    r.board().sim_clock().SetWall(*wall);
  }
  // Every timer that fell due fires now.
  r.Done(r.runtime().lock().Tick());
}

void PowerCycle(Row& r, const link::SimNothing&) {
  r.board().sim_clock().RebootMonotonic();
  r.Done(r.runtime().PowerCycle());
}

void Network(Row& r, const link::SimConnected& in) {
  r.SetNetwork(in.connected);
  r.reply(r.State());
}

// --- the table: row -> its fields decoded, then its handler ----------------------------------

using Route = void (*)(Row&, const Json& input);

template <typename Input, void (*kHandler)(Row&, const Input&)>
void Run(Row& r, const Json& input) {
  auto decoded = link::DecodeSimInput<Input>(input);
  if (!decoded.ok()) return r.reply(LockOps::FromStatus(decoded.status()));
  kHandler(r, *decoded);
}

constexpr auto kRoutes = link::EnumTable<SimInput, Route>({
    {SimInput::kKeypad, Run<link::SimKeypad, Keypad>},
    {SimInput::kRfid, Run<link::SimRfid, Rfid>},
    {SimInput::kFinger, Run<link::SimBiometric, Biometric>},
    {SimInput::kFace, Run<link::SimBiometric, Biometric>},
    {SimInput::kButton, Run<link::SimNothing, Button>},
    {SimInput::kThumbturn, Run<link::SimByHand, ByHand>},
    {SimInput::kKey, Run<link::SimByHand, ByHand>},
    {SimInput::kDoor, Run<link::SimDoor, Door>},
    {SimInput::kBattery, Run<link::SimBattery, Battery>},
    {SimInput::kExternalPower, Run<link::SimConnected, ExternalPower>},
    {SimInput::kTamper, Run<link::SimNothing, Tamper>},
    {SimInput::kJam, Run<link::SimJam, Jam>},
    {SimInput::kClock, Run<link::SimClock, Clock>},
    {SimInput::kPowerCycle, Run<link::SimNothing, PowerCycle>},
    {SimInput::kNetwork, Run<link::SimConnected, Network>},
});

}  // namespace

SimWorld::SimWorld(LockRuntime& runtime, hal::sim::SimBoard& board, Hooks hooks)
    : runtime_(runtime), board_(board), hooks_(std::move(hooks)) {}

bool SimWorld::Handles(SimInput what) { return kRoutes[static_cast<std::size_t>(what)] != nullptr; }

void SimWorld::Handle(const Json& args, Reply reply) {
  auto request = link::DecodeRequest<link::SimRequest>(args);
  if (!request.ok()) return reply(LockOps::FromStatus(request.status()));
  Handle(*request, std::move(reply));
}

void SimWorld::Handle(const link::SimRequest& request, Reply reply) {
  hal::InputSink* sink = board_.sink();
  if (sink == nullptr) return reply(LockOps::Error("invalid", "the lock is not running"));
  const auto what = link::ParseSimInput(request.what);
  if (!what) return reply(LockOps::Error("invalid", "unknown sim input '" + request.what.substr(0, 32) + "'"));
  Row row{*this, *sink, *what, reply};
  kRoutes[static_cast<std::size_t>(*what)](row, request.input);
}

}  // namespace latchkey::device
