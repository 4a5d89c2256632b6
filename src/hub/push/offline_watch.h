// When to tell an account that a lock is offline (notification_settings.h `offline_minutes`):
// once per outage, when the outage has lasted the account's minutes. Pure: the notifier tells it
// when each lock's link goes down or comes up and asks at times of its choosing.
//
// An outage starts when the hub's link to the lock drops, or when the hub starts (a lock is
// offline until its session connects: one that never does is told about N minutes after the
// start), and ends when the link is up again; a new outage may be told again. An account that
// turns the setting on during an outage is told when the outage reaches its minutes (at once
// if it already has), and not again in the same outage.
//
//   OfflineWatch watch;
//   watch.Offline("lk-1", now);
//   for (const auto& due : watch.Poll(later, {{"alice", 10}})) ... // alice, once, from now + 10 min
//   auto wake = watch.NextDue({{"alice", 10}});                    // when Poll has more to say
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace latchkey::hub::push {

class OfflineWatch {
 public:
  // Each account's offline_minutes (0 or absent: off).
  using Thresholds = std::map<std::string, uint32_t>;

  struct Due {
    std::string lock;
    std::string account;
    int64_t since_ms = 0;  // when the outage began (with the lock, what the notification is about)
  };

  // The lock's link went down at `since_ms`; nothing changes if it is in an outage already.
  void Offline(const std::string& lock, int64_t since_ms);
  // The link is up: the outage (and whom it was told to) ends.
  void Online(const std::string& lock);
  // The lock was unpaired.
  void Forget(const std::string& lock) { Online(lock); }

  // Every (lock, account) whose outage has lasted the account's minutes at `now_ms` and was not
  // told yet; each is then marked told.
  std::vector<Due> Poll(int64_t now_ms, const Thresholds& minutes);
  // The earliest time at which Poll would return something with these thresholds; nullopt when
  // nothing is pending.
  std::optional<int64_t> NextDue(const Thresholds& minutes) const;
  bool any_offline() const { return !outages_.empty(); }
  bool offline(const std::string& lock) const { return outages_.contains(lock); }

 private:
  struct Outage {
    int64_t since_ms = 0;
    std::set<std::string> told;
  };
  std::map<std::string, Outage> outages_;  // by lock
};

}  // namespace latchkey::hub::push
