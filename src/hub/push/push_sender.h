// Durable delivery of Web Push messages (RFC 8030): each message for each subscription is a
// record in the hub's store (HubStore::AddPushDeliveries) written before the event it is about
// is acknowledged to the lock, then POSTed to the subscription's push service on the hub's io
// thread until the service takes it. The webhooks' machinery does the rest: delivery_engine.h
// runs the loop (the same one as webhooks'; this file says what is sent and how it is recorded),
// delivery_scheduler.h decides when (due at once; back-off 1 s, 2 s, 4 s ...; given up an hour
// after it was queued, where a webhook waits a day; one at a time per subscription, in the order
// queued, so a later notification never overtakes an earlier one that is being retried; at most
// 8 attempts at once), and http_post.h makes each request under the destination policy.
//
// Each attempt:
//   POST <endpoint>
//   TTL: 86400 | 3600            (notification_rules.h: alarms and offline a day, unlocks an hour)
//   Urgency: high | normal       (alarms high)
//   Content-Encoding: aes128gcm  (web_push_message.h: encrypted anew for each attempt)
//   Authorization: vapid t=<ES256 JWT, aud = the endpoint's origin>, k=<VAPID public key>
// and the answer decides:
//   2xx         delivered; the subscription's last_error is cleared
//   404, 410    the browser dropped the subscription (RFC 8030 section 7.3): the subscription is
//               deleted, with everything queued for it
//   other       retried (a 429 or 5xx is the service's trouble; a 400, 401, 403 or 413 stays
//               until given up, with its status in the subscription's last_error, which
//               the app shows)
// Failures before an answer are recorded as webhooks record them (webhooks.h): "refused by
// policy", "connect failed", "tls failed", "HTTP <status>"; details only in the hub's log.
//
// Every endpoint is https:// (checked when subscribed) and obeys the destination policy at each
// connect (destination_policy.h): loopback, private, link-local, multicast and the hub's own
// addresses are refused unless the hub's `push_allow` lists them (for a test's local receiver).
// The service's certificate is verified against the system's trust store plus the hub's
// `webhook_cacert`.
//
//   PushSender sender(io, env, store, vapid_key, "mailto:me@example.com", tls, policy);
//   sender.Start();                                  // pending deliveries resume
//   sender.Queue({delivery, ...});                   // stored, then sent
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "hub/destination_policy.h"
#include "hub/env.h"
#include "hub/hub_store.h"
#include "hub/push/vapid_key.h"
#include "hub/tls_context.h"
#include "platform/asio.h"

namespace latchkey::hub {
class DeliveryEngine;
}  // namespace latchkey::hub

namespace latchkey::hub::push {

class PushSender {
 public:
  static constexpr int64_t kGiveUpMs = 3600LL * 1000;
  static constexpr std::chrono::seconds kTimeout{10};
  // Delivered and given-up deliveries stay this long (queueing the same event again does
  // nothing meanwhile), then go.
  static constexpr int64_t kKeepFinishedMs = 24LL * 3600 * 1000;

  // `key`: the hub's VAPID key. `subject`: the JWTs' `sub` (vapid_jwt.h). `tls`: the client
  // context of the requests; `policy`: where they may connect.
  PushSender(boost::asio::io_context& io, Env& env, HubStore& store, VapidKey key, std::string subject,
             std::shared_ptr<TlsContext> tls, std::shared_ptr<const DestinationPolicy> policy);
  // Stops: attempts under way are abandoned (their deliveries stay pending in the store).
  ~PushSender();
  PushSender(const PushSender&) = delete;
  PushSender& operator=(const PushSender&) = delete;

  // Resumes the pending deliveries in the store (and forgets finished ones over a day old).
  void Start();
  // Stores `deliveries` (status pending, due now; ids ignored) in one durable transaction and
  // queues those stored: one whose subscription already had its source, or whose subscription
  // is gone, is left out. Runs on the io thread before the event is acknowledged.
  core::Status Queue(std::vector<PushDelivery> deliveries);
  // The subscription was deleted (with its deliveries): drop what is queued for it.
  void Forget(const std::string& subscription);
  // The destination policy (also for the early check when a subscription is made).
  const DestinationPolicy& policy() const { return *policy_; }
  // Attempts under way, and deliveries queued in memory.
  std::size_t in_flight() const;
  std::size_t queued() const;

  class Channel;  // what is sent and how it is recorded (push_sender.cc)

 private:
  std::shared_ptr<const DestinationPolicy> policy_;
  std::shared_ptr<Channel> channel_;
  std::shared_ptr<DeliveryEngine> engine_;
};

}  // namespace latchkey::hub::push
