// The seams through which the world reaches the hub: its clocks and its randomness. The hub's
// logic reads neither a clock nor a random source itself; `Env::System()` does in the shipped
// binary, and tests hand the Hub a FakeEnv (hub/testing/fake_env.h) whose clock moves only when
// told, so that token expiry, validity windows, rate limits and delivery back-off are decided
// in microseconds instead of being waited for:
//
//   hub::testing::FakeEnv env;
//   Hub hub(io, options, env);
//   ... mint a token that expires in an hour ...
//   env.clock().Advance(3'600'001);   // the next request with it is refused
//
// (Asio's timers still run on the steady clock: they decide *when* the hub looks again, never
// *what* it decides; every decision reads Env.)
#pragma once

#include <cstdint>
#include <span>

#include "core/env.h"

namespace latchkey::hub {

class Env {
 public:
  virtual ~Env() = default;
  // Wall time for expiry, windows and event times; monotonic time for durations.
  virtual const core::Clock& clock() const = 0;
  // Fills `out` from a cryptographically secure source (tokens, ids, passwords, secrets).
  virtual void RandomBytes(std::span<uint8_t> out) = 0;

  // Milliseconds since the Unix epoch, UTC.
  int64_t NowMs() const { return clock().WallMs(); }

  // The real world: CLOCK_REALTIME, CLOCK_MONOTONIC and libsodium's randombytes.
  static Env& System();
};

}  // namespace latchkey::hub
