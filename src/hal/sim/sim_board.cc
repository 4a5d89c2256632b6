#include "hal/sim/sim_board.h"

namespace latchkey::hal::sim {

namespace {
int64_t RealMonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t RealWallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int64_t SimClock::MonotonicMs() const { return RealMonotonicMs() + mono_offset_; }
int64_t SimClock::WallMs() const { return RealWallMs() + wall_offset_; }
void SimClock::Advance(int64_t ms) {
  mono_offset_ += ms;
  wall_offset_ += ms;
}
void SimClock::SetWall(int64_t wall_ms) { wall_offset_ = wall_ms - RealWallMs(); }
// After a reboot the monotonic clock counts from somewhere else; a large jump makes any code
// that wrongly kept monotonic deadlines across a reboot fail loudly in tests.
void SimClock::RebootMonotonic() { mono_offset_ -= 7 * 24 * 3600 * 1000LL; }

void SimBolt::Drive(core::BoltTarget target) {
  if (jam_next_) {
    jam_next_ = false;
    position_ = core::BoltSense::kBetween;
    return;
  }
  switch (target) {
    case core::BoltTarget::kLocked: position_ = core::BoltSense::kLocked; break;
    case core::BoltTarget::kUnlocked: position_ = core::BoltSense::kUnlocked; break;
    case core::BoltTarget::kUnlatched: position_ = core::BoltSense::kUnlatched; break;
  }
}

void SimFeedback::Indicate(core::Signal signal, core::SoundVolume) { last_ = signal; }

}  // namespace latchkey::hal::sim
