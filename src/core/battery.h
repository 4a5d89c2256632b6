// The battery's discharge curve: four AA alkaline cells (6.0 V new, 4.4 V empty), piecewise
// linear between measured points. Thresholds: low at 20 %, critical at 5 %.
#pragma once

#include <cstdint>

namespace latchkey::core {

inline constexpr uint32_t kLowBatteryPercent = 20;
inline constexpr uint32_t kCriticalBatteryPercent = 5;
inline constexpr uint32_t kMaxBatteryMillivolts = 20000;  // a reading above this is a sensor fault

uint32_t BatteryPercent(uint32_t millivolts);
// The smallest voltage that reads as `percent` (0..100); the inverse of BatteryPercent.
uint32_t BatteryMillivolts(uint32_t percent);

}  // namespace latchkey::core
