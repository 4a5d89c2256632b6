// Web Push latency, end to end (docs/notifications.md "How fast"): the time from a keypad entry
// at the lock to the hub's push request arriving at the push service, over a real `latchkey
// demo` (hub and one simulated lock, bolt travel 0 ms) and a push service played by
// tests/integration/push_receiver.h on 127.0.0.1 (HTTPS; the hub allows it with --push-allow
// and trusts its certificate with --webhook-cacert).
//
// Each round: the bolt is locked (REST, not timed), then the clock starts, the PIN is typed on
// the lock's own sim-control keypad, and the clock stops when the receiver has read the whole
// push request; between the two: the lock's decision and its durable log write, the link to
// the hub, the hub's durable mirror write, the push rules, the durable delivery record, the
// message encryption, the VAPID header (one signature per 12 h), and a fresh TLS connection to
// the receiver. Every request is decrypted and checked to carry the unlock it was for.
// Usage: push_bench LATCHKEY_BINARY [events]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "demo.h"
#include "push_receiver.h"

using namespace latchkey::bench;  // Client, Demo, Json, http, Percentile
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  using latchkey::testing::PushReceiver;
  using latchkey::testing::TestSubscriber;
  if (argc < 2) {
    std::fprintf(stderr, "usage: push_bench LATCHKEY_BINARY [events]\n");
    return 2;
  }
  const int events = argc > 2 ? std::max(1, std::atoi(argv[2])) : 200;
  PushReceiver receiver;
  if (!receiver.ok()) {
    std::fprintf(stderr, "push_bench: the receiver did not start: %s\n", receiver.error().c_str());
    return 1;
  }
  Demo demo("push_bench", argv[1],
            {"--motor-ms", "0", "--push-allow", "127.0.0.1:" + std::to_string(receiver.port()), "--webhook-cacert",
             receiver.CertPath()},
            "latchkey-push-bench");
  if (!demo.up()) return demo.Fail("the demo did not come up");
  const std::string& token = demo.token();

  Client hub(demo.port());
  const std::string l = "/api/v1/locks/" + demo.lock();
  auto [user_status, user] = hub.Call(http::verb::post, l + "/users", Json{{"name", "Pat"}}, token);
  auto [pin_status, pin] = hub.Call(http::verb::post, l + "/credentials",
                                    Json{{"type", "pin"}, {"data", "246810"}, {"user", user.value("index", 0)}}, token);
  if (user_status != 201 || pin_status != 201) return demo.Fail("cannot add the PIN");
  const std::string vapid_key = hub.Call(http::verb::get, "/api/v1/push/vapid-public-key", nullptr, token).second.value("public_key", "");
  TestSubscriber subscriber;
  auto [sub_status, sub] = hub.Call(http::verb::post, "/api/v1/push/subscriptions",
                                    Json{{"endpoint", receiver.Url("/bench")},
                                         {"keys", {{"p256dh", subscriber.p256dh()}, {"auth", subscriber.auth()}}}},
                                    token);
  auto [set_status, set] = hub.Call(http::verb::patch, "/api/v1/me/notifications", Json{{"unlocks", "all"}}, token);
  if (sub_status != 201 || set_status != 200) return demo.Fail("cannot subscribe: " + sub.dump() + " " + set.dump());
  Client sim(demo.sim_port(), demo.sim_secret());

  std::vector<double> ms;
  uint64_t last_seq = 0;
  for (int i = 0; i < events; ++i) {
    if (hub.Call(http::verb::post, l + "/lock", Json::object(), token).first != 200) return demo.Fail("cannot lock");
    const std::size_t before = receiver.Hits("/bench").size();
    const auto start = Clock::now();
    auto [status, decision] = sim.Call(http::verb::post, "/sim/keypad", Json{{"keys", "246810#"}});
    if (status != 200 || decision.value("result", "") != "granted") return demo.Fail("keypad: " + decision.dump());
    std::vector<PushReceiver::Hit> hits;
    while ((hits = receiver.Hits("/bench")).size() <= before && Clock::now() - start < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (hits.size() <= before) return demo.Fail("no push within 10 s");
    const PushReceiver::Hit& hit = hits[before];
    ms.push_back(std::chrono::duration<double, std::milli>(hit.at - start).count());
    // The request is the push for this unlock: it decrypts, and carries a later seq.
    const auto plain = subscriber.Decrypt(hit.body);
    const Json payload = plain ? Json::parse(*plain, nullptr, false) : Json();
    const uint64_t seq = payload.is_object() ? payload.value("seq", uint64_t{0}) : 0;
    if (payload.value("kind", "") != "lock_operation" || seq <= last_seq) return demo.Fail("unexpected push " + payload.dump());
    last_seq = seq;
    if (i == 0) {
      const std::string vapid = latchkey::testing::VerifyVapid(hit.authorization, vapid_key, receiver.Origin(),
                                                                std::chrono::duration_cast<std::chrono::seconds>(
                                                                    std::chrono::system_clock::now().time_since_epoch())
                                                                    .count());
      if (!vapid.empty()) return demo.Fail("VAPID: " + vapid);
    }
  }
  std::printf("web push latency (keypad entry at the lock -> push request read by the push service; %zu unlocks, "
              "motor 0 ms, HTTPS on loopback): median %.2f ms, p99 %.2f ms, max %.2f ms\n",
              ms.size(), Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));

  demo.Stop();
  return 0;
}
