// The core's ZoneRules seam on Howard Hinnant's date/tz over the system's IANA database
// (/usr/share/zoneinfo, Debian's tzdata).
#pragma once

#include "core/env.h"

namespace latchkey::platform {

class TzZoneRules : public core::ZoneRules {
 public:
  bool IsKnownZone(std::string_view zone) const override;
  std::optional<core::LocalTime> ToLocal(std::string_view zone, int64_t utc_ms) const override;
};

// The system clocks: CLOCK_MONOTONIC and CLOCK_REALTIME.
class SystemClock : public core::Clock {
 public:
  int64_t MonotonicMs() const override;
  int64_t WallMs() const override;
};

}  // namespace latchkey::platform
