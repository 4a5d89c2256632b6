#include "core/attempt_guard.h"

#include <algorithm>

namespace latchkey::core {

void AttemptGuard::Restore(const Saved& saved, int64_t now) {
  wrong_attempts_ = saved.wrong_attempts;
  lockout_level_ = saved.lockout_level;
  lockout_until_ = saved.lockout_remaining_ms > 0 ? std::optional<int64_t>(now + saved.lockout_remaining_ms)
                                                  : std::nullopt;
  recent_wrong_.clear();
  for (int64_t age : saved.wrong_ages_ms) recent_wrong_.push_back(now - std::max<int64_t>(0, age));
  budget_alarm_quiet_until_ = saved.budget_alarm_quiet_ms > 0
                                  ? std::optional<int64_t>(now + saved.budget_alarm_quiet_ms)
                                  : std::nullopt;
}

AttemptGuard::Saved AttemptGuard::Save(int64_t now) const {
  Saved saved;
  saved.wrong_attempts = wrong_attempts_;
  saved.lockout_level = lockout_level_;
  // A duration that is due but not yet expired is stored as 1 ms, never as "none".
  saved.lockout_remaining_ms = lockout_until_ ? std::max<int64_t>(1, *lockout_until_ - now) : 0;
  for (int64_t at : recent_wrong_) {
    if (now - at < kBudgetWindowMs) saved.wrong_ages_ms.push_back(std::max<int64_t>(0, now - at));
  }
  saved.budget_alarm_quiet_ms =
      budget_alarm_quiet_until_ ? std::max<int64_t>(1, *budget_alarm_quiet_until_ - now) : 0;
  return saved;
}

std::size_t AttemptGuard::RecentCount(int64_t now) const {
  return static_cast<std::size_t>(std::count_if(recent_wrong_.begin(), recent_wrong_.end(),
                                                [now](int64_t at) { return now - at < kBudgetWindowMs; }));
}

bool AttemptGuard::Refuses(int64_t now, const Settings& settings) const {
  if (lockout_until_ && now < *lockout_until_) return true;
  return RecentCount(now) >= settings.max_wrong_per_hour;
}

bool AttemptGuard::CountWrong(int64_t now, const Settings& settings) {
  ++wrong_attempts_;
  recent_wrong_.push_back(now);
  bool alarm = false;
  if (wrong_attempts_ >= settings.wrong_code_limit) {
    int64_t duration_s = settings.lockout_s;
    if (settings.lockout_escalation) {
      for (uint32_t i = 0; i < lockout_level_ && duration_s < settings.lockout_max_s; ++i) duration_s *= 2;
      duration_s = std::min<int64_t>(duration_s, settings.lockout_max_s);
      ++lockout_level_;
    }
    wrong_attempts_ = 0;
    lockout_until_ = now + duration_s * 1000;
    alarm = true;
  }
  if (RecentCount(now) >= settings.max_wrong_per_hour &&
      !(budget_alarm_quiet_until_ && now < *budget_alarm_quiet_until_)) {
    budget_alarm_quiet_until_ = now + kBudgetWindowMs;
    alarm = true;
  }
  return alarm;
}

void AttemptGuard::Granted() {
  wrong_attempts_ = 0;
  lockout_level_ = 0;
}

bool AttemptGuard::Expire(int64_t now) {
  bool changed = false;
  if (lockout_until_ && now >= *lockout_until_) {
    lockout_until_.reset();
    changed = true;
  }
  while (!recent_wrong_.empty() && now - recent_wrong_.front() >= kBudgetWindowMs) {
    recent_wrong_.pop_front();
    changed = true;
  }
  if (budget_alarm_quiet_until_ && now >= *budget_alarm_quiet_until_) {
    budget_alarm_quiet_until_.reset();
    changed = true;
  }
  return changed;
}

int64_t AttemptGuard::LockoutRemainingMs(int64_t now) const {
  return lockout_until_ ? std::max<int64_t>(0, *lockout_until_ - now) : 0;
}

int64_t AttemptGuard::BudgetWaitMs(int64_t now, const Settings& settings) const {
  const std::size_t count = RecentCount(now);
  if (count < settings.max_wrong_per_hour) return 0;
  // The attempts inside the window are the last `count`; enough of the oldest must age out to
  // leave room for one more.
  const std::size_t must_leave = count - settings.max_wrong_per_hour;
  const int64_t at = recent_wrong_[recent_wrong_.size() - count + must_leave];
  return std::max<int64_t>(0, at + kBudgetWindowMs - now);
}

}  // namespace latchkey::core
