// libFuzzer target: offline guest codes at the keypad (core/lock_offline.cc; OFFLINE-CODES.md),
// on a lock holding an offline-code key, with the in-memory fakes, the real libsodium crypto and
// FF1, wired as tests/unit/lock_fixture.cc does. The fuzzer types keys and drives the clock, the
// hub's calls and power cycles; a model beside the lock (the hub's view: the same key, FF1 and
// check digits, computed apart from the lock's code path) says which codes may open.
//
// Input bytes, one command each:
//   '0'-'9', '*'   keys; '#' submits: the keys so far go to PressKeys in one call ending in it
//   '\n'           the keys so far go to PressKeys without a submission
//   'C' t s d      types the 12 digits the hub would issue: type 1 + t % 3, generation
//                  (held) - 1 + (t / 3) % 4, start (current hour) + (int8)s, duration from d
//   'c' t s d      the same under another key (never valid)
//   'P'            types the lock's 12-digit PIN
//   'V' b          a revocation list of (some of) the last codes made; bit 0: an older version
//   'K' b          set_offline_key with the held key and generation (held) + b % 3
//   'N'            set_offline_key with the other key (the lock starts afresh)
//   'J' b          the real-time clock jumps by (int8)b hours without the lock being told
//   'A'            the hub sets the clock (forced) to what it reads
//   'R' / 'U'      a power cycle; 'U' with a real-time clock that lost power (untrusted)
//   0x80-0xBF      time passes: (b & 0x3F)^2 / 4 seconds; 0xC0-0xFF: (b & 0x3F) hours
// Checks, for every submission (each in its own PressKeys call, so its digits are known):
//   - a grant by an offline code is for digits that decrypt under the held key to a plaintext
//     that unpacks, with check digits of the generation held before or the next one, a trusted
//     clock inside its window (and, over 24 h, first used within 24 h of its start, by this
//     model's record), not on the applied revocation list, and (one-time, clear) never granted
//     before under this key; the decision names the code's window and no user, and the lock is
//     at the next generation exactly when only that one matched;
//   - conversely every code the model accepts is granted (unless the attempt was refused with
//     lockout); the 12-digit PIN is always the PIN user's;
//   - the door's wrong attempts rise by one for each evaluated refusal, fall only to 0 and only
//     with a grant or a lockout that began, and nothing else (time, reboots, hub calls) moves them;
//   - afterwards the log's hash chain verifies from seq 1 and the observer saw exactly the store.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/lock.h"
#include "core/offline_code.h"
#include "crypto/ff1.h"
#include "fuzz_check.h"
#include "fuzz_lock.h"

namespace {

namespace core = latchkey::core;

constexpr std::string_view kLockId = "lk-0a1b2c3d4e5f6071";
constexpr std::string_view kUserPin = "135790";
constexpr std::string_view kLongPin = "123456789012";
constexpr int64_t kHourMs = 3600 * 1000;

core::OfflineCodeKey KeyOf(uint8_t seed) {
  core::OfflineCodeKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 31 + i * 11);
  return key;
}

