// A hub Env for tests: core's FakeClock (moves only when told) and a deterministic random
// stream, so that a test can mint tokens, pass their expiry and replay the same run.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "core/testing/fakes.h"
#include "hub/env.h"

namespace latchkey::hub::testing {

class FakeEnv final : public Env {
 public:
  explicit FakeEnv(uint64_t seed = 1) { std::memcpy(seed_.data(), &seed, sizeof seed); }
  const core::Clock& clock() const override { return clock_; }
  core::testing::FakeClock& clock() { return clock_; }
  // Different bytes on every call, the same sequence in every run with the same seed.
  void RandomBytes(std::span<uint8_t> out) override {
    ++calls_;
    std::memcpy(seed_.data() + 24, &calls_, sizeof calls_);
    randombytes_buf_deterministic(out.data(), out.size(), seed_.data());
  }

 private:
  core::testing::FakeClock clock_;
  std::array<uint8_t, randombytes_SEEDBYTES> seed_{};
  uint64_t calls_ = 0;
};

}  // namespace latchkey::hub::testing
