// The rows of API.md's sim table, applied to a simulated lock: each moves the simulated
// physical world (hal/sim) and lets the lock react as it would to real parts. Reached through
// the link's `sim` op and through the lock's own loopback sim-control server.
#pragma once

#include <functional>

#include "device/lock_runtime.h"
#include "hal/sim/sim_board.h"
#include "link/message.h"
#include "link/op_requests.h"
#include "link/sim_inputs.h"

namespace latchkey::device {

class SimWorld {
 public:
  using Reply = std::function<void(link::Json response_body)>;
  struct Hooks {
    std::function<void(bool connected)> set_network;  // the link to the hub is cut or restored
    std::function<link::Json()> state;                // the lock object after the change
  };

  SimWorld(LockRuntime& runtime, hal::sim::SimBoard& board, Hooks hooks);

  // `args` is {"what": "<row>", ...that row's body}. `reply` is called exactly once. The row's
  // fields (link/sim_inputs.h) are decoded and handed to its handler through a table with one
  // entry per link::SimInput; an unknown row is `invalid` "unknown sim input '<what>'".
  void Handle(const link::Json& args, Reply reply);
  void Handle(const link::SimRequest& request, Reply reply);
  // Whether `what` has a handler (every link::SimInput must: tests/unit/link_ops_test.cc).
  static bool Handles(link::SimInput what);
  void SetWallClock(int64_t wall_ms) { board_.sim_clock().SetWall(wall_ms); }

  struct Row;  // what a row's handler gets (sim_world.cc)

 private:
  LockRuntime& runtime_;
  hal::sim::SimBoard& board_;
  Hooks hooks_;
};

}  // namespace latchkey::device
