// Webhooks (API.md "History and live events"): every new event of a lock is POSTed as
// {"lock", "event"} to each webhook whose kinds match, signed with
// `X-Latchkey-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the webhook's secret>`.
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
// http:// and https:// URLs; the host is an IP address, localhost or a DNS name. A name is looked
// up at each attempt (asio's resolver, off the io thread), so a receiver that moves is followed
// and a failed lookup is retried like any other failure. https:// verifies the receiver's
// certificate chain and name against the system's trust store plus the hub's optional
// `webhook_cacert` bundle; a receiver that fails the check is never sent the event, and there is
// no switch to skip the check (an event and its signature would go to whoever answers).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/hub_store.h"
#include "hub/tls_context.h"
#include "platform/asio.h"

namespace latchkey::hub {

class Hub;
class Router;

// Where a webhook's requests go, from its URL.
struct WebhookUrl {
  bool tls = false;  // https://
  // Where to connect: an IP address (IPv6 without brackets; "localhost" is 127.0.0.1, never
  // looked up) or, when host_is_name, a DNS name in lower case that each attempt looks up.
  std::string host;
  bool host_is_name = false;
  // What the server's certificate must be valid for: the URL's host ("localhost", a name, or the
  // address); sent as SNI when it is a name.
  std::string tls_name;
  uint16_t port = 80;        // 443 for https://
  std::string target = "/";  // path and query
  std::string host_header;   // the Host header: the URL's authority
};

// Parses "http[s]://HOST[:PORT][/path][?query]" (HOST: an IPv4 address, [IPv6], localhost or a
// DNS name); kInvalid with a message that starts "url: " and says what is wrong.
core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// "sha256=" and the hex HMAC-SHA256 of `body` keyed with the bytes of `secret` (any length).
std::string WebhookSignature(std::string_view secret, std::string_view body);

class Webhooks {
 public:
  static constexpr std::size_t kMaxInFlight = 8;
  static constexpr int64_t kGiveUpMs = 24LL * 3600 * 1000;
  static constexpr int64_t kMaxBackoffMs = 3600LL * 1000;
  static constexpr std::chrono::seconds kTimeout{10};

  // `tls`: the client context of https:// deliveries (MakeWebhookTlsContext).
  Webhooks(boost::asio::io_context& io, HubStore& store, std::shared_ptr<TlsContext> tls);
  // Stops: attempts under way are abandoned (their deliveries stay pending in the store).
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Resumes the pending deliveries in the store.
  void Start();
  // A new event of `lock`, already stored: a delivery for every webhook whose kinds match.
  void OnEvent(const std::string& lock, const Json& event);
  // The webhook was deleted (with its deliveries): drop what is queued for it.
  void Forget(const std::string& webhook);
  // Attempts under way.
  std::size_t in_flight() const;

  class Engine;

 private:
  std::shared_ptr<Engine> engine_;
};

// GET|POST /api/v1/webhooks, DELETE /api/v1/webhooks/{id}, GET /api/v1/webhooks/{id}/deliveries.
void RegisterWebhookRoutes(Hub& hub, Router& router);

}  // namespace latchkey::hub
