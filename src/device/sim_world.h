// The rows of API.md's sim table, applied to a simulated lock: each moves the simulated
// physical world (hal/sim) and lets the lock react as it would to real parts. Reached through
// the link's `sim` op and through the lock's own loopback sim-control server.
#pragma once

#include <functional>

#include "device/lock_runtime.h"
#include "hal/sim/sim_board.h"
#include "link/message.h"

namespace latchkey::device {

class SimWorld {
 public:
  using Reply = std::function<void(link::Json response_body)>;
  struct Hooks {
    std::function<void(bool connected)> set_network;  // the link to the hub is cut or restored
    std::function<link::Json()> state;                // the lock object after the change
  };

  SimWorld(LockRuntime& runtime, hal::sim::SimBoard& board, Hooks hooks);

  // `args` is {"what": "<row>", ...that row's body}. `reply` is called exactly once.
  void Handle(const link::Json& args, Reply reply);
  void SetWallClock(int64_t wall_ms) { board_.sim_clock().SetWall(wall_ms); }

 private:
  link::Json Decision(const core::Result<core::Decision>& decision);

  LockRuntime& runtime_;
  hal::sim::SimBoard& board_;
  Hooks hooks_;
};

}  // namespace latchkey::device
