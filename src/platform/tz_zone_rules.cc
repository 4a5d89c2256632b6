#include "platform/tz_zone_rules.h"

#include <date/tz.h>

#include <chrono>
#include <exception>
#include <string>

namespace latchkey::platform {
namespace {

// date/tz reports an unknown zone by throwing; the core's seam reports it as nullopt.
const date::time_zone* FindZone(std::string_view zone) {
  if (zone.empty() || zone.size() > 64) return nullptr;
  try {
    return date::locate_zone(std::string(zone));
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

bool TzZoneRules::IsKnownZone(std::string_view zone) const { return FindZone(zone) != nullptr; }

std::optional<core::LocalTime> TzZoneRules::ToLocal(std::string_view zone, int64_t utc_ms) const {
  const date::time_zone* tz = FindZone(zone);
  if (tz == nullptr) return std::nullopt;
  const date::sys_time<std::chrono::milliseconds> sys{std::chrono::milliseconds(utc_ms)};
  const auto local = tz->to_local(sys);
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss hms{local - day};
  core::LocalTime out;
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.hour = static_cast<int>(hms.hours().count());
  out.minute = static_cast<int>(hms.minutes().count());
  out.weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;  // Monday = 0
  return out;
}

int64_t SystemClock::MonotonicMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::WallMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace latchkey::platform
