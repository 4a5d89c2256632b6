#include "link/sim_inputs.h"

#include "core/battery.h"

namespace latchkey::link {

// The hub adds `actor` to every request, a sim input's too.
#define LATCHKEY_SIM_TABLE(T, ...)                                             \
  const wire::FieldTable<T>& T::Fields() {                                     \
    static const auto table = wire::FieldTable<T>("sim").Allow("actor") __VA_ARGS__; \
    return table;                                                              \
  }

LATCHKEY_SIM_TABLE(SimNothing)
LATCHKEY_SIM_TABLE(SimKeypad, .Field("keys", &SimKeypad::keys, {.max_bytes = 64}))
LATCHKEY_SIM_TABLE(SimRfid, .Field("uid", &SimRfid::uid, {.max_bytes = 64}))
LATCHKEY_SIM_TABLE(SimBiometric, .Field("template", &SimBiometric::template_id, {.max_bytes = 64}))
LATCHKEY_SIM_TABLE(SimByHand, .Field("action", &SimByHand::action, {.max_bytes = 16}))
LATCHKEY_SIM_TABLE(SimDoor, .Field("state", &SimDoor::state, {.max_bytes = 16}))
LATCHKEY_SIM_TABLE(SimBattery, .Field("millivolts", &SimBattery::millivolts, {.hi = core::kMaxBatteryMillivolts})
                                   .Field("percent", &SimBattery::percent, {.hi = 100}))
LATCHKEY_SIM_TABLE(SimConnected, .Field("connected", &SimConnected::connected))
LATCHKEY_SIM_TABLE(SimJam, .Field("next", &SimJam::next))
LATCHKEY_SIM_TABLE(SimClock, .Field("advance_s", &SimClock::advance_s, {.hi = 366ull * 24 * 3600})
                                 .Field("set", &SimClock::set, {.max_bytes = 40}))

#undef LATCHKEY_SIM_TABLE

}  // namespace latchkey::link
