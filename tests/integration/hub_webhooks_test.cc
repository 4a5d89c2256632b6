// Webhooks end to end: a real `latchkey demo` (hub and one simulated lock) delivers the lock's
// events to a receiver on loopback that checks every signature. The receiver fails the first
// attempts to prove the back-off and that a retried event still arrives before the later ones;
// a kinds filter, the deliveries listing, deletion, validation and roles, /metrics and the
// served OpenAPI document are checked on the way; pending deliveries survive a hub restart.
// https:// receivers have certificates signed by a CA made for the test: a hub given that CA
// (--webhook-cacert) delivers to them, one without it records the failed check and retries,
// and a receiver whose certificate names another host is refused too. A host name that does
// not resolve is accepted and its deliveries fail the lookup. The receivers are on loopback, which
// the hub's destination policy refuses by default: these hubs allow-list 127.0.0.1 and ::1
// (--webhook-allow); HubWebhookPolicy shows the refusal without it.
#include <netdb.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "hub_harness.h"
#include "platform/asio.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

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

// A CA made for the test (as an admin would, with `openssl req`) and server certificates it
// signs, in a folder of the test's own.
class TestPki {
 public:
  TestPki() {
    char pattern[] = "/tmp/latchkey-webhook-pki-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=latchkey-test-ca "
        "-keyout " + dir_ + "/ca.key -out " + dir_ + "/ca.pem");
  }
  ~TestPki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& dir() const { return dir_; }
  std::string ca() const { return dir_ + "/ca.pem"; }

  // NAME.pem and NAME.key: a server certificate signed by the CA, valid for `san`
  // ("DNS:localhost,IP:127.0.0.1"); a server context serving it.
  std::shared_ptr<ssl::context> Issue(const std::string& name, const std::string& san) {
    Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + name +
        " -addext subjectAltName=" + san + " -addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth"
        " -CA " + ca() + " -CAkey " + dir_ + "/ca.key -keyout " + dir_ + "/" + name + ".key -out " + dir_ + "/" + name + ".pem");
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    context->use_certificate_chain_file(dir_ + "/" + name + ".pem", ec);
    if (!ec) context->use_private_key_file(dir_ + "/" + name + ".key", ssl::context::pem, ec);
    EXPECT_FALSE(ec) << name << ": " << ec.message();
    return context;
  }

 private:
  static void Run(const std::string& command) {
    const std::string quiet = command + " 2>/dev/null";
    EXPECT_EQ(std::system(quiet.c_str()), 0) << command;
  }
  std::string dir_;
};

// An HTTP receiver on 127.0.0.1 with its own io thread (HTTPS when given a server context):
// records every request, checks its signature with the secret registered for its path, and
// answers 500 to the next requests of a path as told by FailNext, 503 to every request while
// FailAll, 200 otherwise.
class Receiver {
 public:
  struct Hit {
    std::string path;
    std::string delivery;  // X-Latchkey-Delivery
    std::string sni;       // the TLS client's server name ("" for none or plain HTTP)
    bool signature_ok = false;
    bool json_content = false;
    unsigned answered = 0;
    Json body;
    Clock::time_point at;
  };

