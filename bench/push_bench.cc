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
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <utility>  // before Boost.Asio (platform/asio.h)
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "push_receiver.h"

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// One keep-alive HTTP connection (the hub's API, or the lock's sim-control with its secret).
class Client {
 public:
  explicit Client(uint16_t port, std::string sim_secret = "") : sim_secret_(std::move(sim_secret)), stream_(io_) {
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  std::pair<unsigned, Json> Call(http::verb method, const std::string& target, const Json& body = nullptr,
                                 const std::string& token = "") {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    if (!sim_secret_.empty()) request.set("X-Sim-Secret", sim_secret_);
    if (!body.is_null()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body.dump();
    }
    request.prepare_payload();
    http::write(stream_, request);
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response);
    return {response.result_int(), Json::parse(response.body(), nullptr, false)};
  }

 private:
  std::string sim_secret_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

std::string ReadLine(const std::string& path) {
  std::string line;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buffer[256] = {};
    if (std::fgets(buffer, sizeof buffer, f) != nullptr) line = buffer;
    std::fclose(f);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

int Fail(pid_t pid, const std::string& dir, const std::string& why) {
  std::fprintf(stderr, "push_bench: %s; see %s/demo.log\n", why.c_str(), dir.c_str());
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  return 1;
}

}  // namespace

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
  char dir_template[] = "/tmp/latchkey-push-bench-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  const uint16_t port = FreePort();
  std::vector<std::string> args = {argv[1],        "demo",     "--data",      dir,
                                   "--http",       "127.0.0.1:" + std::to_string(port),
                                   "--locks",      "1",        "--motor-ms",  "0",
                                   "--push-allow", "127.0.0.1:" + std::to_string(receiver.port()),
                                   "--webhook-cacert", receiver.CertPath()};
  std::vector<char*> argvv;
  for (auto& a : args) argvv.push_back(a.data());
  argvv.push_back(nullptr);
  ::setenv("LATCHKEY_OWNER_PASSWORD", "bench-password-1", 1);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir + "/demo.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[1], &actions, nullptr, argvv.data(), environ) != 0) return 1;

  std::string token, lock, sim_url;
  for (int i = 0; i < 300 && lock.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      Client c(port);
      if (token.empty()) {
        auto [status, body] = c.Call(http::verb::post, "/api/v1/auth/login", {{"username", "owner"}, {"password", "bench-password-1"}});
        if (status == 200) token = body["token"];
      }
      auto [status, locks] = c.Call(http::verb::get, "/api/v1/locks", nullptr, token);
      if (status == 200 && locks.is_array() && !locks.empty() && locks[0].value("online", false)) {
        lock = locks[0]["id"];
        sim_url = locks[0].value("sim_control_url", "");
      }
    } catch (const std::exception&) {
    }
  }
  if (lock.empty()) return Fail(pid, dir, "the demo did not come up");

  Client hub(port);
  const std::string l = "/api/v1/locks/" + lock;
  auto [user_status, user] = hub.Call(http::verb::post, l + "/users", Json{{"name", "Pat"}}, token);
  auto [pin_status, pin] = hub.Call(http::verb::post, l + "/credentials",
                                    Json{{"type", "pin"}, {"data", "246810"}, {"user", user.value("index", 0)}}, token);
  if (user_status != 201 || pin_status != 201) return Fail(pid, dir, "cannot add the PIN");
  const std::string vapid_key = hub.Call(http::verb::get, "/api/v1/push/vapid-public-key", nullptr, token).second.value("public_key", "");
  TestSubscriber subscriber;
  auto [sub_status, sub] = hub.Call(http::verb::post, "/api/v1/push/subscriptions",
                                    Json{{"endpoint", receiver.Url("/bench")},
                                         {"keys", {{"p256dh", subscriber.p256dh()}, {"auth", subscriber.auth()}}}},
                                    token);
  auto [set_status, set] = hub.Call(http::verb::patch, "/api/v1/me/notifications", Json{{"unlocks", "all"}}, token);
  if (sub_status != 201 || set_status != 200) return Fail(pid, dir, "cannot subscribe: " + sub.dump() + " " + set.dump());
  Client sim(static_cast<uint16_t>(std::stoi(sim_url.substr(sim_url.rfind(':') + 1))),
             ReadLine(dir + "/lock-1/sim-control.secret"));

  std::vector<double> ms;
  uint64_t last_seq = 0;
  for (int i = 0; i < events; ++i) {
    if (hub.Call(http::verb::post, l + "/lock", Json::object(), token).first != 200) return Fail(pid, dir, "cannot lock");
    const std::size_t before = receiver.Hits("/bench").size();
    const auto start = Clock::now();
    auto [status, decision] = sim.Call(http::verb::post, "/sim/keypad", Json{{"keys", "246810#"}});
    if (status != 200 || decision.value("result", "") != "granted") return Fail(pid, dir, "keypad: " + decision.dump());
    std::vector<PushReceiver::Hit> hits;
    while ((hits = receiver.Hits("/bench")).size() <= before && Clock::now() - start < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (hits.size() <= before) return Fail(pid, dir, "no push within 10 s");
    const PushReceiver::Hit& hit = hits[before];
    ms.push_back(std::chrono::duration<double, std::milli>(hit.at - start).count());
    // The request is the push for this unlock: it decrypts, and carries a later seq.
    const auto plain = subscriber.Decrypt(hit.body);
    const Json payload = plain ? Json::parse(*plain, nullptr, false) : Json();
    const uint64_t seq = payload.is_object() ? payload.value("seq", uint64_t{0}) : 0;
    if (payload.value("kind", "") != "lock_operation" || seq <= last_seq) return Fail(pid, dir, "unexpected push " + payload.dump());
    last_seq = seq;
    if (i == 0) {
      const std::string vapid = latchkey::testing::VerifyVapid(hit.authorization, vapid_key, receiver.Origin(),
                                                                std::chrono::duration_cast<std::chrono::seconds>(
                                                                    std::chrono::system_clock::now().time_since_epoch())
                                                                    .count());
      if (!vapid.empty()) return Fail(pid, dir, "VAPID: " + vapid);
    }
  }
  std::printf("web push latency (keypad entry at the lock -> push request read by the push service; %zu unlocks, "
              "motor 0 ms, HTTPS on loopback): median %.2f ms, p99 %.2f ms, max %.2f ms\n",
              ms.size(), Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));

  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
