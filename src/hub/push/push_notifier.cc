#include "hub/push/push_notifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "hub/push/notification_rules.h"
#include "hub/push/notification_settings.h"

namespace latchkey::hub::push {

namespace asio = boost::asio;

namespace {

// How far back the first-of-day check reads a lock's history after a start: 5 pages of its
// lock operations (locks and unlocks), newest first.
constexpr std::size_t kUnlockPages = 5;
constexpr std::size_t kUnlockPage = 200;
// How far back a duress alarm's operation is looked for: the lock records it right before.
constexpr uint64_t kDuressLookBack = 16;

bool IsUnlock(const Json& event) {
  if (event.value("kind", "") != "lock_operation") return false;
  const std::string operation = event.value("operation", "");
  return operation == "unlock" || operation == "unlatch";
}

int64_t TimeOf(const Json& event) {
  const auto it = event.find("time");
  return it != event.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

uint64_t SeqOf(const Json& event) {
  const auto it = event.find("seq");
  return it != event.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// An account's settings as the rules take them; a stored value this build cannot read is the
// defaults (and logged).
NotificationSettings SettingsOf(const PushRecipient& r) {
  auto settings = StoredNotificationSettings(r.settings);
  if (settings.ok()) return *settings;
  spdlog::warn("hub: account {}: {}; using the defaults", r.account.username, settings.status().message());
  return NotificationSettings{};
}

std::string Urgency(const Notification& n) { return n.urgent ? "high" : "normal"; }

}  // namespace

PushNotifier::PushNotifier(asio::io_context& io, Env& env, HubStore& store, PushSender& sender,
                           std::function<bool(const std::string&)> online, std::chrono::milliseconds recheck)
    : env_(env), store_(store), sender_(sender), online_(std::move(online)), recheck_(recheck), timer_(io) {}

PushNotifier::~PushNotifier() { timer_.cancel(); }

void PushNotifier::Start() {
  auto locks = store_.ListLocks();
  if (!locks.ok()) {
    spdlog::error("hub: push: cannot read the locks: {}", locks.status().ToString());
    return;
  }
  const int64_t now = env_.NowMs();
  for (const LockRecord& lock : *locks) {
    if (!online_(lock.id)) watch_.Offline(lock.id, now);
  }
  Arm();
}

std::optional<PushNotifier::LockInfo> PushNotifier::FindLock(const std::string& lock) {
  auto record = store_.GetLock(lock);
  if (!record.ok() || !record->has_value()) return std::nullopt;
  const Json& state = (*record)->state;
  LockInfo info;
  info.name = state.contains("name") && state["name"].is_string() ? state["name"].get<std::string>() : (*record)->name;
  info.timezone = "UTC";
  if (const auto settings = state.find("settings"); settings != state.end() && settings->is_object()) {
    info.timezone = settings->value("timezone", "UTC");
  }
  return info;
}

void PushNotifier::OnEvent(const std::string& lock, const Json& event) {
  const EventClass what = ClassifyEvent(event);
  if (what == EventClass::kNone) return;
  auto recipients = store_.ListPushRecipients();
  if (!recipients.ok()) {
    spdlog::error("hub: push: cannot read the subscriptions: {}", recipients.status().ToString());
    return;
  }
  std::vector<std::pair<const PushRecipient*, NotificationSettings>> accounts;
  bool first_of_day_needed = false;
  for (const PushRecipient& r : *recipients) {
    accounts.emplace_back(&r, SettingsOf(r));
    first_of_day_needed = first_of_day_needed || accounts.back().second.unlocks == UnlockNotices::kFirstOfDay;
  }
  const auto info = FindLock(lock);
  if (!info) return;  // unpaired meanwhile
  EventFacts facts;
  if (what == EventClass::kUnlock) facts.first_unlock_of_day = FirstUnlockOfDay(lock, info->timezone, event, first_of_day_needed);
  if (accounts.empty()) return;
  if (what == EventClass::kDuress) facts.duress_linked = DuressLinked(lock, event);
  const LockFacts lock_facts{lock, info->name};
  const int64_t now = env_.NowMs();
  const std::string source = lock + ":" + std::to_string(SeqOf(event));
  std::vector<PushDelivery> deliveries;
  for (const auto& [r, settings] : accounts) {
    const auto n = EventNotification(AccountViewer(r->account), settings, lock_facts, event, facts, now);
    if (!n) continue;
    const std::string payload = PushPayload(*n).dump(-1, ' ', false, Json::error_handler_t::replace);
    for (const std::string& subscription : r->subscriptions) {
      deliveries.push_back({.subscription = subscription, .source = source, .payload = payload, .urgency = Urgency(*n),
                            .ttl_s = n->ttl_s});
    }
  }
  if (core::Status s = sender_.Queue(std::move(deliveries)); !s.ok()) {
    spdlog::error("hub: push: cannot store the notifications of event {}: {}", source, s.ToString());
  }
}

int PushNotifier::LocalDay(const std::string& timezone, int64_t time_ms) const {
  auto local = zones_.ToLocal(timezone, time_ms);
  if (!local) local = zones_.ToLocal("UTC", time_ms);
  if (!local) return static_cast<int>(time_ms / 86'400'000);
  return local->year * 10000 + local->month * 100 + local->day;
}

bool PushNotifier::FirstUnlockOfDay(const std::string& lock, const std::string& timezone, const Json& event, bool needed) {
  const int day = LocalDay(timezone, TimeOf(event));
  const auto remembered = last_unlock_day_.find(lock);
  bool first = true;
  if (remembered != last_unlock_day_.end()) {
    first = remembered->second != day;
  } else if (needed) {
    // After a start: the newest earlier unlock in the lock's history.
    RecentEventQuery query;
    query.locks = {lock};
    query.kind = "lock_operation";
    query.limit = kUnlockPage;
    query.before = EventCursor{TimeOf(event), SeqOf(event), lock};
    for (std::size_t page = 0; page < kUnlockPages; ++page) {
      auto events = store_.RecentEvents(query);
      if (!events.ok() || events->empty()) break;
      const auto earlier = std::find_if(events->begin(), events->end(), IsUnlock);
      if (earlier != events->end()) {
        first = LocalDay(timezone, TimeOf(*earlier)) != day;
        break;
      }
      const Json& last = events->back();
      query.before = EventCursor{TimeOf(last), SeqOf(last), lock};
    }
  }
  last_unlock_day_[lock] = day;
  return first;
}

std::vector<std::string> PushNotifier::DuressLinked(const std::string& lock, const Json& event) {
  const uint64_t seq = SeqOf(event);
  EventQuery query;
  query.lock = lock;
  query.after = seq > kDuressLookBack ? seq - kDuressLookBack - 1 : 0;
  query.limit = kDuressLookBack;
  auto earlier = store_.Events(query);
  auto keys = store_.ListPhoneKeys();
  if (!earlier.ok() || !keys.ok()) {
    spdlog::error("hub: push: cannot tell who used the duress code of {}:{}", lock, seq);
    return {};
  }
  const Json* operation = nullptr;
  for (const Json& e : *earlier) {
    if (SeqOf(e) < seq && e.value("kind", "") == "lock_operation" && e.value("operation", "") == "forced_user") operation = &e;
  }
  if (operation == nullptr) {
    spdlog::warn("hub: push: the duress alarm {}:{} has no forced_user operation before it", lock, seq);
    return {};
  }
  return LinkedAccounts(*operation, lock, *keys);
}

void PushNotifier::OnLockState(const std::string& lock) {
  const bool up = online_(lock);
  if (up == !watch_.offline(lock)) return;  // no change of the link
  if (up) {
    watch_.Online(lock);
  } else {
    watch_.Offline(lock, env_.NowMs());
  }
  Arm();
}

void PushNotifier::OnLockRemoved(const std::string& lock) {
  watch_.Forget(lock);
  last_unlock_day_.erase(lock);
  Arm();
}

void PushNotifier::Arm() {
  timer_.cancel();
  if (!watch_.any_offline()) return;
  // The next account due (settings are read again at each wake), and a recheck each minute in
  // case someone turned the setting on meanwhile.
  int64_t wait_ms = recheck_.count();
  auto recipients = store_.ListPushRecipients();
  if (recipients.ok()) {
    OfflineWatch::Thresholds minutes;
    for (const PushRecipient& r : *recipients) minutes[r.account.username] = SettingsOf(r).offline_minutes;
    if (const auto next = watch_.NextDue(minutes)) wait_ms = std::clamp<int64_t>(*next - env_.NowMs(), 0, wait_ms);
  }
  timer_.expires_after(std::chrono::milliseconds(wait_ms));
  timer_.async_wait([this, life = std::weak_ptr<int>(life_)](const boost::system::error_code& ec) {
    if (!ec && !life.expired()) PollOffline();
  });
}

void PushNotifier::PollOffline() {
  auto recipients = store_.ListPushRecipients();
  if (!recipients.ok()) {
    spdlog::error("hub: push: cannot read the subscriptions: {}", recipients.status().ToString());
    return Arm();
  }
  std::map<std::string, std::pair<const PushRecipient*, NotificationSettings>> by_account;
  OfflineWatch::Thresholds minutes;
  for (const PushRecipient& r : *recipients) {
    NotificationSettings settings = SettingsOf(r);
    minutes[r.account.username] = settings.offline_minutes;
    by_account.emplace(r.account.username, std::pair(&r, std::move(settings)));
  }
  const int64_t now = env_.NowMs();
  std::vector<PushDelivery> deliveries;
  for (const OfflineWatch::Due& due : watch_.Poll(now, minutes)) {
    const auto info = FindLock(due.lock);
    const auto account = by_account.find(due.account);
    if (!info || account == by_account.end()) continue;
    const auto& [r, settings] = account->second;
    const auto n = OfflineNotification(AccountViewer(r->account), settings, {due.lock, info->name}, now);
    if (!n) continue;
    const std::string payload = PushPayload(*n).dump(-1, ' ', false, Json::error_handler_t::replace);
    for (const std::string& subscription : r->subscriptions) {
      deliveries.push_back({.subscription = subscription,
                            .source = due.lock + ":offline:" + std::to_string(due.since_ms),
                            .payload = payload,
                            .urgency = Urgency(*n),
                            .ttl_s = n->ttl_s});
    }
  }
  if (core::Status s = sender_.Queue(std::move(deliveries)); !s.ok()) {
    spdlog::error("hub: push: cannot store offline notifications: {}", s.ToString());
  }
  Arm();
}

}  // namespace latchkey::hub::push
