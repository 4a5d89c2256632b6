// What turns the hub's events into Web Push notifications (NOTIFICATIONS.md): the hub tells it
// about each new event and each change of a lock's link, and it asks notification_rules.h, for
// every account with a subscription, whether to notify, then hands the messages to the
// PushSender, which stores them before OnEvent returns (so before the hub acknowledges the
// event to the lock, as webhooks do).
//
// The facts the rules need beyond the event, found here:
//   - the lock's name and time zone (its stored state);
//   - for an unlock, whether it is the first of the day in the lock's time zone (the last
//     unlock of each lock is remembered; after a start, the lock's history is read back once);
//   - for a duress alarm, who used the code: the `forced_user` operation recorded just before it
//     (its user and actor), and the accounts linked to them (notification_rules.h LinkedAccounts,
//     from the phone keys the hub issued);
//   - for "offline for N minutes", the outages (offline_watch.h): a timer wakes when the next
//     account's minutes are reached, and at least every `recheck` (a minute) while a lock is
//     offline so that changed settings are followed. The timer only decides when to look
//     again; what is due is read from Env's clock, so a test on a FakeEnv moves that clock and
//     passes a short `recheck` (HubOptions::push_offline_recheck) to be looked at promptly.
// Events that no rule could use (door moves, changes, locks) cost nothing: no store read.
//
//   PushNotifier notifier(io, env, store, sender, [&](const std::string& lock) { return sessions.online(lock); });
//   notifier.Start();
//   listener.on_event = [&](const std::string& lock, const Json& event) { notifier.OnEvent(lock, event); };
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "hub/env.h"
#include "hub/hub_store.h"
#include "hub/push/offline_watch.h"
#include "hub/push/push_sender.h"
#include "platform/asio.h"
#include "platform/tz_zone_rules.h"

namespace latchkey::hub::push {

class PushNotifier {
 public:
  static constexpr std::chrono::milliseconds kOfflineRecheck{60'000};

  PushNotifier(boost::asio::io_context& io, Env& env, HubStore& store, PushSender& sender,
               std::function<bool(const std::string&)> online,
               std::chrono::milliseconds recheck = kOfflineRecheck);
  ~PushNotifier();
  PushNotifier(const PushNotifier&) = delete;
  PushNotifier& operator=(const PushNotifier&) = delete;

  // Every paired lock that is not online yet starts an outage now.
  void Start();
  // A new event of `lock`, already stored: its notifications are stored when this returns.
  void OnEvent(const std::string& lock, const Json& event);
  // The lock's state changed; its link may have come up or gone down.
  void OnLockState(const std::string& lock);
  // The lock was unpaired.
  void OnLockRemoved(const std::string& lock);

 private:
  struct LockInfo {
    std::string name;
    std::string timezone;
  };
  std::optional<LockInfo> FindLock(const std::string& lock);
  // Whether the unlock `event` is the first of its day on `lock` (and remembers it as the last).
  bool FirstUnlockOfDay(const std::string& lock, const std::string& timezone, const Json& event, bool needed);
  // The local date (year * 10000 + month * 100 + day) of `time_ms` in `timezone` (UTC if unknown).
  int LocalDay(const std::string& timezone, int64_t time_ms) const;
  // The accounts linked to whoever used the duress code of the alarm `event`.
  std::vector<std::string> DuressLinked(const std::string& lock, const Json& event);
  // The offline timer: armed for the next account due, or the recheck.
  void Arm();
  void PollOffline();

  Env& env_;
  HubStore& store_;
  PushSender& sender_;
  std::function<bool(const std::string&)> online_;
  std::chrono::milliseconds recheck_;
  platform::TzZoneRules zones_;
  OfflineWatch watch_;
  boost::asio::steady_timer timer_;
  std::map<std::string, int> last_unlock_day_;  // by lock
  // Expires with this object: a timer handler already queued when it went finds it gone.
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

}  // namespace latchkey::hub::push
