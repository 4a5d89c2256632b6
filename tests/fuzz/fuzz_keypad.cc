// libFuzzer target: the keypad (core::Lock::PressKeys), with the in-memory fakes of
// core/testing/fakes.h, the real libsodium crypto and the system's zone rules, wired as
// tests/unit/lock_fixture.cc does.
//
// Each input is a fresh lock with a programming PIN, an unrestricted user, a disposable user
// and a remote-only user. Input bytes: digits, '*' and '#' are keys; '\n' hands the keys typed
// so far to PressKeys; a byte >= 0x80 does that and then lets time pass ((b & 0x7F)^2 / 4 s,
// up to 67 min); any other byte is a key the keypad does not have. Checks:
//   - a call with a key that is not a digit, '*' or '#' (or more than 64 keys) is refused with
//     kInvalid and changes nothing; every other call succeeds;
//   - a decision comes back exactly when a code was submitted; a granted one names its user and
//     came from one of the lock's PINs (never from any other code); a denied one has a reason;
//   - afterwards the event log runs from seq 1 without a gap and its hash chain verifies from
//     the zero hash, the observer saw exactly the stored events, and once every lockout is over
//     the user's PIN opens the lock.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/lock.h"
#include "fuzz_check.h"
#include "fuzz_lock.h"

namespace {

namespace core = latchkey::core;

constexpr std::string_view kProgrammingPin = "246801";
constexpr std::string_view kUserPin = "135790";
constexpr std::string_view kDisposablePin = "11223344";
constexpr std::string_view kRemoteOnlyPin = "975310";

struct World : latchkey::fuzz::FuzzLock {
  core::UserIndex programming_user = 0, user = 0, disposable_user = 0, remote_only_user = 0;

  World() {
    config.motor_ms = 400;
    Open();
    programming_user = AddCredential(core::CredentialType::kProgrammingPin, kProgrammingPin, 0);
    user = AddCredential(core::CredentialType::kPin, kUserPin, std::nullopt, core::UserType::kUnrestricted);
    disposable_user = AddCredential(core::CredentialType::kPin, kDisposablePin, std::nullopt, core::UserType::kDisposable);
    remote_only_user = AddCredential(core::CredentialType::kPin, kRemoteOnlyPin, std::nullopt, core::UserType::kRemoteOnly);
  }

  // Which user a code entered at the keypad belongs to, if any.
  std::optional<core::UserIndex> OwnerOf(std::string_view code) const {
    if (code == kProgrammingPin) return programming_user;
    if (code == kUserPin) return user;
    if (code == kDisposablePin) return disposable_user;
    if (code == kRemoteOnlyPin) return remote_only_user;
    return std::nullopt;
  }
};

bool IsKey(char c) { return (c >= '0' && c <= '9') || c == '*' || c == '#'; }

// What a call's keys submit, as far as the keys themselves show it: digits typed in an earlier
// call may still be in the keypad's buffer (or may have timed out), so until a '*' or a '#' the
// buffer is not known.
struct Submitted {
  bool surely = false;             // at least one code was submitted
  enum { kNone, kKnown, kUnknown } last = kNone;  // the last submission
  std::string code;                // the last submission, when kKnown
};

Submitted Model(std::string_view keys, std::size_t max_pin_length) {
  Submitted out;
  bool known = false;  // whether the buffer's content is known
  std::string buffer;
  for (char c : keys) {
    if (c == '*') {
      known = true;
      buffer.clear();
    } else if (c == '#') {
      if (known && buffer.empty()) continue;  // an empty buffer submits nothing
      if (known) {
        out.last = Submitted::kKnown;
        out.code = buffer;
        out.surely = true;
      } else {
        out.last = Submitted::kUnknown;  // earlier digits, or nothing at all
        out.surely = out.surely || !buffer.empty();
      }
      known = true;
      buffer.clear();
    } else if (buffer.size() <= max_pin_length) {
      buffer.push_back(c);
    }
  }
  return out;
}

void Press(World& w, const std::string& keys) {
  if (keys.empty()) return;
  core::Lock& lock = *w.lock;
  const uint64_t seq_before = lock.last_seq();
  const std::size_t writes_before = w.store.write_count();
  const bool valid = keys.size() <= 64 && std::all_of(keys.begin(), keys.end(), IsKey);
  auto result = lock.PressKeys(keys);
  if (!valid) {
    FUZZ_CHECK(!result.ok() && result.status().code() == core::Code::kInvalid, "bad keys were not refused");
    FUZZ_CHECK(lock.last_seq() == seq_before && w.store.write_count() == writes_before,
               "refused keys changed the lock");
    return;
  }
  FUZZ_CHECK(result.ok(), "PressKeys failed on keys the keypad has");
  const std::optional<core::Decision>& decision = *result;
  const Submitted model = Model(keys, lock.capabilities().max_pin_length);
  FUZZ_CHECK(decision.has_value() || !model.surely, "a code was submitted and no decision came back");
  FUZZ_CHECK(!decision.has_value() || model.last != Submitted::kNone, "a decision without a submitted code");
  if (!decision) return;
  if (decision->result == core::DecisionResult::kDenied) {
    FUZZ_CHECK(decision->reason.has_value(), "a refusal without a reason");
  } else {
    FUZZ_CHECK(!decision->reason.has_value(), "a reason on a decision that was not a refusal");
  }
  if (decision->result == core::DecisionResult::kGranted) {
    FUZZ_CHECK(decision->user.has_value(), "access granted to no user");
    if (model.last == Submitted::kKnown) {
      const auto owner = w.OwnerOf(model.code);
      FUZZ_CHECK(owner.has_value(), "a code that is none of the lock's PINs opened it");
      FUZZ_CHECK(*owner == *decision->user, "access granted to another user than the code's");
      FUZZ_CHECK(*owner != w.remote_only_user, "a remote-only PIN worked at the keypad");
    }
  }
  const core::LockStatus status = lock.status();
  FUZZ_CHECK(status.last_seq == lock.last_seq(), "status and log disagree on the last seq");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size > World::kMaxInput) return 0;
  World w;
  std::string keys;
  for (const uint8_t b : std::span(data, size)) {
    if (b == '\n') {
      Press(w, keys);
      keys.clear();
    } else if (b >= 0x80) {
      Press(w, keys);
      keys.clear();
      const int64_t n = b & 0x7F;
      w.Advance(n * n * 250);
    } else {
      keys.push_back(static_cast<char>(b));
      if (keys.size() > 70) {  // a long run is refused whole (at most 64 keys a call)
        Press(w, keys);
        keys.clear();
      }
    }
  }
  Press(w, keys);

  // The lock still answers, and its log verifies.
  FUZZ_CHECK(w.lock->Tick().ok(), "Tick after the keys");
  w.CheckLog();

  // Once every lockout is over (lockout_max_s is 3600 by default), the user's PIN works.
  w.Advance(3601 * 1000);
  auto decision = w.lock->Present(core::Source::kKeypad, kUserPin);
  FUZZ_CHECK(decision.ok(), "Present after the keys");
  if (decision->result != core::DecisionResult::kGranted) {
    std::fprintf(stderr, "refused: %s\n",
                 decision->reason ? std::string(core::ToString(*decision->reason)).c_str() : "(no reason)");
  }
  FUZZ_CHECK(decision->result == core::DecisionResult::kGranted && decision->user == w.user,
             "the user's PIN no longer opens the lock");
  w.CheckLog();
  return 0;
}
