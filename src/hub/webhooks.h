// Webhooks (API.md "History and live events"): every new event of a lock is POSTed as
// {"lock", "event"} to each webhook whose kinds match, signed (webhook_signature.h).
//
// The parts, one file each:
//   webhook_url.h         the URL grammar (what ParseWebhookUrl accepts)
//   webhook_signature.h   X-Latchkey-Signature: the HMAC-SHA256 of the body with the secret
//   delivery_scheduler.h  when to attempt, retry or give up: pure, time passed in
//   delivery_engine.h     the loop that runs the scheduler's actions on the hub's io thread and
//                         has each outcome recorded (shared with Web Push)
//   webhooks.h (this)     what webhooks send: stores each delivery, builds and signs each
//                         attempt, POSTs it with http_post.h, records what happened
//   api_webhooks.cc       the API that makes, lists and deletes webhooks
//
// A delivery is a durable record (HubStore) written before the first attempt. It is retried
// with exponential back-off (1 s, 2 s, 4 s ... at most 1 h apart) until the receiver answers
// 2xx, or is given up ("failed") once a day has passed since it was created. On start the
// pending deliveries in the store resume. The deliveries of one webhook for one lock go out one
// at a time, in event order (a later event waits while an earlier one is being retried); at most
// kMaxInFlight attempts run at once. Every attempt is an async HTTP/1.1 request on the hub's io
// thread with a 10 s deadline for the name lookup, connect, TLS handshake, write and the answer's
// header.
//
// The webhooks themselves (URL, kinds, secret) are read from the store once and kept in memory:
// the API tells this class when one is made (Changed) or deleted (Forget), so that neither an
// event nor an attempt reads the list again.
//
// http:// and https:// URLs; the host is an IP address, localhost or a DNS name. A name is looked
// up at each attempt (asio's resolver, off the io thread), so a receiver that moves is followed
// and a failed lookup is retried like any other failure. https:// verifies the receiver's
// certificate chain and name against the system's trust store plus the hub's optional
// `webhook_cacert` bundle; a receiver that fails the check is never sent the event, and there is
// no switch to skip the check (an event and its signature would go to whoever answers).
//
// Every attempt obeys the hub's destination policy (destination_policy.h): loopback, private,
// link-local, multicast and the hub's own addresses are refused unless the owner allow-lists them
// (`webhook_allow`), checked at each connect on the addresses the lookup gave. A delivery's
// last_error says only "refused by policy", "connect failed", "tls failed" or "HTTP <status>":
// the detail (which step, refused or timed out, which certificate error) goes to the hub's log,
// which only the machine's operator reads, so that last_error cannot serve as a port scanner.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/delivery_scheduler.h"
#include "hub/destination_policy.h"
#include "hub/env.h"
#include "hub/hub_store.h"
#include "hub/tls_context.h"
#include "hub/webhook_signature.h"  // WebhookSignature, for the users of this header
#include "hub/webhook_url.h"        // ParseWebhookUrl, WebhookUrl, for the users of this header
#include "platform/asio.h"

namespace latchkey::hub {

class DeliveryEngine;
class Hub;
class Router;

class Webhooks {
 public:
  static constexpr std::size_t kMaxInFlight = DeliveryScheduler::kMaxInFlight;
  static constexpr int64_t kGiveUpMs = DeliveryScheduler::kGiveUpMs;
  static constexpr int64_t kMaxBackoffMs = DeliveryScheduler::kMaxBackoffMs;
  static constexpr std::chrono::seconds kTimeout{10};

  // `tls`: the client context of https:// deliveries (MakeWebhookTlsContext); `policy`: where
  // deliveries may connect.
  Webhooks(boost::asio::io_context& io, Env& env, HubStore& store, std::shared_ptr<TlsContext> tls,
           std::shared_ptr<const DestinationPolicy> policy);
  // Stops: attempts under way are abandoned (their deliveries stay pending in the store).
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Resumes the pending deliveries in the store.
  void Start();
  // A new event of `lock`, already stored: a delivery for every webhook whose kinds match.
  void OnEvent(const std::string& lock, const Json& event);
  // A webhook was made (or changed) in the store: read the webhooks again, once.
  void Changed();
  // The webhook was deleted (with its deliveries): drop it and what is queued for it.
  void Forget(const std::string& webhook);
  // Attempts under way.
  std::size_t in_flight() const;
  // The destination policy (also for the early check when a webhook is created).
  const DestinationPolicy& policy() const { return *policy_; }

  class Channel;  // what is sent and how it is recorded (webhooks.cc)

 private:
  std::shared_ptr<const DestinationPolicy> policy_;
  std::shared_ptr<Channel> channel_;
  std::shared_ptr<DeliveryEngine> engine_;
};

}  // namespace latchkey::hub
