// One class of wrong attempts (LOCK-SEMANTICS.md 7.3, revised in wave 2): its counter, its
// lockout with its escalation level, and its rolling hourly budget.
//
// A lock has two of these: the *door* class (keypad, RFID, fingerprint, face, phone at the door)
// and the *remote* class (PINs sent with remote commands, and remote commands without a PIN
// while require_pin_for_remote). Each is refused and counted on its own, so guessing through
// the hub never locks the keypad, and a grant resets only its own class's counter.
//
// The budget is what bounds guessing by someone who knows one valid PIN: the counter and the
// escalation are reset by every grant of the class, so "4 wrong, then my own PIN, repeat" never
// reaches a lockout; the budget counts every wrong attempt of the last 60 minutes and no grant
// touches it. With the defaults (10 an hour) finding one of 10 enrolled 6-digit PINs takes more
// than a year per class (bench/core_bench.cc prints the figure from this code).
//
// Times are the monotonic clock's; Save() turns them into what remains (or how long ago), so
// that they survive a reboot, and they age only while the lock runs: a power cut never shortens
// a lockout or frees a budget.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/settings.h"

namespace latchkey::core {

class AttemptGuard {
 public:
  static constexpr int64_t kBudgetWindowMs = 60 * 60 * 1000;

  // The durable form (fields of RuntimeState).
  struct Saved {
    uint32_t wrong_attempts = 0;
    uint32_t lockout_level = 0;
    int64_t lockout_remaining_ms = 0;
    std::vector<int64_t> wrong_ages_ms;  // oldest first
    int64_t budget_alarm_quiet_ms = 0;
  };
  void Restore(const Saved& saved, int64_t now);
  Saved Save(int64_t now) const;

  // Step 1 of the decision: a lockout runs, or the budget of the last hour is spent. A refused
  // attempt is not evaluated, not counted and extends nothing.
  bool Refuses(int64_t now, const Settings& settings) const;

  // A wrong attempt of this class was evaluated and counted. Reaching wrong_code_limit starts a
  // lockout of lockout_s, doubled per level while lockout_escalation is on (up to
  // lockout_max_s); the level rises only for a lockout that escalation governed, so one taken
  // while escalation was off leaves it where it was. Returns true when a wrong_code_limit alarm
  // is due: a lockout began, or this attempt spent the budget (at most one budget alarm an hour,
  // and never two alarms for one attempt).
  bool CountWrong(int64_t now, const Settings& settings);

  // A credential of this class was granted: the counter and the escalation start again. The
  // budget is untouched.
  void Granted();

  // Forgets lockouts that ended and wrong attempts older than an hour; true if anything changed.
  bool Expire(int64_t now);

  uint32_t wrong_attempts() const { return wrong_attempts_; }
  int64_t LockoutRemainingMs(int64_t now) const;
  // How long until the budget lets one more attempt through (0: it is not spent).
  int64_t BudgetWaitMs(int64_t now, const Settings& settings) const;
  // When the running lockout ends, for the lock's timers.
  std::optional<int64_t> lockout_until() const { return lockout_until_; }

 private:
  // Wrong attempts still inside the window at `now`.
  std::size_t RecentCount(int64_t now) const;

  uint32_t wrong_attempts_ = 0;
  uint32_t lockout_level_ = 0;
  std::optional<int64_t> lockout_until_;
  std::deque<int64_t> recent_wrong_;  // monotonic times, oldest first
  std::optional<int64_t> budget_alarm_quiet_until_;
};

}  // namespace latchkey::core
