// One HTTP/1.1 POST from the hub (a webhook delivery, the forward to a simulated lock's
// sim-control server): look the host up when it is a name, connect, for https:// run a verified
// TLS handshake, send, read the answer, close, call back once. One deadline covers the whole
// exchange. With a destination policy, every address the lookup gave is checked at the connect
// and the connection goes only to the ones that passed (destination_policy.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/destination_policy.h"
#include "hub/tls_context.h"
#include "hub/webhook_url.h"  // WebhookUrl: the parsed http[s]://HOST[:PORT]/target
#include "platform/asio.h"

#include <boost/beast/http/verb.hpp>

namespace latchkey::hub {

struct HttpPostResult {
  // Which step failed, in the coarse terms a user may be shown (a webhook's last_error): finer
  // ones would let the user map the network through the hub (a refused port answers at once, a
  // filtered one times out, an open one that speaks something else closes).
  enum class Failure {
    kNone,       // an answer came (whatever its status)
    kPolicy,     // every address the host has is refused by the destination policy
    kConnect,    // the lookup, the connect, sending, or the answer (refused, timed out, closed, garbled)
    kTls,        // the TLS handshake or the certificate check
  };
  Failure failure = Failure::kNone;
  // Empty when an answer came; else what failed, in detail, for the hub's own log (and the
  // sim-control forward, a loopback address the hub chose itself), e.g. "connect: Connection
  // refused", "lookup: Host not found (authoritative)", "tls: certificate verify failed (unable to
  // get local issuer certificate)", "no answer within 10 s (answer)" or "refused by policy:
  // 127.0.0.1 is a loopback address".
  std::string error;
  unsigned status = 0;
  std::string body;  // at most the body limit of the call
};

struct HttpPostRequest {
  WebhookUrl url;
  // POST unless told otherwise (the Matter sidecar's control API also takes GET and DELETE).
  boost::beast::http::verb method = boost::beast::http::verb::post;
  // The client context for an https:// URL (MakeWebhookTlsContext: verify_peer, TLS 1.2+). An
  // https:// URL without one fails before connecting: nothing is ever sent unverified.
  std::shared_ptr<TlsContext> tls;
  // Where it may connect. nullptr only for the hub's forward to a lock's own loopback sim-control
  // server (sim_forward.cc), whose address comes from the lock, never for a URL a user gives.
  std::shared_ptr<const DestinationPolicy> policy;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::seconds timeout{10};
  std::size_t body_limit = 64 * 1024;  // of the answer; 0: read the header only
};

void HttpPost(boost::asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done);

}  // namespace latchkey::hub
