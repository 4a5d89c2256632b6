#include "core/testing/fakes.h"

#include <type_traits>

namespace latchkey::core::testing {

Status MemoryLockStore::Load(PersistentState* out) {
  *out = PersistentState{};
  out->initialized = initialized_;
  out->settings = settings_;
  for (const auto& [index, user] : users_) out->users.push_back(user);
  for (const auto& [key, cred] : credentials_) out->credentials.push_back(cred);
  for (const auto& [index, holiday] : holidays_) out->holidays.push_back(holiday);
  out->runtime = runtime_;
  out->phone_keys = phone_keys_;
  out->offline_codes = offline_codes_;
  return Status::Ok();
}

Status MemoryLockStore::Write(const WriteBatch& batch) {
  if (fail_writes_ > 0) {
    --fail_writes_;
    return Status::IoError("simulated storage failure");
  }
  ++writes_;
  initialized_ = true;
  for (const auto& op : batch.ops()) {
    std::visit(
        [this](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, WriteBatch::PutUser>) {
            users_[o.user.index] = o.user;
          } else if constexpr (std::is_same_v<T, WriteBatch::DeleteUser>) {
            users_.erase(o.index);
          } else if constexpr (std::is_same_v<T, WriteBatch::PutCredential>) {
            credentials_[{static_cast<int>(o.credential.ref.type), o.credential.ref.index}] = o.credential;
          } else if constexpr (std::is_same_v<T, WriteBatch::DeleteCredential>) {
            credentials_.erase({static_cast<int>(o.ref.type), o.ref.index});
          } else if constexpr (std::is_same_v<T, WriteBatch::PutHoliday>) {
            holidays_[o.holiday.index] = o.holiday;
          } else if constexpr (std::is_same_v<T, WriteBatch::DeleteHoliday>) {
            holidays_.erase(o.index);
          } else if constexpr (std::is_same_v<T, WriteBatch::PutSettings>) {
            settings_ = o.settings;
          } else if constexpr (std::is_same_v<T, WriteBatch::PutRuntime>) {
            runtime_ = o.runtime;
          } else if constexpr (std::is_same_v<T, WriteBatch::PutPhoneKeys>) {
            phone_keys_ = o.phone_keys;
          } else if constexpr (std::is_same_v<T, WriteBatch::PutOfflineCodes>) {
            offline_codes_ = o.offline_codes;
          } else if constexpr (std::is_same_v<T, WriteBatch::AppendEvent>) {
            events_[o.event.seq] = o.event;
          } else if constexpr (std::is_same_v<T, WriteBatch::DropEventsThrough>) {
            events_.erase(events_.begin(), events_.upper_bound(o.seq));
          }
        },
        op);
  }
  return Status::Ok();
}

Status MemoryLockStore::ReadEvents(uint64_t after, std::size_t limit, std::vector<Event>* out) {
  out->clear();
  for (auto it = events_.upper_bound(after); it != events_.end() && out->size() < limit; ++it) {
    out->push_back(it->second);
  }
  return Status::Ok();
}

std::vector<Event> MemoryLockStore::events() const {
  std::vector<Event> out;
  for (const auto& [seq, event] : events_) out.push_back(event);
  return out;
}

void FakeBolt::Drive(BoltTarget target) {
  ++drives_;
  last_target_ = target;
  if (jam_next_) {
    jam_next_ = false;
    position_ = BoltSense::kBetween;
    return;
  }
  switch (target) {
    case BoltTarget::kLocked: position_ = BoltSense::kLocked; break;
    case BoltTarget::kUnlocked: position_ = BoltSense::kUnlocked; break;
    case BoltTarget::kUnlatched: position_ = BoltSense::kUnlatched; break;
  }
}

bool RecordingFeedback::Sounded(Signal signal) const {
  for (const auto& e : entries) {
    if (e.signal == signal && e.volume != SoundVolume::kSilent) return true;
  }
  return false;
}

}  // namespace latchkey::core::testing
