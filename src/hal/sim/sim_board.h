// The simulated lock: a physical world (bolt, motor, door, battery, power bank, cover, clocks)
// driven through the rows of API.md's sim table. Each input goes to the attached InputSink as
// real hardware would deliver it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "hal/board.h"

namespace latchkey::hal::sim {

// Real time plus what the simulation added: `advance` moves both clocks, `set` moves the wall
// clock alone, and a power cycle restarts the monotonic clock from another value.
class SimClock : public core::Clock {
 public:
  int64_t MonotonicMs() const override;
  int64_t WallMs() const override;
  void Advance(int64_t ms);
  void SetWall(int64_t wall_ms);
  void RebootMonotonic();

 private:
  int64_t mono_offset_ = 0;
  int64_t wall_offset_ = 0;
};

class SimBolt : public core::BoltActuator {
 public:
  void Drive(core::BoltTarget target) override;
  core::BoltSense Sense() const override { return position_; }
  void JamNext(bool jam) { jam_next_ = jam; }
  // A hand turned the bolt (thumbturn or key).
  void MoveByHand(core::BoltSense position) { position_ = position; }

 private:
  core::BoltSense position_ = core::BoltSense::kLocked;
  bool jam_next_ = false;
};

// Remembers the last signal, so a simulated input can say what the person heard.
class SimFeedback : public core::Feedback {
 public:
  void Indicate(core::Signal signal, core::SoundVolume volume) override;
  std::optional<core::Signal> last() const { return last_; }

 private:
  std::optional<core::Signal> last_;
};

class SimBoard : public Board {
 public:
  core::BoltActuator& bolt() override { return bolt_; }
  core::Feedback& feedback() override { return feedback_; }
  core::Clock& clock() override { return clock_; }
  bool rtc_valid() const override { return true; }  // the sim lock's RTC has a backup cell
  void Attach(InputSink* sink) override { sink_ = sink; }

  // The world's side.
  InputSink* sink() const { return sink_; }
  SimBolt& sim_bolt() { return bolt_; }
  SimClock& sim_clock() { return clock_; }
  SimFeedback& sim_feedback() { return feedback_; }

 private:
  SimBolt bolt_;
  SimFeedback feedback_;
  SimClock clock_;
  InputSink* sink_ = nullptr;
};

}  // namespace latchkey::hal::sim
