#include "hub/remote_pin_limiter.h"

#include <algorithm>

namespace latchkey::hub {

void RemotePinLimiter::Age(Entry& entry, const Policy& policy, int64_t now_ms) {
  while (!entry.wrong.empty() && now_ms - entry.wrong.front() >= policy.window_ms) entry.wrong.pop_front();
  if (entry.level > 0 && now_ms >= entry.blocked_until_ms && now_ms - entry.blocked_until_ms >= policy.forget_ms) {
    entry.level = 0;
  }
}

std::optional<int64_t> RemotePinLimiter::WaitMs(const Entry& entry, const Policy& policy, int64_t now_ms) {
  if (now_ms < entry.blocked_until_ms) return entry.blocked_until_ms - now_ms;
  // Answers still pending may each be wrong: they hold their place in the budget until they come
  // (within the lock's answer timeout); ask to come back in a second.
  if (static_cast<int>(entry.wrong.size()) + entry.pending >= policy.limit) {
    if (entry.pending > 0) return 1000;
    return entry.wrong.front() + policy.window_ms - now_ms;  // not reached: the limit blocks first
  }
  return std::nullopt;
}

std::optional<RemotePinLimiter::Block> RemotePinLimiter::Count(Entry& entry, const Policy& policy, bool wrong,
                                                               int64_t now_ms) {
  entry.pending = std::max(0, entry.pending - 1);
  Age(entry, policy, now_ms);
  if (!wrong) return std::nullopt;  // a grant or another refusal: counts nothing, resets nothing
  entry.wrong.push_back(now_ms);
  if (static_cast<int>(entry.wrong.size()) < policy.limit) return std::nullopt;
  int64_t duration = policy.block_ms;
  for (int i = 0; i < entry.level && duration < policy.block_max_ms; ++i) duration *= 2;
  duration = std::min(duration, policy.block_max_ms);
  Block block{.scope = Scope::kAccount,
              .key = {},
              .wrong = static_cast<int>(entry.wrong.size()),
              .until_ms = now_ms + duration,
              .duration_ms = duration};
  entry.blocked_until_ms = block.until_ms;
  ++entry.level;
  entry.wrong.clear();  // the block is the price of these; the next ones start a new count
  return block;
}

bool RemotePinLimiter::Idle(const Entry& entry, int64_t now_ms) {
  return entry.wrong.empty() && entry.pending == 0 && entry.level == 0 && now_ms >= entry.blocked_until_ms;
}

std::optional<RemotePinLimiter::Refusal> RemotePinLimiter::Admit(const std::string& account, const std::string& lock,
                                                                 int64_t now_ms) {
  Entry& a = accounts_[account];
  Entry& l = locks_[lock];
  Age(a, policies_.account, now_ms);
  Age(l, policies_.lock, now_ms);
  const auto account_wait = WaitMs(a, policies_.account, now_ms);
  const auto lock_wait = WaitMs(l, policies_.lock, now_ms);
  if (account_wait || lock_wait) {
    const bool by_lock = lock_wait && (!account_wait || *lock_wait > *account_wait);
    const int64_t wait_ms = by_lock ? *lock_wait : *account_wait;
    if (Idle(a, now_ms)) accounts_.erase(account);
    if (Idle(l, now_ms)) locks_.erase(lock);
    return Refusal{by_lock ? Scope::kLock : Scope::kAccount, std::max<int64_t>(1, (wait_ms + 999) / 1000)};
  }
  ++a.pending;
  ++l.pending;
  return std::nullopt;
}

std::vector<RemotePinLimiter::Block> RemotePinLimiter::Settle(const std::string& account, const std::string& lock,
                                                              bool wrong, int64_t now_ms) {
  std::vector<Block> blocks;
  const auto settle = [&](std::map<std::string, Entry>& entries, const std::string& key, const Policy& policy,
                          Scope scope) {
    auto it = entries.find(key);
    if (it == entries.end()) return;  // not admitted (a caller's mistake): nothing to count against
    if (auto block = Count(it->second, policy, wrong, now_ms)) {
      block->scope = scope;
      block->key = key;
      blocks.push_back(std::move(*block));
    }
    if (Idle(it->second, now_ms)) entries.erase(it);
  };
  settle(accounts_, account, policies_.account, Scope::kAccount);
  settle(locks_, lock, policies_.lock, Scope::kLock);
  return blocks;
}

}  // namespace latchkey::hub