  explicit Receiver(std::shared_ptr<ssl::context> tls = nullptr) : tls_(std::move(tls)), acceptor_(io_) {
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
    return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
  }
  // Connections accepted (a request or not).
  int accepted() const {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  // TLS handshakes that failed (the client refused the certificate, or gave up).
  int handshake_failures() const {
    std::lock_guard lock(mu_);
    return handshake_failures_;
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
    return latchkey::testing::WaitUntil(done, timeout) || done();
  }

 private:
  template <class Stream>
  struct Conn {
    template <class... Args>
    explicit Conn(Args&&... args) : stream(std::forward<Args>(args)...) {}
    Stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      {
        std::lock_guard lock(mu_);
        ++accepted_;
      }
      if (tls_) {
        auto conn = std::make_shared<Conn<TlsStream>>(std::move(socket), *tls_);
        beast::get_lowest_layer(conn->stream).expires_after(10s);
        conn->stream.async_handshake(ssl::stream_base::server, [this, conn](beast::error_code hec) {
          if (hec) {
            std::lock_guard lock(mu_);
            ++handshake_failures_;
            return;
          }
          const char* sni = SSL_get_servername(conn->stream.native_handle(), TLSEXT_NAMETYPE_host_name);
          Serve(conn, sni == nullptr ? "" : sni);
        });
      } else {
        auto conn = std::make_shared<Conn<beast::tcp_stream>>(std::move(socket));
        conn->stream.expires_after(10s);
        Serve(conn, "");
      }
      Accept();
    });
  }

  template <class Stream>
  void Serve(std::shared_ptr<Conn<Stream>> conn, std::string sni) {
    http::async_read(conn->stream, conn->buffer, conn->request, [this, conn, sni](beast::error_code rec, std::size_t) {
      if (rec) return;
      const unsigned status = Record(conn->request, sni);
      conn->response = http::response<http::string_body>(static_cast<http::status>(status), 11);
      conn->response.set(http::field::content_type, "text/plain");
      conn->response.body() = status == 200 ? "thanks" : "try again";
      conn->response.keep_alive(false);
      conn->response.prepare_payload();
      http::async_write(conn->stream, conn->response, [conn](beast::error_code, std::size_t) {
        beast::error_code ignored;
        beast::get_lowest_layer(conn->stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      });
    });
  }

  unsigned Record(const http::request<http::string_body>& request, const std::string& sni) {
    std::lock_guard lock(mu_);
    Hit hit;
    hit.at = Clock::now();
    hit.sni = sni;
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
  std::shared_ptr<ssl::context> tls_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> secrets_;
  std::map<std::string, int> fail_next_;
  bool fail_all_ = false;
  int handshake_failures_ = 0;
  int accepted_ = 0;
  std::vector<Hit> hits_;
};

std::vector<uint64_t> DeliveredSeqs(const std::vector<Receiver::Hit>& hits) {
  std::vector<uint64_t> seqs;
  for (const auto& h : hits) {
    if (h.answered == 200) seqs.push_back(h.body["event"].value("seq", uint64_t{0}));
  }
  return seqs;
}

// The hub's flags that let webhooks reach the test's receivers on loopback.
const std::vector<std::string> kAllowLoopback = {"--webhook-allow", "127.0.0.1", "--webhook-allow", "::1"};

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class HubWebhooks : public ::testing::Test {
 protected:
  // `trust_test_ca`: the hub trusts pki_'s CA for https:// webhooks (--webhook-cacert).
  // `allow_loopback`: the receivers on loopback are allow-listed.
  explicit HubWebhooks(bool trust_test_ca = false, bool allow_loopback = true)
      : demo_(1, Concat(trust_test_ca ? std::vector<std::string>{"--webhook-cacert", pki_.ca()} : std::vector<std::string>{},
                        allow_loopback ? kAllowLoopback : std::vector<std::string>{})) {}

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
  // The webhook's deliveries once the hub has recorded every one as delivered, or as they are
  // after `timeout`. The hub records an outcome when it has read the receiver's answer, a moment
  // after the receiver saw the request: a receiver's hit alone does not say the hub knows.
  Json WaitAllDelivered(const std::string& webhook, std::chrono::milliseconds timeout) const {
    Json list;
    (void)latchkey::testing::WaitUntil([&] { return AllDelivered(list = Deliveries(webhook)); }, timeout, 50ms);
    return list;
  }
  static bool AllDelivered(const Json& list) {
    return list.is_array() && !list.empty() &&
           std::all_of(list.begin(), list.end(), [](const Json& d) { return d.value("status", "") == "delivered"; });
  }

  TestPki pki_;  // before demo_, which may be given its CA
  HubDemo demo_;
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
  refused(Json{{"url", "https://user@127.0.0.1/hook"}}, "user info");
  refused(Json{{"url", "https://hooks_1.example.com/x"}}, "host name");
  refused(Json{{"url", "https://127.1/x"}}, "host name");
  refused(Json{{"url", "https://127.0.0.1:99999/x"}}, "port");
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
  // https:// (port 443 by default) and host names, looked up only when a delivery is made.
  CreateWebhook(Json{{"url", "https://hooks.example.com/latchkey"}, {"kinds", {"alarm"}}});
  CreateWebhook(Json{{"url", "https://[::1]:8443/x"}, {"kinds", {"alarm"}}});
  const HttpResult list = demo_.Call("GET", "/api/v1/webhooks", nullptr, owner_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json.size(), 4u);
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
  Json list = WaitAllDelivered(hook, 5s);
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
  const Json list = WaitAllDelivered(hook, 5s);
  const auto it = std::find_if(list.begin(), list.end(), [&](const Json& d) { return d.value("seq", uint64_t{0}) == seq; });
  ASSERT_NE(it, list.end()) << list.dump();
  EXPECT_EQ(it->value("status", ""), "delivered") << it->dump();
  EXPECT_GE(it->value("attempts", 0), 2) << it->dump();
}

// The oldest delivery of a webhook (the list is newest first) once `done` holds for it, or as it
// is when `timeout` has passed.
Json WaitOldestDelivery(const std::function<Json()>& list, const std::function<bool(const Json&)>& done,
                        std::chrono::milliseconds timeout) {
  Json oldest;
  const auto deadline = Clock::now() + timeout;
  do {
    const Json deliveries = list();
    if (deliveries.is_array() && !deliveries.empty()) {
      oldest = deliveries.back();
      if (done(oldest)) return oldest;
    }
    std::this_thread::sleep_for(50ms);
  } while (Clock::now() < deadline);
  return oldest;
}

TEST_F(HubWebhooks, AnUntrustedHttpsReceiverGetsNothingAndAnUnknownNameFailsTheLookup) {
  Receiver rx(pki_.Issue("receiver", "DNS:localhost,IP:127.0.0.1"));
  rx.SetSecret("/hook", kSecret);
  // This hub was not given the test's CA: the receiver's certificate cannot be verified.
  const std::string hook =
      CreateWebhook(Json{{"url", rx.Url("/hook", "localhost")}, {"secret", kSecret}, {"kinds", {"lock_operation"}}});
  ASSERT_FALSE(hook.empty());
  // A name is accepted when the webhook is made; each delivery looks it up (.invalid never resolves).
  const std::string nowhere = CreateWebhook(Json{{"url", "https://nowhere.invalid/hook"}, {"kinds", {"lock_operation"}}});
  ASSERT_FALSE(nowhere.empty());
  ASSERT_NO_FATAL_FAILURE(Operate("unlock"));
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));

  // Retried with back-off (1 s after the first attempt), never sent without the check.
  const Json refused = WaitOldestDelivery([&] { return Deliveries(hook); },
                                          [](const Json& d) { return d.value("attempts", 0) >= 2; }, 10s);
  EXPECT_GE(refused.value("attempts", 0), 2) << refused.dump() << "\n" << demo_.Log();
  EXPECT_EQ(refused.value("status", ""), "pending") << refused.dump();
  EXPECT_TRUE(refused.contains("next_attempt_at")) << refused.dump();
  // last_error says only that TLS failed (no detail a port scan could use); the hub's log says why.
  EXPECT_EQ(refused.value("last_error", ""), "tls failed") << refused.dump();
  EXPECT_NE(demo_.Log().find("tls: certificate verify failed (unable to get local issuer certificate)"), std::string::npos)
      << demo_.Log();
  EXPECT_TRUE(rx.Hits("/hook").empty()) << "an event went to a receiver whose certificate was not verified";
  EXPECT_GE(rx.handshake_failures(), 2);

  const Json lookup = WaitOldestDelivery([&] { return Deliveries(nowhere); },
                                         [](const Json& d) { return d.value("attempts", 0) >= 1; }, 15s);
  EXPECT_GE(lookup.value("attempts", 0), 1) << lookup.dump() << "\n" << demo_.Log();
  EXPECT_EQ(lookup.value("status", ""), "pending") << lookup.dump();
  EXPECT_EQ(lookup.value("last_error", ""), "connect failed") << lookup.dump();
  EXPECT_NE(demo_.Log().find("delivery " + lookup.value("id", "") + ": lookup: "), std::string::npos) << demo_.Log();
}

