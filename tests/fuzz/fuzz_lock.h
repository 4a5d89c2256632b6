// The lock of the keypad fuzzers (fuzz_keypad, fuzz_offline_code): a core::Lock on the
// in-memory fakes of core/testing/fakes.h (a clock only the fuzzer moves, a memory store that
// outlives the Lock, a fake bolt, recorders of feedback and events), the real libsodium crypto
// with a fixed digest key and the system's zone rules, wired as tests/unit/lock_fixture.cc does.
//
//   struct World : latchkey::fuzz::FuzzLock {
//     World() {
//       config.motor_ms = 0;  // the config is read by each Open
//       Open();
//       user = AddCredential(core::CredentialType::kPin, "135790");
//     }
//     core::UserIndex user = 0;
//   };
//
//   World w;
//   auto decision = w.lock->PressKeys("135790#");
//   w.Advance(60'000);  // the lock ticks at each of its deadlines on the way
//   w.CheckLog();       // the whole log verifies and the observer saw exactly it
//
// Header-only: each fuzzer is one source file (tests/fuzz/CMakeLists.txt).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/lock.h"
#include "core/testing/fakes.h"
#include "crypto/sodium_crypto.h"
#include "fuzz_check.h"
#include "platform/tz_zone_rules.h"

namespace latchkey::fuzz {

struct FuzzLock {
  // The longest input worth running: each byte records at most a few events, so the log
  // (10,000 events by default) never wraps and CheckLog verifies it from seq 1 and the zero hash.
  static constexpr std::size_t kMaxInput = 1024;

  // The key of the log's hash chain: fixed, so that a crash replays the same log.
  static crypto::SecretKey DigestKey() {
    crypto::SecretKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
    return key;
  }

  // The hub, as the owner: who adds credentials and changes settings.
  static core::Actor Owner() { return core::Actor{core::Source::kRemote, "owner", true}; }

  // Opens `lock` on the store with `config`: first at the fuzzer's start, again after a reset of
  // `lock` (a power cycle: the store keeps what the lock wrote).
  void Open() {
    const core::LockEnv env{.clock = &clock, .crypto = &crypto, .zones = &zones, .store = &store,
                            .bolt = &bolt, .feedback = &feedback, .observer = &observer};
    auto opened = core::Lock::Open(config, env);
    FUZZ_CHECK(opened.ok(), "Lock::Open on the memory store");
    lock = std::move(opened).value();
  }

  // Adds a credential as the owner; the user it went to.
  core::UserIndex AddCredential(core::CredentialType type, std::string_view data,
                                std::optional<core::CredentialIndex> index = std::nullopt,
                                std::optional<core::UserType> user_type = std::nullopt) {
    core::CredentialRequest request;
    request.type = type;
    request.index = index;
    request.data = std::string(data);
    request.user_type = user_type;
    auto added = lock->AddCredential(request, Owner());
    FUZZ_CHECK(added.ok(), "adding the fuzzer's credentials");
    return added->user;
  }

  // Time passes; the lock is ticked at each of its deadlines that falls due and at least every
  // `max_step` ms (as the runtime does; with no schedules or holidays, the runtime's extra
  // once-a-second tick changes nothing).
  void Advance(int64_t ms, int64_t max_step = std::numeric_limits<int64_t>::max()) {
    while (ms > 0) {
      int64_t step = std::min(ms, max_step);
      if (const auto deadline = lock->NextDeadlineMs()) {
        const int64_t until = *deadline - clock.MonotonicMs();
        if (until > 0 && until < step) step = until;
      }
      clock.Advance(step);
      ms -= step;
      FUZZ_CHECK(lock->Tick().ok(), "Tick");
    }
  }

  // The event log runs from seq 1 to last_seq without a gap, its hash chain verifies from the
  // zero hash, and the observer saw exactly the stored events.
  void CheckLog() const {
    const std::vector<core::Event> events = store.events();
    FUZZ_CHECK(!events.empty() && events.front().seq == 1, "the log does not start at seq 1");
    FUZZ_CHECK(events.back().seq == lock->last_seq() && events.size() == lock->last_seq(),
               "the log has a gap or ends elsewhere than last_seq");
    const auto bad = core::VerifyChain(crypto, core::Digest{}, events);
    if (bad) std::fprintf(stderr, "first event that does not verify: seq %llu\n", static_cast<unsigned long long>(*bad));
    FUZZ_CHECK(!bad.has_value(), "the event log's hash chain does not verify");
    FUZZ_CHECK(observer.events == events, "the observer did not see exactly the stored events");
  }

  core::testing::FakeClock clock;
  core::testing::MemoryLockStore store;
  core::testing::FakeBolt bolt;
  core::testing::RecordingFeedback feedback;
  core::testing::RecordingObserver observer;
  platform::TzZoneRules zones;
  crypto::SodiumCrypto crypto{DigestKey()};
  core::LockConfig config;
  std::unique_ptr<core::Lock> lock;
};

}  // namespace latchkey::fuzz
