// Setting the real-time clock: the rollback and forward-jump checks and the lock's own
// estimate of the time that the second one is measured against (lock.h, AcceptClock;
// SECURITY.md "Clocks can be wrong").
#include <algorithm>
#include <map>
#include <string>

#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

std::string Hours(int64_t ms) { return std::to_string(ms / (3600 * 1000)) + " h"; }

}  // namespace

std::optional<int64_t> Lock::Impl::WallEstimate() const {
  if (!estimate_wall_) return std::nullopt;
  return *estimate_wall_ + (Now() - estimate_mono_);
}

void Lock::Impl::AnchorEstimate(int64_t wall_ms) {
  estimate_wall_ = wall_ms;
  estimate_mono_ = Now();
}

void Lock::Impl::MoveExpiringDeadlines(int64_t by_ms) {
  std::multimap<int64_t, UserIndex> moved;
  for (const auto& [deadline, index] : expiring_deadlines_) {
    moved.emplace(deadline + by_ms, index);
    if (User* user = FindUser(index); user != nullptr && user->expires_at_ms) {
      *user->expires_at_ms += by_ms;
      StageUser(*user);
    }
  }
  expiring_deadlines_.swap(moved);
}

Status Lock::AcceptClock(int64_t wall_ms, const Actor& actor, bool forced) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  const int64_t before = m.Wall();
  // An untrusted clock may read anything: only what the lock saw while it was trusted counts.
  const int64_t latest = m.rt_.clock_trusted ? std::max(m.rt_.latest_wall_ms, before) : m.rt_.latest_wall_ms;
  if (!forced) {
    if (wall_ms < latest - m.config_.clock_rollback_tolerance_ms) {
      return Status::Invalid("time: is earlier than the latest time the lock has seen; the owner can set it with force");
    }
    // Measured against the estimate only while it runs on from a time the lock trusted: after a
    // total power loss the time spent off is unknown, and the hub's time is taken as at pairing.
    const std::optional<int64_t> estimate = m.WallEstimate();
    if (m.rt_.clock_trusted && estimate && wall_ms > *estimate + m.config_.clock_forward_bound_ms) {
      return Status::Invalid("time: is more than " + Hours(m.config_.clock_forward_bound_ms) +
                             " ahead of the lock's own estimate of the time; the owner can set it with force");
    }
  }
  m.rt_.clock_trusted = true;
  // Forced, the time set is the latest seen, even when earlier: that is the way back.
  m.rt_.latest_wall_ms = forced ? wall_ms : std::max(latest, wall_ms);
  m.AnchorEstimate(wall_ms);
  if (wall_ms < before) m.MoveExpiringDeadlines(wall_ms - before);
  // The event and the runtime state are written as if the clock read `wall_ms` already: the
  // caller sets it once this returns, and a Commit that read the old clock would make its
  // reading the latest time seen again.
  m.wall_being_set_ = wall_ms;
  m.Record(ClockEvent(before, wall_ms, forced, actor));
  const Status committed = m.Commit();
  m.wall_being_set_.reset();
  return committed;
}

}  // namespace latchkey::core
