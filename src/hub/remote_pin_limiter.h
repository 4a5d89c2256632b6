// Remote PIN guessing, bounded at the hub (SECURITY.md "Guessing is bounded at every interface";
// docs/hub.md "Remote PIN attempts"). The lock counts wrong remote PINs itself
// (LOCK-SEMANTICS.md 7.3: a remote counter and a rolling budget of `max_wrong_per_hour`, default
// 10); the hub adds a budget per account and per lock in front of it, so that guessing through the
// hub is slower than the lock's own budget and an owner hears of it.
//
// The rule, for each key (an account, across all its locks; a lock, across all accounts):
// - A PIN command counts when the lock's answer is `invalid_credential` (a wrong PIN). Nothing
//   else counts, and nothing resets a count: a grant, with the same PIN or another one, leaves
//   the evidence of earlier wrong PINs in place until it falls out of the window by age.
// - `limit` wrong PINs within a rolling `window` block the key for `block`, doubled for each
//   earlier block of that key (escalation), at most `block_max`. The escalation is forgotten only
//   when `forget` passes after a block ended without another one, never by a grant.
// - While blocked, PIN commands of that key are refused (429) without reaching the lock.
// - PIN commands still waiting for the lock's answer count as wrong until the answer comes, so a
//   burst of parallel guesses cannot all pass the check before the first answer is counted.
//
// Defaults: an account 3 per hour, a lock 5 per hour, blocks from 1 h doubling to 24 h, forgotten
// after 24 h. Because an account's block (1 h) is as long as the lock's window and its limit is
// below the lock's, one account alone never blocks a lock for everyone else; it takes at least two
// accounts. Through the hub, one lock then sees at most 4 wrong PINs an hour sustained (one below
// the limit in every window; reaching 5 costs an hour's block), less than the lock's 10.
//
// A pure class: the caller passes the time, nothing here reads a clock; state is in memory (a hub
// restart forgets it; the lock's own persisted budget still holds).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace latchkey::hub {

// One key's budget.
struct PinBudget {
  int limit = 3;                      // wrong PINs in `window_ms` that block
  int64_t window_ms = 3'600'000;      // rolling window
  int64_t block_ms = 3'600'000;       // the first block; each further one doubles
  int64_t block_max_ms = 86'400'000;  // the longest block
  int64_t forget_ms = 86'400'000;     // quiet time after a block that resets the escalation
};
struct PinBudgets {
  PinBudget account{.limit = 3};
  PinBudget lock{.limit = 5};
};

class RemotePinLimiter {
 public:
  using Policy = PinBudget;
  using Policies = PinBudgets;
  enum class Scope { kAccount, kLock };

  // Why a PIN command may not go to the lock now.
  struct Refusal {
    Scope scope;
    int64_t retry_after_s;  // at least 1
  };
  // A block that a wrong PIN just started (the hub raises an alarm for each).
  struct Block {
    Scope scope;
    std::string key;         // the account or the lock
    int wrong;               // wrong PINs in the window that started it
    int64_t until_ms;
    int64_t duration_ms;
  };

  RemotePinLimiter() = default;
  explicit RemotePinLimiter(Policies policies) : policies_(policies) {}

  // A PIN command of `account` to `lock` at `now_ms`: nullopt when it may go to the lock (it then
  // counts as pending for both keys until Settle), else the refusal with the longer wait.
  std::optional<Refusal> Admit(const std::string& account, const std::string& lock, int64_t now_ms);
  // The lock answered a command that Admit let through (`wrong`: invalid_credential), or it
  // failed without an answer (wrong = false). Returns the blocks this answer started.
  std::vector<Block> Settle(const std::string& account, const std::string& lock, bool wrong, int64_t now_ms);

  const Policies& policies() const { return policies_; }
  // Keys with any state (for tests: entries do not pile up).
  std::size_t tracked() const { return accounts_.size() + locks_.size(); }

 private:
  struct Entry {
    std::deque<int64_t> wrong;  // times of wrong PINs inside the window, oldest first
    int pending = 0;            // admitted, not yet settled
    int64_t blocked_until_ms = 0;
    int level = 0;              // blocks so far (escalation)
  };
  static void Age(Entry& entry, const Policy& policy, int64_t now_ms);
  static std::optional<int64_t> WaitMs(const Entry& entry, const Policy& policy, int64_t now_ms);
  static std::optional<Block> Count(Entry& entry, const Policy& policy, bool wrong, int64_t now_ms);
  static bool Idle(const Entry& entry, int64_t now_ms);

  Policies policies_;
  std::map<std::string, Entry> accounts_, locks_;
};

}  // namespace latchkey::hub
