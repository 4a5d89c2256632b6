// The lock's side of the link's requests (LINK.md `req` ops): each op's arguments are checked,
// turned into one core call, and answered once the lock has finished (a motor move: once the
// bolt stopped). Errors carry the codes of API.md.
#pragma once

#include <functional>
#include <string_view>

#include "device/lock_runtime.h"
#include "link/message.h"
#include "link/op_answers.h"
#include "link/ops.h"

namespace latchkey::device {

class SimWorld;

class LockOps {
 public:
  using Reply = std::function<void(link::Json response_body)>;  // {"ok":..., "result"|"error"}

  struct Hooks {
    std::function<void()> unpair;  // forget the hub and reopen pairing
  };

  LockOps(LockRuntime& runtime, SimWorld* sim, Hooks hooks);

  // `args` must be an object (or null for none). `reply` is called exactly once. The op's
  // request (link/op_requests.h) is decoded and handed to its handler through a table with one
  // entry per link::Op; an unknown op is `invalid` "unknown op '<name>'".
  void Handle(std::string_view op, const link::Json& args, Reply reply);
  // Whether `op` has a handler (every link::Op must: tests/unit/link_ops_test.cc).
  static bool Handles(link::Op op);

  // Helpers shared with the sim-control server.
  static link::Json Ok(link::Json result);
  static link::Json Error(std::string_view code, std::string_view message, std::string_view reason = {});
  static link::Json FromStatus(const core::Status& status);
  // The lock's state as get_state answers it and the `state` message carries it (status,
  // settings, capabilities), and its link form.
  link::StateAnswer State() const;
  link::Json StateJson() const;
  // Where a simulated lock's own sim-control server listens (shown in the lock object).
  void set_sim_control_url(std::string url) { sim_control_url_ = std::move(url); }

  struct Context;  // what an op's handler gets (lock_ops.cc)

 private:

  LockRuntime& runtime_;
  SimWorld* sim_;
  Hooks hooks_;
  std::string sim_control_url_;
};

}  // namespace latchkey::device
