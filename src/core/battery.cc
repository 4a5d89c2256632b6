#include "core/battery.h"

#include <array>

namespace latchkey::core {
namespace {

struct Point {
  uint32_t millivolts;
  uint32_t percent;
};
// Four AA alkaline cells under a lock's light load.
constexpr std::array<Point, 6> kCurve = {{
    {4400, 0}, {4600, 5}, {4800, 20}, {5200, 50}, {5600, 80}, {6000, 100},
}};

}  // namespace

uint32_t BatteryPercent(uint32_t millivolts) {
  if (millivolts <= kCurve.front().millivolts) return 0;
  if (millivolts >= kCurve.back().millivolts) return 100;
  for (std::size_t i = 1; i < kCurve.size(); ++i) {
    const Point lo = kCurve[i - 1], hi = kCurve[i];
    if (millivolts <= hi.millivolts) {
      return lo.percent + (millivolts - lo.millivolts) * (hi.percent - lo.percent) /
                              (hi.millivolts - lo.millivolts);
    }
  }
  return 100;
}

uint32_t BatteryMillivolts(uint32_t percent) {
  if (percent == 0) return kCurve.front().millivolts;
  if (percent >= 100) return kCurve.back().millivolts;
  for (std::size_t i = 1; i < kCurve.size(); ++i) {
    const Point lo = kCurve[i - 1], hi = kCurve[i];
    if (percent <= hi.percent) {
      // The curve is monotonic: the first voltage of this segment that reads `percent`.
      uint32_t mv = lo.millivolts;
      while (mv < hi.millivolts && BatteryPercent(mv) < percent) ++mv;
      return mv;
    }
  }
  return kCurve.back().millivolts;
}

}  // namespace latchkey::core
