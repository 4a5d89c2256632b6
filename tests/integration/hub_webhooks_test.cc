// Webhooks end to end: a real `latchkey demo` (hub and one simulated lock) delivers the lock's
// events to a receiver on loopback that checks every signature. The receiver fails the first
// attempts to prove the back-off and that a retried event still arrives before the later ones;
// a kinds filter, the deliveries listing, deletion, validation and roles, /metrics and the
// served OpenAPI document are checked on the way; pending deliveries survive a hub restart.
#include <sodium.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <mutex>
#include <set>

#include "hub_harness.h"
#include "platform/asio.h"

namespace latchkey::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "a secret of any length is a fine HMAC key: 0123456789";

std::string HexHmac(const std::string& key, const std::string& body) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

// An HTTP receiver on 127.0.0.1 with its own io thread: records every request, checks its
// signature with the secret registered for its path, and answers 500 to the next requests of a
// path as told by FailNext, 503 to every request while FailAll, 200 otherwise.
class Receiver {
 public:
  struct Hit {
    std::string path;
    std::string delivery;  // X-Latchkey-Delivery
    bool signature_ok = false;
    bool json_content = false;
    unsigned answered = 0;
    Json body;
    Clock::time_point at;
  };

  Receiver() : acceptor_(io_) {
    const auto ec = platform::OpenAcceptor(acceptor_, {asio::ip::make_address("127.0.0.1"), 0});
    EXPECT_FALSE(ec) << ec.message();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Receiver() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }
  void SetSecret(const std::string& path, const std::string& secret) {
    std::lock_guard lock(mu_);
    secrets_[path] = secret;
  }
  void FailNext(const std::string& path, int n) {
    std::lock_guard lock(mu_);
    fail_next_[path] = n;
  }
  void FailAll(bool fail) {
    std::lock_guard lock(mu_);
    fail_all_ = fail;
  }
  std::vector<Hit> Hits(const std::string& path) const {
    std::lock_guard lock(mu_);
    std::vector<Hit> out;
    for (const Hit& h : hits_) {
      if (h.path == path) out.push_back(h);
    }
    return out;
  }
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return done();
  }

 private:
  struct Conn {
    explicit Conn(asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      auto conn = std::make_shared<Conn>(std::move(socket));
      conn->stream.expires_after(10s);
      http::async_read(conn->stream, conn->buffer, conn->request, [this, conn](beast::error_code rec, std::size_t) {
        if (rec) return;
        const unsigned status = Record(conn->request);
        conn->response = http::response<http::string_body>(static_cast<http::status>(status), 11);
        conn->response.set(http::field::content_type, "text/plain");
        conn->response.body() = status == 200 ? "thanks" : "try again";
        conn->response.keep_alive(false);
        conn->response.prepare_payload();
        http::async_write(conn->stream, conn->response, [conn](beast::error_code, std::size_t) {
          beast::error_code ignored;
          conn->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        });
      });
      Accept();
    });
  }

  unsigned Record(const http::request<http::string_body>& request) {
    std::lock_guard lock(mu_);
    Hit hit;
    hit.at = Clock::now();
    hit.path = std::string(request.target());
    hit.delivery = std::string(request["X-Latchkey-Delivery"]);
    hit.json_content = std::string(request[http::field::content_type]) == "application/json";
    const auto secret = secrets_.find(hit.path);
    hit.signature_ok = request.method() == http::verb::post && secret != secrets_.end() &&
                       std::string(request["X-Latchkey-Signature"]) == "sha256=" + HexHmac(secret->second, request.body());
    hit.body = Json::parse(request.body(), nullptr, false);
    if (fail_all_) {
      hit.answered = 503;
    } else if (fail_next_[hit.path] > 0) {
      --fail_next_[hit.path];
      hit.answered = 500;
    } else {
      hit.answered = 200;
    }
    hits_.push_back(hit);
    return hit.answered;
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> secrets_;
  std::map<std::string, int> fail_next_;
  bool fail_all_ = false;
  std::vector<Hit> hits_;
};

