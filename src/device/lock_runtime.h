// The lock daemon's runtime: the core Lock over a hardware Board and a durable store, driven by
// one Asio event loop. It turns hardware inputs into core calls, keeps the core's timers
// armed (and ticks at least once a second for wall-clock edges), checkpoints running durations,
// and tells its listeners (the link) about every stored event and change of state.
#pragma once

#include "platform/asio.h"

#include <functional>
#include <memory>
#include <vector>

#include "core/lock.h"
#include "hal/board.h"

namespace latchkey::device {

class LockRuntime : public hal::InputSink, public core::LockObserver {
 public:
  struct Listener {
    std::function<void(const core::Event&)> on_event;
    std::function<void(const core::LockStatus&)> on_status;
  };

  LockRuntime(boost::asio::io_context& io, hal::Board& board, core::LockStore& store, core::Crypto& crypto,
              core::ZoneRules& zones, core::LockConfig config);
  ~LockRuntime() override;

  // Opens the core from the store and starts the timers.
  core::Status Start();
  core::Lock& lock() { return *lock_; }
  hal::Board& board() { return board_; }
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // The lock loses power and boots again: the core is dropped and opened anew from the store.
  core::Status PowerCycle();
  // Calls `done` once the bolt has stopped moving (at once if it is not moving).
  void WhenBoltStops(std::function<void(const core::LockStatus&)> done);
  // After any call into the lock from outside the runtime: re-arm the timer for the next due.
  void Reschedule();

  // hal::InputSink
  core::Result<std::optional<core::Decision>> OnKeypad(std::string_view keys) override;
  core::Result<core::Decision> OnRfid(std::string_view uid_hex) override;
  core::Result<core::Decision> OnFingerprint(std::string_view template_ref) override;
  core::Result<core::Decision> OnFace(std::string_view template_ref) override;
  core::Result<core::Decision> OnOutsideButton() override;
  core::Status OnManualBolt(core::Source source, core::Operation operation) override;
  core::Status OnDoor(bool open) override;
  core::Status OnTamper() override;
  core::Status OnBattery(uint32_t millivolts) override;
  core::Status OnExternalPower(bool connected) override;

  // core::LockObserver
  void OnEvent(const core::Event& event) override;
  void OnStatusChanged(const core::LockStatus& status) override;

 private:
  core::Status Open();
  void OnTimer();
  void OnSecond();
  template <typename T>
  T After(T result) {
    Reschedule();
    return result;
  }

  boost::asio::io_context& io_;
  hal::Board& board_;
  core::LockStore& store_;
  core::Crypto& crypto_;
  core::ZoneRules& zones_;
  core::LockConfig config_;
  std::unique_ptr<core::Lock> lock_;
  boost::asio::steady_timer deadline_timer_;
  boost::asio::steady_timer second_timer_;
  int seconds_ = 0;
  Listener listener_;
  std::vector<std::function<void(const core::LockStatus&)>> waiting_for_bolt_;
};

}  // namespace latchkey::device
