// When each webhook delivery is attempted, retried or given up: the delivery policy of the hub's
// webhooks (docs/hub.md "Webhooks"), with no clock, no store and no sockets. The hub's delivery
// loop (delivery_engine.h) feeds it deliveries and the outcome of each attempt, asks it what to do
// now, and does it; a test drives it with any times it likes. Web Push (push/push_sender.h) uses
// it too, giving up after an hour instead of a day, with one queue per subscription.
//
// The rules:
//   - A new delivery is due at once (its next_attempt_ms is its created_at_ms).
//   - After the n-th failed attempt the next one waits 1 s * 2^(n-1), at most 1 h:
//     1 s, 2 s, 4 s ... 2048 s, then every 3600 s (DeliveryBackoffMs).
//   - A delivery that has not succeeded a day (kGiveUpMs, or the give_up_ms it was made with)
//     after it was created is given up
//     ("failed"). The next attempt is never scheduled past that instant, and the delivery is
//     given up when that instant comes rather than tried once more; an attempt that fails at or
//     after it is the last. Its last_error stays the last attempt's, or is "not delivered within a
//     day" when no attempt was ever made.
//   - A 2xx answer ends the delivery ("delivered"); nothing more is sent for it.
//   - The deliveries of one webhook for one lock go out one at a time, in seq order: a later event
//     waits while an earlier one is under way or waiting for its next attempt.
//   - At most max_in_flight attempts (8 by default) run at once, over all webhooks.
//
// A Delivery is the HubStore record (hub_store.h); the scheduler changes status, attempts,
// next_attempt_ms and last_error, and hands back every version the store should record.
//
//   DeliveryScheduler scheduler;
//   scheduler.Add(delivery);                               // new, or pending in the store
//   for (const DeliveryAction& a : scheduler.Poll(now)) {  // kSend: attempt it; kGiveUp: record it;
//     ...                                                  // kWait: Poll again at a.until_ms
//   }
//   std::optional<Delivery> record = scheduler.Done(now, id, /*ok=*/false, "HTTP 500");
//
// Not thread-safe: one thread (the hub's io thread) calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/hub_store.h"  // Delivery

namespace latchkey::hub {

// The wait after the attempts-th failed attempt (attempts >= 1): 1000 ms << (attempts - 1),
// at most an hour.
int64_t DeliveryBackoffMs(uint32_t attempts);

// One thing the sender is to do, as Poll says.
struct DeliveryAction {
  enum class Kind {
    kSend,     // attempt `delivery` now; report the outcome with Done (or Postpone, Drop, Fail)
    kGiveUp,   // record `delivery`, now "failed": a day has passed since it was created
    kWait,     // nothing else is due before `until_ms`: Poll again then (or on any news)
    kDrained,  // a (webhook, lock) queue has emptied: more pending deliveries may be loaded
  };
  Kind kind = Kind::kWait;
  Delivery delivery;     // kSend, kGiveUp
  int64_t until_ms = 0;  // kWait
};

class DeliveryScheduler {
 public:
  static constexpr std::size_t kMaxInFlight = 8;
  static constexpr int64_t kFirstBackoffMs = 1000;
  static constexpr int64_t kMaxBackoffMs = 3600LL * 1000;
  static constexpr int64_t kGiveUpMs = 24LL * 3600 * 1000;
  // The message of a delivery given up without a failed attempt to show.
  static constexpr std::string_view kGiveUpError = "not delivered within a day";

  // `give_up_ms` and `give_up_error`: when a delivery is given up, and the last_error of one
  // given up without a failed attempt.
  explicit DeliveryScheduler(std::size_t max_in_flight = kMaxInFlight, int64_t give_up_ms = kGiveUpMs,
                             std::string give_up_error = std::string(kGiveUpError))
      : max_in_flight_(max_in_flight), give_up_ms_(give_up_ms), give_up_error_(std::move(give_up_error)) {}

  // Queues a pending delivery (new, or read back from the store after a restart) behind the
  // earlier seqs of its webhook and lock, never ahead of one already under way or waiting. False
  // (and nothing changes) when a delivery with its id is queued already.
  bool Add(Delivery delivery);

  // What to do at `now_ms`, in queue order (webhook, then lock): a kGiveUp for each expired
  // delivery at the front of a queue, a kSend for each due one while fewer than max_in_flight
  // attempts run, at most one kWait for the earliest front that is not due yet, and a kDrained
  // when a queue emptied. Each kSend counts as in flight until Done, Postpone, Drop or Fail.
  std::vector<DeliveryAction> Poll(int64_t now_ms);

  // The outcome of the attempt of `id`: `ok` for a 2xx answer, else `error` as its last_error
  // shows it. The delivery as the store should record it (delivered; failed; or pending with one
  // more attempt and its next_attempt_ms), or nullopt when it is queued no more (Forget).
  std::optional<Delivery> Done(int64_t now_ms, std::string_view id, bool ok, std::string error);

  // A kSend that was not made, for a reason of the sender's own (the store could not be read):
  // the delivery stays at its queue's front, due at `until_ms`; no attempt is counted and there
  // is nothing to record.
  void Postpone(std::string_view id, int64_t until_ms);
  // A kSend that is not to be made at all (its event is gone: the lock was unpaired): the
  // delivery leaves its queue with nothing to record.
  void Drop(std::string_view id);
  // A kSend that can never be made (its webhook's URL does not parse): the delivery is given up
  // at once with `error`; the record to store.
  std::optional<Delivery> Fail(std::string_view id, std::string error);

  // The webhook was deleted: every delivery queued for it goes. An attempt under way still counts
  // as in flight until its Done, which then finds nothing to record.
  void Forget(std::string_view webhook);

  // Attempts under way (kSend not yet answered).
  std::size_t in_flight() const { return sending_.size(); }
  // Deliveries queued, those under way included.
  std::size_t queued() const { return ids_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;  // webhook, lock
  struct Queue {
    std::deque<Delivery> items;  // by seq; the front is the one under way
    bool busy = false;           // the front's attempt is in flight
    bool taken = false;          // the front is under way or waiting for its next attempt
  };

  // The queue whose front is the in-flight attempt `id`, or nullptr; ends its being in flight.
  Queue* Finish(std::string_view id);
  void Pop(Queue& q);

  std::size_t max_in_flight_;
  int64_t give_up_ms_;
  std::string give_up_error_;
  std::map<Key, Queue> queues_;
  std::set<std::string, std::less<>> ids_;            // of the queued deliveries
  std::map<std::string, Key, std::less<>> sending_;  // in-flight attempts and their queues
};

}  // namespace latchkey::hub