// The same, with a hub that trusts the test's CA.
class HubWebhooksHttps : public HubWebhooks {
 protected:
  HubWebhooksHttps() : HubWebhooks(/*trust_test_ca=*/true) {}
};

TEST_F(HubWebhooksHttps, DeliversSignedEventsToAReceiverTrustedThroughWebhookCacert) {
  Receiver rx(pki_.Issue("receiver", "DNS:localhost,IP:127.0.0.1"));
  rx.SetSecret("/hook", kSecret);
  // Signed by the trusted CA, but for another name: still refused.
  Receiver elsewhere(pki_.Issue("elsewhere", "DNS:elsewhere.example"));
  const uint64_t before = LastSeq();
  const std::string hook = CreateWebhook(Json{{"url", rx.Url("/hook", "localhost")}, {"secret", kSecret}});
  ASSERT_FALSE(hook.empty());
  std::string by_ip_secret;
  const std::string by_ip = CreateWebhook(Json{{"url", rx.Url("/by-ip", "127.0.0.1")}}, &by_ip_secret);
  ASSERT_FALSE(by_ip.empty());
  rx.SetSecret("/by-ip", by_ip_secret);
  const std::string misnamed = CreateWebhook(Json{{"url", elsewhere.Url("/hook", "localhost")}});
  ASSERT_FALSE(misnamed.empty());

  ASSERT_NO_FATAL_FAILURE(Operate("unlock"));
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));
  ASSERT_TRUE(demo_.WaitMirrored(lock_, 5s)) << demo_.Log();
  const std::vector<Json> stored = Stored(before);
  ASSERT_GE(stored.size(), 2u);
  for (const std::string path : {"/hook", "/by-ip"}) {
    ASSERT_TRUE(rx.WaitFor([&] { return DeliveredSeqs(rx.Hits(path)).size() >= stored.size(); }, 15s))
        << path << ": stored " << stored.size() << ", delivered " << DeliveredSeqs(rx.Hits(path)).size() << "\n"
        << demo_.Log();
    const auto hits = rx.Hits(path);
    ASSERT_EQ(hits.size(), stored.size()) << path;
    for (std::size_t i = 0; i < hits.size(); ++i) {
      EXPECT_TRUE(hits[i].signature_ok) << path << " " << hits[i].body.dump();
      EXPECT_TRUE(hits[i].json_content);
      EXPECT_EQ(hits[i].body["event"], stored[i]) << path << " delivery " << i;
      // SNI carries the name; an address is not sent (RFC 6066).
      EXPECT_EQ(hits[i].sni, path == "/hook" ? "localhost" : "") << path;
    }
  }
  for (const Json& d : WaitAllDelivered(hook, 5s)) {
    EXPECT_EQ(d.value("status", ""), "delivered") << d.dump();
    EXPECT_EQ(d.value("attempts", 0), 1) << d.dump();
  }

  const Json refused = WaitOldestDelivery([&] { return Deliveries(misnamed); },
                                          [](const Json& d) { return d.value("attempts", 0) >= 1; }, 10s);
  EXPECT_EQ(refused.value("status", ""), "pending") << refused.dump();
  EXPECT_EQ(refused.value("last_error", ""), "tls failed") << refused.dump();
  EXPECT_NE(demo_.Log().find("delivery " + refused.value("id", "") + ": tls: certificate verify failed (hostname mismatch)"),
            std::string::npos)
      << demo_.Log();
  EXPECT_TRUE(elsewhere.Hits("/hook").empty());
}

