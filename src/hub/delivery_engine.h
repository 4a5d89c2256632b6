// The hub's one loop of durable deliveries, shared by webhooks (webhooks.h) and Web Push
// (push/push_sender.h): the deliveries are records in the hub's store, written by the caller
// before the event they are about is acknowledged; the engine keeps their queues in memory
// (delivery_scheduler.h: when to attempt, retry or give up), waits on one timer for the next one
// due, starts each attempt, hands each outcome back to the scheduler and has the record kept,
// and reloads pending records from the store at start and when a backlog was left there.
//
// What is sent, and how a record is kept, is the caller's: a DeliveryChannel. A channel reads
// its pending records, starts one attempt (reading what it needs from the store, building the
// request, HttpPost) and records a delivery as the scheduler hands it back.
//
//   class HookChannel final : public DeliveryChannel {
//     core::Result<std::vector<Delivery>> Pending(std::size_t limit) override;  // queue order
//     DeliveryStart Attempt(const Delivery& d, DeliveryDone done) override {
//       ... read the event; if it is gone: return DeliveryStart::Drop();
//       HttpPost(io, request, [done](HttpPostResult r) { done(HttpDeliveryOutcome(r)); });
//       return DeliveryStart::Started();
//     }
//     void Record(const Delivery& d) override { store.UpdateDelivery(d); }
//   };
//
//   auto engine = std::make_shared<DeliveryEngine>(io, env, std::make_shared<HookChannel>(...),
//                                                  DeliveryEngine::Options{.name = "webhook"});
//   engine->Start();                  // the pending records resume
//   store.PutDelivery(d);             // durable first,
//   engine->Queue({d});               // then attempted when due
//   engine->Forget(webhook_id);       // its destination was deleted, with its records
//   engine->Stop();                   // in the owner's destructor: attempts under way are abandoned
//
// What the engine guarantees, whatever the channel:
//   - Order per queue (Delivery::webhook and ::lock; push uses one queue per subscription): a
//     later delivery waits while an earlier one is under way or waiting for its retry, also
//     across a restart and when more records are pending than one load takes (options.load_limit):
//     new deliveries then stay in the store, not in memory, until the backlog is loaded, so
//     Pending must list each queue in order (a page holds the start of each queue it touches).
//   - Every version the scheduler hands back is recorded (Record): after each answered attempt,
//     when given up, when an attempt can never be made.
//   - An answer saying the destination is gone for good (kGone, e.g. a push service's 404/410)
//     has the channel delete it (Gone) and drops everything queued for it, recording nothing.
//   - Nothing runs after Stop: an outcome that arrives later changes nothing (its record stays
//     pending in the store, and resumes at the next start).
//
// Not thread-safe: the hub's io thread calls it, and every callback runs there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "hub/delivery_scheduler.h"
#include "hub/env.h"
#include "hub/hub_store.h"  // Delivery
#include "hub/http_post.h"  // HttpPostResult
#include "platform/asio.h"

namespace latchkey::hub {

// What came of an attempt that was started.
struct DeliveryOutcome {
  enum class Kind {
    kDelivered,  // the receiver took it (2xx)
    kFailed,     // retried until given up; `error` is its last_error
    kGone,       // the destination is gone for good: delete it, drop its queue
  };
  Kind kind = Kind::kFailed;
  std::string error;  // kFailed, kGone: as last_error shows it ("HTTP 503", "connect failed")
};

// The outcome of an HttpPost in the words a delivery's last_error may use (webhooks.h: no finer,
// so that last_error cannot serve as a port scanner): 2xx delivered; "HTTP <status>" for another
// answer; "refused by policy", "tls failed" or "connect failed" when none came.
DeliveryOutcome HttpDeliveryOutcome(const HttpPostResult& result);

using DeliveryDone = std::function<void(DeliveryOutcome)>;

// What a channel did with a delivery the engine asked it to attempt.
struct DeliveryStart {
  enum class Kind {
    kStarted,   // under way: `done` will be called once, later, on the io thread
    kLater,     // not now, for a reason of the channel's own (the store could not be read):
                // asked again after kRetryLaterMs, no attempt counted
    kDrop,      // never: what it is about is gone (the lock was unpaired); nothing to record
    kNoTarget,  // never: its destination was deleted, with its records; its queue goes
    kFail,      // never: it cannot be made (a URL that does not parse); given up with `error`
  };
  Kind kind = Kind::kStarted;
  std::string error;  // kFail

