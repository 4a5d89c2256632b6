// The rows of API.md's sim table (the `what` of a link `sim` request and of the sim-control
// server's POST /sim/<what>) as an enum, and each row's fields as a struct with one field table
// (wire/field_table.h), decoded strictly from the request's `input`:
//
//   ParseSimInput("door")                                  // SimInput::kDoor
//   DecodeSimInput<SimDoor>(Json{{"state", "open"}})       // SimDoor{.state = "open"}
//   DecodeSimInput<SimDoor>(Json{{"stat", "open"}})        // kInvalid "stat: is not a known field"
//
// Adding a row: a value here (before kCount) with its name in EnumNames<SimInput> below, its struct, its
// handler in device/sim_world.cc (tests/unit/link_ops_test.cc checks each has one).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/types.h"
#include "link/enum_table.h"
#include "wire/field_table.h"

namespace latchkey::link {

enum class SimInput {
  kKeypad,
  kRfid,
  kFinger,
  kFace,
  kButton,
  kThumbturn,
  kKey,
  kDoor,
  kBattery,
  kExternalPower,
  kTamper,
  kJam,
  kClock,
  kPowerCycle,
  kNetwork,
  kCount,  // not a row: how many there are
};

inline constexpr std::size_t kSimInputCount = kEnumCount<SimInput>;

}  // namespace latchkey::link

template <>
struct latchkey::core::EnumNames<latchkey::link::SimInput> {
  static constexpr auto kNames = std::to_array<std::string_view>(
      {"keypad", "rfid", "finger", "face", "button", "thumbturn", "key", "door", "battery", "external_power",
       "tamper", "jam", "clock", "power_cycle", "network"});
  static_assert(kNames.size() == latchkey::link::kSimInputCount, "one name per row");
};

namespace latchkey::link {

constexpr std::string_view ToString(SimInput input) { return core::ToString(input); }
constexpr std::optional<SimInput> ParseSimInput(std::string_view name) { return core::Parse<SimInput>(name); }

#define LATCHKEY_SIM_FIELDS(T) static const wire::FieldTable<T>& Fields()

struct SimNothing {  // button, tamper, power_cycle
  LATCHKEY_SIM_FIELDS(SimNothing);
};
struct SimKeypad {
  std::string keys{};  // at most 64 bytes
  LATCHKEY_SIM_FIELDS(SimKeypad);
};
struct SimRfid {
  std::string uid{};
  LATCHKEY_SIM_FIELDS(SimRfid);
};
struct SimBiometric {  // finger, face
  std::string template_id{};  // "template"
  LATCHKEY_SIM_FIELDS(SimBiometric);
};
struct SimByHand {  // thumbturn, key
  std::string action{};  // "lock" or "unlock"
  LATCHKEY_SIM_FIELDS(SimByHand);
};
struct SimDoor {
  std::string state{};  // "open" or "closed"
  LATCHKEY_SIM_FIELDS(SimDoor);
};
struct SimBattery {  // exactly one of the two
  std::optional<uint32_t> millivolts{};
  std::optional<uint32_t> percent{};  // 0..100
  LATCHKEY_SIM_FIELDS(SimBattery);
};
struct SimConnected {  // external_power, network
  bool connected = false;
  LATCHKEY_SIM_FIELDS(SimConnected);
};
struct SimJam {
  bool next = false;
  LATCHKEY_SIM_FIELDS(SimJam);
};
struct SimClock {  // exactly one of the two
  std::optional<uint64_t> advance_s{};  // 0..366 days
  std::optional<std::string> set{};     // RFC 3339
  LATCHKEY_SIM_FIELDS(SimClock);
};

#undef LATCHKEY_SIM_FIELDS

template <typename R>
nlohmann::json EncodeSimInput(const R& input) {
  return R::Fields().Encode(input);
}
template <typename R>
core::Result<R> DecodeSimInput(const nlohmann::json& input) {
  return R::Fields().Decode(input);
}

}  // namespace latchkey::link
