#include "hub/env.h"

#include <sodium.h>

#include <cstdlib>

#include "platform/tz_zone_rules.h"

namespace latchkey::hub {
namespace {

class SystemEnv final : public Env {
 public:
  SystemEnv() {
    if (sodium_init() < 0) std::abort();  // no random source: no safe token can exist
  }
  const core::Clock& clock() const override { return clock_; }
  void RandomBytes(std::span<uint8_t> out) override { randombytes_buf(out.data(), out.size()); }

 private:
  platform::SystemClock clock_;
};

}  // namespace

Env& Env::System() {
  static SystemEnv env;
  return env;
}

}  // namespace latchkey::hub