// The destination policy (SECURITY.md "Outbound requests have a destination policy"). The review
// made a webhook to the lock's own sim-control port (http://127.0.0.1:<sim>/sim/tamper), and every
// event of the lock then raised a tamper alarm; last_error told open ports from closed ones.
class HubWebhookPolicy : public HubWebhooks {
 protected:
  HubWebhookPolicy() : HubWebhooks(/*trust_test_ca=*/false, /*allow_loopback=*/false) {}

  void Restart(std::vector<std::string> args) {
    demo_.Stop();
    demo_.set_extra_args(std::move(args));
    ASSERT_NO_FATAL_FAILURE(demo_.Start());
    owner_ = demo_.owner_token();
  }
  std::size_t TamperAlarms() const {
    std::size_t n = 0;
    for (const Json& e : Stored(0)) n += e.value("kind", "") == "alarm" && e.value("alarm", "") == "tamper" ? 1 : 0;
    return n;
  }
};

TEST_F(HubWebhookPolicy, LoopbackAndPrivateDestinationsAreRefusedUnlessAllowListed) {
  Receiver rx;
  rx.SetSecret("/hook", kSecret);
  const std::string sim = demo_.LockObject(lock_).value("sim_control_url", "");
  ASSERT_EQ(sim.rfind("http://127.0.0.1:", 0), 0u) << sim;
  const std::size_t alarms_before = TamperAlarms();

  // A literal address is refused when the webhook is made, with a message that says what to do.
  const auto refused = [&](const std::string& url, const std::string& words) {
    const HttpResult r = demo_.Call("POST", "/api/v1/webhooks", Json{{"url", url}}, owner_);
    EXPECT_EQ(r.status, 400) << url << " -> " << r.Describe();
    EXPECT_EQ(r.error_code(), "invalid") << r.Describe();
    EXPECT_NE(r.error_message().find(words), std::string::npos) << url << " -> " << r.Describe();
    EXPECT_NE(r.error_message().find("webhook_allow"), std::string::npos) << r.Describe();
  };
  refused(rx.Url("/hook"), "url: 127.0.0.1 is a loopback address");
  refused(sim + "/sim/tamper", "loopback");
  refused("http://localhost:9/x", "127.0.0.1 is a loopback address (localhost)");
  refused("http://[::1]:9/x", "::1 is a loopback address");
  refused("http://[::ffff:127.0.0.1]:9/x", "127.0.0.1 is a loopback address");
  refused("http://10.0.0.1/x", "10.0.0.1 is a private address");
  refused("https://192.168.1.1/x", "private");
  refused("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address");
  refused("http://[fe80::1]/x", "link-local");
  refused("http://100.64.0.1/x", "carrier-grade NAT");
  refused("http://224.0.0.1/x", "multicast");
  refused("http://255.255.255.255/x", "broadcast");
  refused("http://0.0.0.0:9/x", "unspecified");
  EXPECT_EQ(demo_.Call("GET", "/api/v1/webhooks", nullptr, owner_).json, Json::array());
  // A public address is accepted (each delivery checks again at its connect).
  const std::string public_hook = CreateWebhook(Json{{"url", "https://192.0.2.10/x"}, {"kinds", {"power"}}});
  ASSERT_FALSE(public_hook.empty());
  ASSERT_EQ(demo_.Call("DELETE", "/api/v1/webhooks/" + public_hook, nullptr, owner_).status, 200);

  // A name is not looked up when the webhook is made; each delivery checks every address it
  // resolves to at the connect. This machine's own name resolves to one of its own addresses
  // (loopback in most containers).
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  addrinfo* found = nullptr;
  const bool resolves = ::getaddrinfo(host, nullptr, nullptr, &found) == 0;
  if (found != nullptr) ::freeaddrinfo(found);
  if (resolves) {
    const std::string by_name = CreateWebhook(Json{{"url", rx.Url("/by-name", host)}, {"kinds", {"lock_operation"}}});
    ASSERT_FALSE(by_name.empty()) << host;
    ASSERT_NO_FATAL_FAILURE(Operate("unlock"));
    const Json d = WaitOldestDelivery([&] { return Deliveries(by_name); },
                                      [](const Json& x) { return x.value("attempts", 0) >= 1; }, 10s);
    EXPECT_EQ(d.value("last_error", ""), "refused by policy") << d.dump() << "\n" << demo_.Log();
    EXPECT_EQ(d.value("status", ""), "pending") << d.dump();
    EXPECT_EQ(rx.accepted(), 0);
    EXPECT_NE(demo_.Log().find("delivery " + d.value("id", "") + ": refused by policy: "), std::string::npos) << demo_.Log();
    ASSERT_EQ(demo_.Call("DELETE", "/api/v1/webhooks/" + by_name, nullptr, owner_).status, 200);
    ASSERT_NO_FATAL_FAILURE(Operate("lock"));
  } else {
    std::cout << "this machine's name '" << host << "' does not resolve: the by-name part is left out\n";
  }

  // Allow-listed for one port: the receiver gets its events, the sim-control port is still refused.
  ASSERT_NO_FATAL_FAILURE(Restart({"--webhook-allow", "127.0.0.1:" + std::to_string(rx.port())}));
  refused(sim + "/sim/tamper", "loopback");
  const std::string hook = CreateWebhook(Json{{"url", rx.Url("/hook")}, {"secret", kSecret}, {"kinds", {"lock_operation"}}});
  ASSERT_FALSE(hook.empty());
  ASSERT_NO_FATAL_FAILURE(Operate("unlock"));
  // Delivered as the hub recorded it, not merely seen by the receiver: the hub records the
  // outcome only once the answer is read, and the restart below abandons an attempt whose answer
  // is still on its way. That delivery would stay pending, be retried (refused) by the hub without
  // the allow-list, and hold back the next event's delivery behind it (one webhook and lock, in
  // order), which the last part waits for.
  const Json delivered = WaitAllDelivered(hook, 10s);
  ASSERT_TRUE(AllDelivered(delivered)) << delivered.dump() << "\n" << demo_.Log();
  ASSERT_FALSE(DeliveredSeqs(rx.Hits("/hook")).empty());
  EXPECT_TRUE(rx.Hits("/hook")[0].signature_ok);
  const uint64_t delivered_seq = delivered.front().value("seq", uint64_t{0});  // the newest

  // The allow-list taken away: the webhook made meanwhile is refused at each connect, and the
  // receiver sees no connection at all.
  ASSERT_NO_FATAL_FAILURE(Restart({}));
  const int accepted_before = rx.accepted();
  const std::size_t delivered_before = rx.Hits("/hook").size();
  ASSERT_NO_FATAL_FAILURE(Operate("lock"));
  const Json refused_delivery = WaitOldestDelivery(
      [&] {
        Json list = Deliveries(hook);
        return list.is_array() && !list.empty() ? Json::array({list.front()}) : list;  // the newest
      },
      [](const Json& x) { return x.value("attempts", 0) >= 1 && x.value("status", "") == "pending"; }, 10s);
  EXPECT_EQ(refused_delivery.value("last_error", ""), "refused by policy") << refused_delivery.dump() << "\n" << demo_.Log();
  EXPECT_GT(refused_delivery.value("seq", uint64_t{0}), delivered_seq) << refused_delivery.dump();
  EXPECT_EQ(rx.accepted(), accepted_before);
  EXPECT_EQ(rx.Hits("/hook").size(), delivered_before);
  // No delivery raised an alarm on the lock.
  ASSERT_TRUE(demo_.WaitMirrored(lock_, 5s));
  EXPECT_EQ(TamperAlarms(), alarms_before);
}

