#include "hub/delivery_scheduler.h"

#include <algorithm>

namespace latchkey::hub {

int64_t DeliveryBackoffMs(uint32_t attempts) {
  // 1 s << 22 is past the cap already; the clamp keeps the shift defined for any count.
  const int doublings = static_cast<int>(std::min<uint32_t>(attempts == 0 ? 0 : attempts - 1, 22));
  return std::min<int64_t>(DeliveryScheduler::kMaxBackoffMs, DeliveryScheduler::kFirstBackoffMs << doublings);
}

bool DeliveryScheduler::Add(Delivery delivery) {
  if (!ids_.insert(delivery.id).second) return false;
  Queue& q = queues_[{delivery.webhook, delivery.lock}];
  // Never ahead of the front while it is under way or waiting for its next attempt.
  const auto first = q.items.begin() + (q.taken && !q.items.empty() ? 1 : 0);
  const auto at = std::upper_bound(first, q.items.end(), delivery.seq,
                                   [](uint64_t seq, const Delivery& x) { return seq < x.seq; });
  q.items.insert(at, std::move(delivery));
  return true;
}

std::vector<DeliveryAction> DeliveryScheduler::Poll(int64_t now_ms) {
  std::vector<DeliveryAction> actions;
  std::optional<int64_t> wait;
  bool drained = false;
  for (auto it = queues_.begin(); it != queues_.end() && sending_.size() < max_in_flight_;) {
    Queue& q = it->second;
    while (!q.items.empty() && !q.busy && sending_.size() < max_in_flight_) {
      Delivery& d = q.items.front();
      if (now_ms >= d.created_at_ms + give_up_ms_) {
        d.status = "failed";
        if (d.last_error.empty()) d.last_error = give_up_error_;
        actions.push_back({DeliveryAction::Kind::kGiveUp, d, 0});
        Pop(q);
        continue;
      }
      q.taken = true;
      if (d.next_attempt_ms > now_ms) {
        wait = std::min(wait.value_or(d.next_attempt_ms), d.next_attempt_ms);
        break;
      }
      q.busy = true;
      sending_.emplace(d.id, it->first);
      actions.push_back({DeliveryAction::Kind::kSend, d, 0});
      break;
    }
    if (q.items.empty() && !q.busy) {
      it = queues_.erase(it);
      drained = true;
    } else {
      ++it;
    }
  }
  if (wait) actions.push_back({DeliveryAction::Kind::kWait, Delivery{}, *wait});
  if (drained) actions.push_back({DeliveryAction::Kind::kDrained, Delivery{}, 0});
  return actions;
}

std::optional<Delivery> DeliveryScheduler::Done(int64_t now_ms, std::string_view id, bool ok, std::string error) {
  Queue* q = Finish(id);
  if (q == nullptr) return std::nullopt;
  Delivery& d = q->items.front();
  ++d.attempts;
  if (ok) {
    d.status = "delivered";
    d.last_error.clear();
    d.next_attempt_ms = now_ms;
  } else {
    d.last_error = std::move(error);
    if (now_ms >= d.created_at_ms + give_up_ms_) {
      d.status = "failed";
    } else {
      d.next_attempt_ms = std::min(now_ms + DeliveryBackoffMs(d.attempts), d.created_at_ms + give_up_ms_);
      return d;  // pending: stays at the front, waiting
    }
  }
  Delivery record = d;
  Pop(*q);
  return record;
}

void DeliveryScheduler::Postpone(std::string_view id, int64_t until_ms) {
  if (Queue* q = Finish(id)) q->items.front().next_attempt_ms = until_ms;
}

void DeliveryScheduler::Drop(std::string_view id) {
  if (Queue* q = Finish(id)) Pop(*q);
}

std::optional<Delivery> DeliveryScheduler::Fail(std::string_view id, std::string error) {
  Queue* q = Finish(id);
  if (q == nullptr) return std::nullopt;
  Delivery record = q->items.front();
  record.status = "failed";
  record.last_error = std::move(error);
  Pop(*q);
  return record;
}

void DeliveryScheduler::Forget(std::string_view webhook) {
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (it->first.first != webhook) {
      ++it;
      continue;
    }
    for (const Delivery& d : it->second.items) ids_.erase(d.id);
    it = queues_.erase(it);
  }
}

DeliveryScheduler::Queue* DeliveryScheduler::Finish(std::string_view id) {
  const auto sending = sending_.find(id);
  if (sending == sending_.end()) return nullptr;
  const Key key = sending->second;
  sending_.erase(sending);
  const auto it = queues_.find(key);
  if (it == queues_.end()) return nullptr;
  Queue& q = it->second;
  if (!q.busy || q.items.empty() || q.items.front().id != id) return nullptr;
  q.busy = false;
  return &q;
}

void DeliveryScheduler::Pop(Queue& q) {
  ids_.erase(q.items.front().id);
  q.items.pop_front();
  q.taken = false;
}

}  // namespace latchkey::hub