std::vector<uint64_t> DeliveredSeqs(const std::vector<Receiver::Hit>& hits) {
  std::vector<uint64_t> seqs;
  for (const auto& h : hits) {
    if (h.answered == 200) seqs.push_back(h.body["event"].value("seq", uint64_t{0}));
  }
  return seqs;
}

class HubWebhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sodium_init() < 0, false);
    ASSERT_NO_FATAL_FAILURE(demo_.Start());
    ASSERT_EQ(demo_.lock_ids().size(), 1u);
    lock_ = demo_.lock_ids()[0];
    owner_ = demo_.owner_token();
  }

  // The lock's stored events with seq > after, in seq order.
  std::vector<Json> Stored(uint64_t after) const {
    const HttpResult r =
        demo_.Call("GET", "/api/v1/locks/" + lock_ + "/events?limit=1000&after=" + std::to_string(after), nullptr, owner_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.status == 200 ? r.json["events"].get<std::vector<Json>>() : std::vector<Json>{};
  }
  uint64_t LastSeq() const { return demo_.LockObject(lock_).value("last_event_seq", uint64_t{0}); }

  void Operate(const std::string& op) {
    const HttpResult r = demo_.Call("POST", "/api/v1/locks/" + lock_ + "/" + op, Json::object(), owner_);
    ASSERT_EQ(r.status, 200) << op << ": " << r.Describe();
  }

  std::string CreateWebhook(const Json& body, std::string* secret = nullptr) {
    const HttpResult r = demo_.Call("POST", "/api/v1/webhooks", body, owner_);
    EXPECT_EQ(r.status, 201) << r.Describe();
    if (r.status != 201) return "";
    EXPECT_EQ(r.json.value("url", ""), body["url"].get<std::string>());
    if (secret != nullptr) *secret = r.json.value("secret", "");
    return r.json.value("id", "");
  }

  Json Deliveries(const std::string& webhook) const {
    const HttpResult r = demo_.Call("GET", "/api/v1/webhooks/" + webhook + "/deliveries", nullptr, owner_);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json;
  }

  HubDemo demo_{1};
  std::string lock_;
  std::string owner_;
};

TEST_F(HubWebhooks, RefusesBadWebhooksAndRolesThatMayNot) {
  const std::string member = demo_.CreateAccount(
      Json{{"username", "mia"}, {"password", "member-password-1"}, {"role", "member"}});
  ASSERT_FALSE(member.empty());
  const std::string limited_admin = demo_.CreateAccount(
      Json{{"username", "ada"}, {"password", "admin-password-1"}, {"role", "admin"}, {"locks", {lock_}}});
  ASSERT_FALSE(limited_admin.empty());
  const Json good{{"url", "http://127.0.0.1:9/hook"}};

  EXPECT_EQ(demo_.Call("GET", "/api/v1/webhooks").status, 401);
  EXPECT_EQ(demo_.Call("POST", "/api/v1/webhooks", good).status, 401);
  EXPECT_EQ(demo_.Call("POST", "/api/v1/webhooks", good, member).status, 403);
  EXPECT_EQ(demo_.Call("GET", "/api/v1/webhooks", nullptr, member).status, 403);
  // A webhook sees every lock's events: not for an account limited to some locks.
  EXPECT_EQ(demo_.Call("POST", "/api/v1/webhooks", good, limited_admin).status, 403);

  const auto refused = [&](const Json& body, const std::string& words) {
    const HttpResult r = demo_.Call("POST", "/api/v1/webhooks", body, owner_);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.Describe();
    EXPECT_EQ(r.error_code(), "invalid") << r.Describe();
    EXPECT_NE(r.error_message().find(words), std::string::npos) << body.dump() << " -> " << r.Describe();
  };
  refused(Json{{"url", "https://127.0.0.1/hook"}}, "TLS");
  refused(Json{{"url", "http://hooks.example.com/x"}}, "IP address or localhost");
  refused(Json{{"url", "ftp://127.0.0.1/x"}}, "http://");
  refused(Json{{"url", "http://127.0.0.1:0/x"}}, "port");
  refused(Json{{"url", "http://127.0.0.1/a b"}}, "url");
  refused(Json::object(), "url");
  refused(Json{{"url", 7}}, "url");
  refused(Json{{"url", "http://127.0.0.1/x"}, {"kinds", {"lock_operation", "nope"}}}, "kinds");
  refused(Json{{"url", "http://127.0.0.1/x"}, {"kinds", Json::array()}}, "kinds");
  refused(Json{{"url", "http://127.0.0.1/x"}, {"secret", ""}}, "secret");
  refused(Json{{"url", "http://127.0.0.1/x"}, {"colour", "red"}}, "colour");

  EXPECT_EQ(demo_.Call("DELETE", "/api/v1/webhooks/nope", nullptr, owner_).status, 404);
  EXPECT_EQ(demo_.Call("GET", "/api/v1/webhooks/nope/deliveries", nullptr, owner_).status, 404);

  // IPv6 and localhost are fine; a secret is made when none is given and shown only once.
  std::string made;
  const std::string id = CreateWebhook(Json{{"url", "http://[::1]:9/x?y=1"}, {"kinds", {"alarm"}}}, &made);
  EXPECT_EQ(made.size(), 64u);
  EXPECT_EQ(made.find_first_not_of("0123456789abcdef"), std::string::npos);
  CreateWebhook(Json{{"url", "http://localhost/x"}});
  const HttpResult list = demo_.Call("GET", "/api/v1/webhooks", nullptr, owner_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json.size(), 2u);
  for (const Json& w : list.json) EXPECT_FALSE(w.contains("secret")) << w.dump();
  const auto with_kinds = std::find_if(list.json.begin(), list.json.end(), [&](const Json& w) { return w["id"] == id; });
  ASSERT_NE(with_kinds, list.json.end());
  EXPECT_EQ((*with_kinds)["kinds"], Json({"alarm"}));
  EXPECT_EQ((*with_kinds)["url"], "http://[::1]:9/x?y=1");
}

