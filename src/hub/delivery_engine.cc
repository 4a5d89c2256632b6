#include "hub/delivery_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace latchkey::hub {

namespace asio = boost::asio;

DeliveryOutcome HttpDeliveryOutcome(const HttpPostResult& result) {
  switch (result.failure) {
    case HttpPostResult::Failure::kNone: break;
    case HttpPostResult::Failure::kPolicy: return {DeliveryOutcome::Kind::kFailed, "refused by policy"};
    case HttpPostResult::Failure::kTls: return {DeliveryOutcome::Kind::kFailed, "tls failed"};
    case HttpPostResult::Failure::kConnect: return {DeliveryOutcome::Kind::kFailed, "connect failed"};
  }
  if (result.status >= 200 && result.status < 300) return {DeliveryOutcome::Kind::kDelivered, ""};
  return {DeliveryOutcome::Kind::kFailed, "HTTP " + std::to_string(result.status)};
}

DeliveryEngine::DeliveryEngine(asio::io_context& io, Env& env, std::shared_ptr<DeliveryChannel> channel, Options options)
    : io_(io), env_(env), channel_(std::move(channel)), options_(std::move(options)), timer_(io), scheduler_(NewScheduler()) {}

DeliveryScheduler DeliveryEngine::NewScheduler() const {
  return DeliveryScheduler(options_.max_in_flight, options_.give_up_ms, options_.give_up_error);
}

void DeliveryEngine::Start() { Load(); }

void DeliveryEngine::Queue(std::vector<Delivery> deliveries) {
  if (stopped_) return;
  if (!backlog_) {
    for (Delivery& d : deliveries) scheduler_.Add(std::move(d));
  }
  Pump();
}

void DeliveryEngine::Forget(std::string_view destination) {
  scheduler_.Forget(destination);
  // Its queues went without draining: a backlog in the store waits for a load that no drain
  // would ask for when they were all there was.
  if (backlog_) Reload();
}

void DeliveryEngine::Stop() {
  stopped_ = true;
  timer_.cancel();
  scheduler_ = NewScheduler();
}

// Queues the pending records of the store that are not queued yet.
void DeliveryEngine::Load() {
  reload_posted_ = false;
  if (stopped_) return;
  auto pending = channel_->Pending(options_.load_limit);
  if (!pending.ok()) {
    spdlog::error("hub: cannot read pending {} deliveries: {}", options_.name, pending.status().ToString());
    return;
  }
  // More than one page pending: new deliveries are left in the store (not queued in memory)
  // until the backlog is loaded, so that they cannot overtake older ones of the same queue.
  backlog_ = pending->size() >= options_.load_limit;
  for (Delivery& d : pending.value()) scheduler_.Add(std::move(d));
  Pump();
}

// Loads more, soon, from the io thread (never from inside a pump).
void DeliveryEngine::Reload() {
  if (reload_posted_ || stopped_) return;
  reload_posted_ = true;
  asio::post(io_, [self = shared_from_this()] { self->Load(); });
}

// Does what the scheduler says is due, until it has nothing more to say now.
void DeliveryEngine::Pump() {
  bool again = true;
  while (again && !stopped_) {
    again = false;
    for (DeliveryAction& action : scheduler_.Poll(env_.NowMs())) {
      switch (action.kind) {
        case DeliveryAction::Kind::kSend:
          // A delivery that could not be sent changed the queues: ask again.
          if (!Send(action.delivery)) again = true;
          break;
        case DeliveryAction::Kind::kGiveUp:
          channel_->Record(action.delivery);
          break;
        case DeliveryAction::Kind::kWait:
          WaitUntil(action.until_ms);
          break;
        case DeliveryAction::Kind::kDrained:
          if (backlog_) Reload();
          break;
      }
    }
  }
}

// Starts the attempt of `d`; false when it was not started (and the scheduler was told why).
bool DeliveryEngine::Send(const Delivery& d) {
  DeliveryStart start = channel_->Attempt(
      d, [self = shared_from_this(), d](DeliveryOutcome outcome) { self->Answered(d, std::move(outcome)); });
  switch (start.kind) {
    case DeliveryStart::Kind::kStarted:
      return true;
    case DeliveryStart::Kind::kLater:
      scheduler_.Postpone(d.id, env_.NowMs() + kRetryLaterMs);
      return false;
    case DeliveryStart::Kind::kDrop:
      scheduler_.Drop(d.id);
      return false;
    case DeliveryStart::Kind::kNoTarget:
      scheduler_.Drop(d.id);  // not in flight: this attempt never starts
      Forget(d.webhook);
      return false;
    case DeliveryStart::Kind::kFail:
      if (auto record = scheduler_.Fail(d.id, std::move(start.error))) channel_->Record(*record);
      return false;
  }
  return false;
}

void DeliveryEngine::Answered(const Delivery& d, DeliveryOutcome outcome) {
  if (stopped_) return;
  if (outcome.kind == DeliveryOutcome::Kind::kGone) {
    channel_->Gone(d, outcome.error);
    Forget(d.webhook);  // the Done below then finds nothing to record
  }
  const bool ok = outcome.kind == DeliveryOutcome::Kind::kDelivered;
  if (auto record = scheduler_.Done(env_.NowMs(), d.id, ok, ok ? std::string() : std::move(outcome.error))) {
    channel_->Record(*record);
  }
  Pump();
}

// One timer for the earliest delivery that waits; a later Pump moves it.
void DeliveryEngine::WaitUntil(int64_t until_ms) {
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, until_ms - env_.NowMs())));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;  // moved or stopped
    self->Pump();
  });
}

}  // namespace latchkey::hub
