// The cost of one access decision as the number of stored credentials grows. The lock must
// decide as fast with 65534 credentials as with 100 (LOCK-SEMANTICS.md 1).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/lock.h"
#include "core/testing/fakes.h"
#include "crypto/sodium_crypto.h"
#include "platform/tz_zone_rules.h"

namespace {

using namespace latchkey::core;

// PINs 10000000 + i, so every one is distinct and 8 digits long.
std::string PinFor(int64_t i) { return std::to_string(10'000'000 + i); }

// A lock holding `n` PIN credentials, one user each, wired to in-memory seams.
struct Rig {
  explicit Rig(int64_t n) : crypto(latchkey::crypto::RandomKey()) {
    LockConfig config;
    config.capabilities.max_users = 65534;
    config.capabilities.credentials_per_user = 1;
    config.motor_ms = 0;
    LockEnv env{&clock, &crypto, &zones, &store, &bolt, &feedback, nullptr};
    lock = std::move(Lock::Open(config, env)).value();
    const Actor owner{Source::kRemote, "owner", true};
    SettingsPatch patch;
    patch.wrong_code_limit = 255;
    patch.lockout_s = 1;
    patch.lockout_escalation = false;
    (void)lock->UpdateSettings(patch, owner);
    for (int64_t i = 0; i < n; ++i) {
      CredentialRequest request;
      request.data = PinFor(i);
      if (!lock->AddCredential(request, owner).ok()) std::abort();
      if (i % 1000 == 0) (void)lock->AckEvents(lock->last_seq());
    }
    (void)lock->AckEvents(lock->last_seq());
  }
  testing::FakeClock clock;
  testing::MemoryLockStore store;
  testing::FakeBolt bolt;
  testing::RecordingFeedback feedback;
  latchkey::crypto::SodiumCrypto crypto;
  latchkey::platform::TzZoneRules zones;
  std::unique_ptr<Lock> lock;
};

void BM_Decide(benchmark::State& state) {
  Rig rig(state.range(0));
  const std::string pin = PinFor(state.range(0) / 2);
  int64_t i = 0;
  for (auto _ : state) {
    auto decision = rig.lock->Present(Source::kKeypad, pin);
    if (!decision.ok() || decision->result != DecisionResult::kGranted) state.SkipWithError("not granted");
    if (++i % 4096 == 0) {
      state.PauseTiming();
      (void)rig.lock->AckEvents(rig.lock->last_seq());
      rig.feedback.entries.clear();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecideWrongPin(benchmark::State& state) {
  Rig rig(state.range(0));
  int64_t i = 0;
  for (auto _ : state) {
    auto decision = rig.lock->Present(Source::kKeypad, "99999999");
    if (!decision.ok() || decision->reason != AccessError::kInvalidCredential) state.SkipWithError("not refused");
    if (++i % 250 == 0) {  // before the 255th wrong code: let the counter reset with a grant
      state.PauseTiming();
      (void)rig.lock->Present(Source::kKeypad, PinFor(0));
      (void)rig.lock->AckEvents(rig.lock->last_seq());
      rig.feedback.entries.clear();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Decide)->Arg(100)->Arg(10000)->Arg(65534)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecideWrongPin)->Arg(100)->Arg(10000)->Arg(65534)->Unit(benchmark::kMicrosecond);

}  // namespace