TEST_F(HubWebhooks, DeliversSignedEventsInOrderRetriesWithBackoffAndStopsWhenDeleted) {
  Receiver rx;
  rx.SetSecret("/hook", kSecret);
  rx.FailNext("/hook", 2);  // the first event's first two attempts fail
  const uint64_t before = LastSeq();
  const std::string hook = CreateWebhook(Json{{"url", rx.Url("/hook")}, {"secret", kSecret}});
  ASSERT_FALSE(hook.empty());
  std::string alarm_secret;
  const std::string alarms = CreateWebhook(Json{{"url", rx.Url("/alarms", "localhost")}, {"kinds", {"alarm"}}}, &alarm_secret);
  ASSERT_FALSE(alarms.empty());
  rx.SetSecret("/alarms", alarm_secret);

  for (const char* op : {"lock", "unlock", "lock", "unlock"}) ASSERT_NO_FATAL_FAILURE(Operate(op));
  const HttpResult tamper = demo_.Call("POST", "/api/v1/locks/" + lock_ + "/sim/tamper", Json::object(), owner_);
  ASSERT_EQ(tamper.status, 200) << tamper.Describe();
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));

  // Every event since the webhook was made reaches /hook, the retried first one included.
  ASSERT_TRUE(demo_.WaitMirrored(lock_, 5s)) << demo_.Log();
  const std::vector<Json> stored = Stored(before);
  ASSERT_GE(stored.size(), 5u);  // a lock that is already locked records nothing
  ASSERT_TRUE(rx.WaitFor([&] { return DeliveredSeqs(rx.Hits("/hook")).size() >= stored.size(); }, 20s))
      << "stored " << stored.size() << ", delivered " << DeliveredSeqs(rx.Hits("/hook")).size() << "\n" << demo_.Log();
  const auto hits = rx.Hits("/hook");
  const auto delivered = DeliveredSeqs(hits);
  ASSERT_EQ(delivered.size(), stored.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(delivered[i], stored[i]["seq"].get<uint64_t>()) << "out of order or missing at " << i;
  }
  for (const auto& h : hits) {
    EXPECT_TRUE(h.signature_ok) << h.body.dump();
    EXPECT_TRUE(h.json_content);
    EXPECT_EQ(h.body.value("lock", ""), lock_);
  }
  // The body's event is the API's event: the same as the history shows.
  std::size_t next = 0;
  for (const auto& h : hits) {
    if (h.answered != 200) continue;
    EXPECT_EQ(h.body["event"], stored[next]) << "delivery " << next;
    EXPECT_TRUE(h.body["event"]["time"].is_string());
    ++next;
  }

  // The first event: 500, 500, then 200, about 1 s and 2 s apart, as one delivery.
  ASSERT_GE(hits.size(), 3u);
  EXPECT_EQ(hits[0].answered, 500u);
  EXPECT_EQ(hits[1].answered, 500u);
  EXPECT_EQ(hits[2].answered, 200u);
  EXPECT_EQ(hits[0].delivery, hits[1].delivery);
  EXPECT_EQ(hits[0].delivery, hits[2].delivery);
  EXPECT_EQ(hits[0].body, hits[2].body);
  EXPECT_GE(hits[1].at - hits[0].at, 900ms);
  EXPECT_LT(hits[1].at - hits[0].at, 1900ms);
  EXPECT_GE(hits[2].at - hits[1].at, 1900ms);
  EXPECT_LT(hits[2].at - hits[1].at, 3900ms);
  EXPECT_EQ(hits.size(), stored.size() + 2);

  // The deliveries as the hub recorded them, newest first.
  Json list = Deliveries(hook);
  ASSERT_EQ(list.size(), stored.size()) << list.dump();
  for (const Json& d : list) {
    EXPECT_EQ(d.value("status", ""), "delivered") << d.dump();
    EXPECT_EQ(d.value("lock", ""), lock_);
    EXPECT_FALSE(d.contains("next_attempt_at")) << d.dump();
    const bool first = d.value("seq", uint64_t{0}) == stored.front()["seq"].get<uint64_t>();
    EXPECT_EQ(d.value("attempts", 0), first ? 3 : 1) << d.dump();
    if (first) {
      EXPECT_EQ(d.value("id", ""), hits[0].delivery);
    }
  }
  EXPECT_EQ(list.front().value("seq", uint64_t{0}), stored.back()["seq"].get<uint64_t>());

  // The alarms webhook got the tamper alarm and nothing else.
  ASSERT_TRUE(rx.WaitFor([&] { return !rx.Hits("/alarms").empty(); }, 5s));
  std::vector<uint64_t> alarm_seqs;
  for (const Json& e : stored) {
    if (e["kind"] == "alarm") alarm_seqs.push_back(e["seq"].get<uint64_t>());
  }
  ASSERT_FALSE(alarm_seqs.empty());
  ASSERT_TRUE(rx.WaitFor([&] { return rx.Hits("/alarms").size() >= alarm_seqs.size(); }, 5s));
  const auto alarm_hits = rx.Hits("/alarms");
  EXPECT_EQ(DeliveredSeqs(alarm_hits), alarm_seqs);
  for (const auto& h : alarm_hits) {
    EXPECT_TRUE(h.signature_ok);
    EXPECT_EQ(h.body["event"]["kind"], "alarm");
  }

  // /metrics counts them (owner or admin only).
  EXPECT_EQ(demo_.Call("GET", "/metrics").status, 401);
  const HttpResult metrics = demo_.Call("GET", "/metrics", nullptr, owner_);
  ASSERT_EQ(metrics.status, 200) << metrics.Describe();
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain; version=0.0.4", 0), 0u) << metrics.header("content-type");
  const std::string& text = metrics.body;
  EXPECT_NE(text.find("\nlatchkey_locks 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlatchkey_locks_online 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latchkey_webhook_deliveries{status=\"delivered\"} " +
                      std::to_string(stored.size() + alarm_seqs.size()) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latchkey_webhook_deliveries{status=\"pending\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latchkey_events_stored_total{lock=\"" + lock_ + "\"} " + std::to_string(Stored(0).size()) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latchkey_http_requests_total{code=\"401\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("latchkey_http_requests_total{code=\"201\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("\nlatchkey_stream_clients 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlatchkey_login_failures_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE latchkey_events_stored_total counter\n"), std::string::npos) << text;

  // The API description is served without a token.
  const HttpResult yaml = demo_.Call("GET", "/api/v1/openapi.yaml");
  ASSERT_EQ(yaml.status, 200);
  EXPECT_EQ(yaml.header("content-type"), "application/yaml");
  EXPECT_EQ(yaml.body.rfind("openapi: 3.0.3\n", 0), 0u);
  EXPECT_NE(yaml.body.find("  /api/v1/webhooks/{id}/deliveries:\n"), std::string::npos);

  // Deleted: nothing more is sent to it, and its deliveries are gone with it.
  ASSERT_EQ(demo_.Call("DELETE", "/api/v1/webhooks/" + hook, nullptr, owner_).status, 200);
  EXPECT_EQ(demo_.Call("DELETE", "/api/v1/webhooks/" + hook, nullptr, owner_).status, 404);
  EXPECT_EQ(demo_.Call("GET", "/api/v1/webhooks/" + hook + "/deliveries", nullptr, owner_).status, 404);
  const std::size_t hits_before = rx.Hits("/hook").size();
  const uint64_t last = stored.back()["seq"].get<uint64_t>();
  ASSERT_NO_FATAL_FAILURE(Operate("unlock"));
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));
  ASSERT_TRUE(demo_.WaitMirrored(lock_, 5s));
  ASSERT_GE(Stored(last).size(), 2u);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(rx.Hits("/hook").size(), hits_before);
  const HttpResult remaining = demo_.Call("GET", "/api/v1/webhooks", nullptr, owner_);
  ASSERT_EQ(remaining.json.size(), 1u);
  EXPECT_EQ(remaining.json[0]["id"], alarms);
}

TEST_F(HubWebhooks, PendingDeliveriesResumeAfterARestart) {
  Receiver rx;
  rx.SetSecret("/hook", kSecret);
  rx.FailAll(true);
  const std::string hook = CreateWebhook(Json{{"url", rx.Url("/hook")}, {"secret", kSecret}, {"kinds", {"lock_operation"}}});
  ASSERT_FALSE(hook.empty());
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));
  ASSERT_TRUE(rx.WaitFor([&] { return !rx.Hits("/hook").empty(); }, 5s)) << demo_.Log();
  const uint64_t seq = rx.Hits("/hook")[0].body["event"].value("seq", uint64_t{0});
  ASSERT_GT(seq, 0u);
  Json pending;  // the hub records the attempt once it has the answer, a moment after the receiver
  ASSERT_TRUE(rx.WaitFor(
      [&] {
        pending = Deliveries(hook);
        return pending.size() == 1 && pending[0].value("attempts", 0) >= 1;
      },
      5s))
      << pending.dump();
  EXPECT_EQ(pending[0].value("status", ""), "pending") << pending.dump();
  EXPECT_EQ(pending[0].value("last_error", ""), "HTTP 503") << pending.dump();
  EXPECT_TRUE(pending[0].contains("next_attempt_at")) << pending.dump();

  demo_.Stop();
  rx.FailAll(false);
  ASSERT_NO_FATAL_FAILURE(demo_.Start());
  owner_ = demo_.owner_token();

  ASSERT_TRUE(rx.WaitFor([&] { return !DeliveredSeqs(rx.Hits("/hook")).empty(); }, 10s)) << demo_.Log();
  const auto hits = rx.Hits("/hook");
  EXPECT_EQ(DeliveredSeqs(hits).front(), seq);
  for (const auto& h : hits) {
    EXPECT_TRUE(h.signature_ok);
    if (h.body["event"].value("seq", uint64_t{0}) == seq) {
      EXPECT_EQ(h.delivery, hits[0].delivery);
    }
  }
  const Json list = Deliveries(hook);
  const auto it = std::find_if(list.begin(), list.end(), [&](const Json& d) { return d.value("seq", uint64_t{0}) == seq; });
  ASSERT_NE(it, list.end()) << list.dump();
  EXPECT_EQ(it->value("status", ""), "delivered") << it->dump();
  EXPECT_GE(it->value("attempts", 0), 2) << it->dump();
}

}  // namespace
}  // namespace latchkey::testing
