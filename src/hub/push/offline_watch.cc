#include "hub/push/offline_watch.h"

#include <algorithm>

namespace latchkey::hub::push {

void OfflineWatch::Offline(const std::string& lock, int64_t since_ms) { outages_.try_emplace(lock, Outage{since_ms, {}}); }

void OfflineWatch::Online(const std::string& lock) { outages_.erase(lock); }

std::vector<OfflineWatch::Due> OfflineWatch::Poll(int64_t now_ms, const Thresholds& minutes) {
  std::vector<Due> due;
  for (auto& [lock, outage] : outages_) {
    for (const auto& [account, m] : minutes) {
      if (m == 0 || outage.told.contains(account)) continue;
      if (now_ms - outage.since_ms < int64_t{m} * 60'000) continue;
      outage.told.insert(account);
      due.push_back({lock, account, outage.since_ms});
    }
  }
  return due;
}

std::optional<int64_t> OfflineWatch::NextDue(const Thresholds& minutes) const {
  std::optional<int64_t> next;
  for (const auto& [lock, outage] : outages_) {
    for (const auto& [account, m] : minutes) {
      if (m == 0 || outage.told.contains(account)) continue;
      const int64_t at = outage.since_ms + int64_t{m} * 60'000;
      next = std::min(next.value_or(at), at);
    }
  }
  return next;
}

}  // namespace latchkey::hub::push