// `latchkey hub` with `args` exits with `exit_status` and a log that says `words`.
void ExpectHubRefusesToStart(const std::vector<std::string>& args, const std::string& words, int exit_status) {
  LatchkeyProcess hub;
  std::vector<std::string> all{"hub", "--data", hub.dir() + "/data", "--http",
                               "127.0.0.1:" + std::to_string(FreeLoopbackPort())};
  all.insert(all.end(), args.begin(), args.end());
  hub.Spawn(all);
  const auto status = hub.WaitExit(20s);
  ASSERT_TRUE(status.has_value()) << "the hub kept running:\n" << hub.Log();
  EXPECT_EQ(*status, exit_status) << hub.Log();
  EXPECT_NE(hub.Log().find(words), std::string::npos) << hub.Log();
}

// webhook_cacert must load: a missing file or one without a PEM certificate stops the start
// with a message naming it, from the flag or the config file.
TEST(HubWebhooksCacert, AFileThatDoesNotLoadStopsTheStart) {
  const auto refused = [](const std::vector<std::string>& args, const std::string& file) {
    ExpectHubRefusesToStart(args, "webhook_cacert " + file, 1);
  };
  TestPki pki;
  const std::string missing = pki.dir() + "/missing.pem";
  refused({"--webhook-cacert", missing}, missing);
  const std::string garbage = pki.dir() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  refused({"--webhook-cacert", garbage}, garbage);
  const std::string config = pki.dir() + "/hub.toml";
  std::ofstream(config) << "webhook_cacert = \"" << garbage << "\"\n";
  refused({"--config", config}, garbage);
  // The flag wins over the file.
  const std::string good = pki.dir() + "/good.toml";
  std::ofstream(good) << "webhook_cacert = \"" << pki.ca() << "\"\n";
  refused({"--config", good, "--webhook-cacert", missing}, missing);

  // A good one: the hub runs.
  LatchkeyProcess hub;
  const uint16_t port = FreeLoopbackPort();
  hub.Spawn({"hub", "--data", hub.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port), "--config", good});
  int status = 0;
  (void)latchkey::testing::WaitUntil([&] { return (status = HttpCall(port, "GET", "/healthz").status) == 200; }, 10s, 50ms);
  EXPECT_EQ(status, 200) << hub.Log();
}