  static DeliveryStart Started() { return {Kind::kStarted, {}}; }
  static DeliveryStart Later() { return {Kind::kLater, {}}; }
  static DeliveryStart Drop() { return {Kind::kDrop, {}}; }
  static DeliveryStart NoTarget() { return {Kind::kNoTarget, {}}; }
  static DeliveryStart Fail(std::string error) { return {Kind::kFail, std::move(error)}; }
};

class DeliveryChannel {
 public:
  virtual ~DeliveryChannel() = default;
  // The pending records in the store, at most `limit`, each queue's in its order.
  virtual core::Result<std::vector<Delivery>> Pending(std::size_t limit) = 0;
  // Starts the attempt of `delivery`. Only with kStarted is `done` kept, and called exactly once,
  // never from inside Attempt.
  virtual DeliveryStart Attempt(const Delivery& delivery, DeliveryDone done) = 0;
  // Keeps `delivery` as the scheduler handed it back (pending with one more attempt, delivered,
  // or failed).
  virtual void Record(const Delivery& delivery) = 0;
  // An answer said the destination of `delivery` is gone for good (`why`: "HTTP 410"): delete it,
  // with its records.
  virtual void Gone(const Delivery& delivery, std::string_view why) {
    (void)delivery;
    (void)why;
  }
};

class DeliveryEngine : public std::enable_shared_from_this<DeliveryEngine> {
 public:
  static constexpr int64_t kRetryLaterMs = 1000;  // after a kLater

  struct Options {
    std::string name = "webhook";  // for the log: "cannot read pending <name> deliveries"
    std::size_t max_in_flight = DeliveryScheduler::kMaxInFlight;
    int64_t give_up_ms = DeliveryScheduler::kGiveUpMs;
    std::string give_up_error = std::string(DeliveryScheduler::kGiveUpError);
    std::size_t load_limit = 1000;  // records read at once (HubStore's largest page)
  };

  DeliveryEngine(boost::asio::io_context& io, Env& env, std::shared_ptr<DeliveryChannel> channel, Options options);
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Queues the channel's pending records (those not queued yet) and does what is due.
  void Start();
  // New records, already stored (pending): queued, unless a backlog waits in the store (they are
  // loaded with it, in order), and what is due is done.
  void Queue(std::vector<Delivery> deliveries);
  // The destination was deleted (with its records): what is queued for it goes.
  void Forget(std::string_view destination);
  // For good: attempts under way are abandoned, timers cancelled, nothing more is done.
  void Stop();

  // Attempts under way, and deliveries queued in memory (those under way included).
  std::size_t in_flight() const { return scheduler_.in_flight(); }
  std::size_t queued() const { return scheduler_.queued(); }

 private:
  DeliveryScheduler NewScheduler() const;
  void Load();
  void Pump();
  bool Send(const Delivery& delivery);
  void Answered(const Delivery& delivery, DeliveryOutcome outcome);
  void WaitUntil(int64_t until_ms);
  void Reload();

  boost::asio::io_context& io_;
  Env& env_;
  std::shared_ptr<DeliveryChannel> channel_;
  Options options_;
  boost::asio::steady_timer timer_;
  DeliveryScheduler scheduler_;
  bool backlog_ = false;        // the last load did not take every pending record
  bool reload_posted_ = false;  // a Load is posted to the io thread
  bool stopped_ = false;
};

}  // namespace latchkey::hub