// LATCHKEY_FUZZ_VERBOSE=1: each submission, the model's reading and the decision on stderr (to
// follow a crashing input).
bool Verbose() {
  static const bool verbose = std::getenv("LATCHKEY_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

std::span<const uint8_t> Tweak() { return {reinterpret_cast<const uint8_t*>(kLockId.data()), kLockId.size()}; }

// What the hub (and so this model) knows the lock should hold.
struct Model {
  int key_index = 0;                               // 0 or 1: which of two keys the lock holds
  uint64_t version = 0;                            // of the revocation list the lock applied
  std::set<std::string> revoked;                   // plaintexts on that list
  std::set<std::string> spent;                     // one-time and clear codes granted
  std::map<std::string, int64_t> first_use_ms;     // windows over 24 h: their first grant
  std::vector<std::string> made;                   // plaintexts of the codes made, newest last

  void Forget() {
    version = 0;
    revoked.clear();
    spent.clear();
    first_use_ms.clear();
  }
};

struct World : latchkey::fuzz::FuzzLock {
  core::UserIndex user = 0, long_user = 0;
  const core::OfflineCodeKey keys[2] = {KeyOf(1), KeyOf(2)};
  int64_t epoch_s = 0;
  Model model;
  // The keypad as the lock keeps it: digits since the last '*' or submission, and when the last
  // key was pressed (the lock forgets the digits keypad_timeout_ms after it).
  std::string buffer;
  int64_t last_key_ms = 0;

  World() {
    config.motor_ms = 0;
    config.lock_id = std::string(kLockId);
    Open();
    user = AddCredential(core::CredentialType::kPin, kUserPin);
    long_user = AddCredential(core::CredentialType::kPin, kLongPin);
    core::SettingsPatch patch;
    patch.max_wrong_per_hour = 60;  // leave the fuzzer room to guess
    FUZZ_CHECK(lock->UpdateSettings(patch, Owner()).ok(), "settings");
    epoch_s = clock.WallMs() / 1000 / 3600 * 3600 - 200 * 3600;
    FUZZ_CHECK(lock->SetOfflineKey(keys[0], epoch_s, 0, Owner()).ok(), "SetOfflineKey");
  }

  const core::OfflineCodeKey& held() const { return keys[model.key_index]; }
  uint32_t generation() const { return lock->offline_codes().generation; }
  uint32_t wrong() const { return lock->status().wrong_attempts; }

  // Time passes (a tick at least every 1000 s), and that alone never moves the wrong attempts.
  void Pass(int64_t ms) {
    const uint32_t before = wrong();
    Advance(ms, 1000 * 1000);
    FUZZ_CHECK(wrong() == before, "time alone moved the wrong attempts");
  }

  void Reboot(bool rtc_valid) {
    const uint32_t before = wrong();
    lock.reset();
    clock.RebootMonotonic(5'000);
    config.rtc_valid = rtc_valid;
    Open();
    buffer.clear();
    FUZZ_CHECK(wrong() == before, "a power cycle moved the wrong attempts");
  }

  // The plaintext the hub issues under the held key.
  std::string Plain(core::OfflineCodeType type, uint32_t generation, int64_t start_hour, uint16_t hours,
                    const core::OfflineCodeKey& key) const {
    const core::OfflineCodeFields fields{type, static_cast<uint32_t>(std::clamp<int64_t>(start_hour, 0, 99999)), hours};
    return core::PackOfflineCode(fields, core::OfflineCodeCheck(crypto, key, generation, fields));
  }
};

// What the model says of 12 typed digits: the plaintext, when they decrypt to one that unpacks.
struct Reading {
  std::optional<std::string> plain;
  std::optional<core::OfflineCodePlain> fields;
  bool matches_held = false, matches_next = false;
  bool accepted = false;  // every rule holds
};

Reading Read(const World& w, const std::string& digits, uint32_t generation, bool clock_trusted) {
  Reading r;
  if (digits.size() != core::kOfflineCodeDigits) return r;
  auto plain = latchkey::crypto::Ff1Decrypt(w.held(), Tweak(), 10, digits);
  if (!plain.ok()) return r;
  r.plain = *plain;
  r.fields = core::UnpackOfflineCode(*plain);
  if (!r.fields) return r;
  const core::OfflineCodeFields& f = r.fields->fields;
  r.matches_held = core::OfflineCodeCheck(w.crypto, w.held(), generation, f) == r.fields->check;
  r.matches_next = generation < UINT32_MAX && core::OfflineCodeCheck(w.crypto, w.held(), generation + 1, f) == r.fields->check;
  if (!r.matches_held && !r.matches_next) return r;
  const int64_t now = w.clock.WallMs();
  const int64_t start = (w.epoch_s + int64_t{f.start_hour} * 3600) * 1000;
  const int64_t end = start + int64_t{f.duration_hours} * kHourMs;
  const bool spent = f.type != core::OfflineCodeType::kWindow && w.model.spent.count(*plain) > 0;
  const bool first_use_ok = f.duration_hours <= core::kOfflineFirstUseHours || now < start + 24 * kHourMs ||
                            w.model.first_use_ms.count(*plain) > 0;
  r.accepted = clock_trusted && start <= now && now < end && w.model.revoked.count(*plain) == 0 && !spent && first_use_ok;
  return r;
}

void Press(World& w, const std::string& keys) {
  if (keys.empty()) return;
  core::Lock& lock = *w.lock;
  // The lock's timers run first: digits typed too long ago are gone.
  if (!w.buffer.empty() && w.clock.MonotonicMs() - w.last_key_ms > static_cast<int64_t>(w.config.keypad_timeout_ms)) {
    w.buffer.clear();
  }
  std::optional<std::string> submitted;
  for (char c : keys) {
    if (c == '*') {
      w.buffer.clear();
    } else if (c == '#') {
      if (!w.buffer.empty()) submitted = w.buffer;
      w.buffer.clear();
    } else if (w.buffer.size() <= std::max<std::size_t>(lock.capabilities().max_pin_length, core::kOfflineCodeDigits)) {
      w.buffer.push_back(c);
    }
  }
  w.last_key_ms = w.clock.MonotonicMs();
  const uint32_t generation = w.generation();
  const core::LockStatus before = lock.status();
  const std::size_t alarms_before = std::count_if(w.observer.events.begin(), w.observer.events.end(), [](const core::Event& e) {
    return e.alarm == core::AlarmKind::kWrongCodeLimit;
  });
  const Reading reading = submitted ? Read(w, *submitted, generation, before.clock_trusted) : Reading{};

  auto result = lock.PressKeys(keys);
  FUZZ_CHECK(result.ok(), "PressKeys failed on keys the keypad has");
  const std::optional<core::Decision>& d = *result;
  if (Verbose() && d) {
    std::fprintf(stderr, "code %s plain %s g%u%s%s model %s: %s %s\n", submitted->c_str(),
                 reading.plain ? reading.plain->c_str() : "-", generation, reading.matches_held ? " held" : "",
                 reading.matches_next ? " next" : "", reading.accepted ? "accepts" : "refuses",
                 std::string(core::ToString(d->result)).c_str(),
                 d->reason ? std::string(core::ToString(*d->reason)).c_str() : "");
  }
  FUZZ_CHECK(d.has_value() == submitted.has_value(), "a decision exactly when a code was submitted");
  const uint32_t wrong = w.wrong();
  if (!d) {
    FUZZ_CHECK(wrong == before.wrong_attempts, "keys without a submission moved the wrong attempts");
    return;
  }
  const std::string& code = *submitted;
  const bool is_pin = code == kUserPin || code == kLongPin;
  if (d->result == core::DecisionResult::kGranted) {
    FUZZ_CHECK(wrong == 0, "a grant leaves the counter at 0");
    FUZZ_CHECK(d->credential.has_value(), "a grant names its credential");
    if (is_pin) {
      FUZZ_CHECK(d->credential->type == core::CredentialType::kPin, "a PIN is tried before an offline code");
      FUZZ_CHECK(d->user == (code == kUserPin ? w.user : w.long_user), "a PIN opens as its user");
      return;
    }
    FUZZ_CHECK(d->credential->type == core::CredentialType::kOfflineCode, "only PINs and offline codes open");
    FUZZ_CHECK(!d->user.has_value(), "an offline code names no user");
    FUZZ_CHECK(reading.accepted, "an offline code opened that the rules refuse");
    const core::OfflineCodeFields& f = reading.fields->fields;
    FUZZ_CHECK(d->credential->window_start_s == w.epoch_s + int64_t{f.start_hour} * 3600 &&
                   d->credential->window_hours == f.duration_hours,
               "the decision names another window than the code's");
    const uint32_t expected = reading.matches_held ? generation : generation + 1;
    FUZZ_CHECK(w.generation() == expected, "the generation moved other than to the code's");
    if (f.type != core::OfflineCodeType::kWindow) w.model.spent.insert(*reading.plain);
    if (f.duration_hours > core::kOfflineFirstUseHours) w.model.first_use_ms.emplace(*reading.plain, w.clock.WallMs());
    return;
  }
  FUZZ_CHECK(d->reason.has_value(), "a refusal has a reason");
  FUZZ_CHECK(w.generation() == generation, "a refused code moved the generation");
  if (*d->reason == core::AccessError::kLockout) {
    FUZZ_CHECK(wrong == before.wrong_attempts, "an attempt refused by a lockout counted");
    return;
  }
  FUZZ_CHECK(!is_pin, "a PIN was refused outside a lockout");
  FUZZ_CHECK(!reading.accepted, "an offline code the rules accept was refused");
  const std::size_t alarms = std::count_if(w.observer.events.begin(), w.observer.events.end(), [](const core::Event& e) {
    return e.alarm == core::AlarmKind::kWrongCodeLimit;
  });
  const bool lockout_began = wrong == 0 && lock.status().lockout_remaining_ms > 0 && alarms > alarms_before;
  FUZZ_CHECK(wrong == before.wrong_attempts + 1 || lockout_began, "a refused code is exactly one wrong attempt");
}

// Three argument bytes of 'C' and 'c' (missing ones read as 0).
uint8_t Arg(const uint8_t* data, std::size_t size, std::size_t i) { return i < size ? data[i] : 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size > World::kMaxInput) return 0;
  World w;
  std::string keys;
  for (std::size_t i = 0; i < size; ++i) {
    const uint8_t b = data[i];
    const auto flush = [&] {
      Press(w, keys);
      keys.clear();
    };
    // Keys go to the lock in calls of at most 64 (PressKeys refuses more).
    const auto type = [&](std::string_view more) {
      for (char c : more) {
        keys.push_back(c);
        if (keys.size() >= 60) flush();
      }
    };
    if ((b >= '0' && b <= '9') || b == '*') {
      type(std::string_view(reinterpret_cast<const char*>(&data[i]), 1));
    } else if (b == '#') {
      keys.push_back('#');
      flush();
    } else if (b == '\n') {
      flush();
    } else if (b == 'C' || b == 'c') {
      const uint8_t t = Arg(data, size, i + 1), s = Arg(data, size, i + 2), d = Arg(data, size, i + 3);
      i += 3;
      const auto code_type = static_cast<core::OfflineCodeType>(1 + t % 3);
      const int64_t generation = std::max<int64_t>(0, int64_t{w.generation()} - 1 + (t / 3) % 4);
      const int64_t now_hour = (w.clock.WallMs() / 1000 - w.epoch_s) / 3600;
      const auto hours = static_cast<uint16_t>(std::min(999, d < 64 ? 1 + d : 65 + (d - 64) * 5));
      const core::OfflineCodeKey& key = b == 'C' ? w.held() : w.keys[1 - w.model.key_index];
      const std::string plain = w.Plain(code_type, static_cast<uint32_t>(generation),
                                        now_hour + static_cast<int8_t>(s), hours, key);
      auto code = latchkey::crypto::Ff1Encrypt(key, Tweak(), 10, plain);
      FUZZ_CHECK(code.ok(), "Ff1Encrypt of 12 digits");
      if (b == 'C') w.model.made.push_back(plain);
      type(*code);
    } else if (b == 'P') {
      type(kLongPin);
    } else if (b == 'V') {
      const uint8_t arg = Arg(data, size, ++i);
      std::vector<std::string> list;
      for (std::size_t k = 0; k < 4 && k < w.model.made.size(); ++k) {
        if (arg & (2u << k)) list.push_back(w.model.made[w.model.made.size() - 1 - k]);
      }
      const bool old = (arg & 1) != 0 && w.model.version > 0;
      const uint64_t version = old ? w.model.version - 1 : w.model.version + 1;
      const uint32_t before = w.wrong();
      auto applied = w.lock->ApplyOfflineRevocations(version, list, w.generation() + ((arg >> 5) & 1), World::Owner());
      FUZZ_CHECK(applied.ok(), "a well-formed revocation list");
      FUZZ_CHECK(w.wrong() == before, "a revocation list moved the wrong attempts");
      if (!old) {
        FUZZ_CHECK(applied->revocations_version == version, "a newer list is applied");
        w.model.version = version;
        w.model.revoked = std::set<std::string>(list.begin(), list.end());
      } else {
        FUZZ_CHECK(applied->revocations_version == w.model.version, "an older list changes nothing");
      }
    } else if (b == 'K') {
      const uint8_t arg = Arg(data, size, ++i);
      const uint32_t held = w.generation();
      auto info = w.lock->SetOfflineKey(w.held(), w.epoch_s, held + arg % 3, World::Owner());
      FUZZ_CHECK(info.ok() && info->generation == held + arg % 3 && info->revocations_version == w.model.version,
                 "the same key raises the generation and keeps the rest");
    } else if (b == 'N') {
      w.model.key_index = 1 - w.model.key_index;
      auto info = w.lock->SetOfflineKey(w.held(), w.epoch_s, 0, World::Owner());
      FUZZ_CHECK(info.ok() && info->generation == 0 && info->remembered == 0 && info->revoked == 0,
                 "another key starts afresh");
      w.model.Forget();
    } else if (b == 'J') {
      const auto hours = static_cast<int8_t>(Arg(data, size, ++i));
      w.clock.SetWall(w.clock.WallMs() + int64_t{hours} * kHourMs);
    } else if (b == 'A') {
      FUZZ_CHECK(w.lock->AcceptClock(w.clock.WallMs(), World::Owner(), /*forced=*/true).ok(), "a forced clock");
    } else if (b == 'R' || b == 'U') {
      flush();
      w.Reboot(b == 'R');
    } else if (b >= 0xC0) {
      flush();
      w.Pass(int64_t{b & 0x3F} * kHourMs);
    } else if (b >= 0x80) {
      flush();
      const int64_t n = b & 0x3F;
      w.Pass(n * n * 250);
    }
  }
  Press(w, keys);
  FUZZ_CHECK(w.lock->Tick().ok(), "Tick after the input");
  w.CheckLog();
  return 0;
}