// webhook_allow must parse, from the flag or the config file: a bad entry stops the start with a
// message naming it.
TEST(HubWebhooksAllowConfig, ABadEntryStopsTheStart) {
  const auto refused = ExpectHubRefusesToStart;
  refused({"--webhook-allow", "10.0.0.1/8"}, "webhook_allow '10.0.0.1/8': the address has bits set", 1);
  refused({"--webhook-allow", "127.0.0.1", "--webhook-allow", "0.0.0.0"}, "webhook_allow '0.0.0.0'", 1);
  LatchkeyProcess folder;  // not started: a folder of the test's own
  const std::string bad_entry = folder.dir() + "/bad-entry.toml";
  std::ofstream(bad_entry) << "webhook_allow = [\"127.0.0.1:9000\", \"receiver_lan\"]\n";
  refused({"--config", bad_entry}, "webhook_allow 'receiver_lan'", 1);
  const std::string not_a_list = folder.dir() + "/not-a-list.toml";
  std::ofstream(not_a_list) << "webhook_allow = \"127.0.0.1\"\n";
  refused({"--config", not_a_list}, "webhook_allow must be a list of strings", 2);
  // The flag replaces the file's list.
  refused({"--config", bad_entry, "--webhook-allow", "::1:x"}, "webhook_allow '::1:x'", 1);
}

}  // namespace
}  // namespace latchkey::testing
