// The destination policy of the hub's outbound requests (hub/destination_policy.h): the class of
// every kind of address, the allow-list grammar, the pure check (address x allow-list x own
// addresses -> allowed?), and HttpPost applying it at the connect to what a name resolved to.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>
#include <string>
#include <vector>

#include "hub/destination_policy.h"
#include "hub/http_post.h"
#include "platform/asio.h"

namespace latchkey::hub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::address;

address A(const std::string& text) { return asio::ip::make_address(text); }

DestinationPolicy Policy(const std::vector<std::string>& allow) {
  auto policy = DestinationPolicy::Parse(allow);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return policy.ok() ? *policy : DestinationPolicy();
}

bool Allowed(const DestinationPolicy& policy, const std::string& a, uint16_t port = 443, const std::string& name = "",
             const std::vector<address>& own = {}) {
  return policy.Check(A(a), port, name, own).allowed;
}

TEST(DestinationPolicyTest, ClassifiesEveryRefusedKindOfAddress) {
  const std::vector<std::pair<std::string, AddressClass>> cases = {
      {"0.0.0.0", AddressClass::kUnspecified},      {"0.1.2.3", AddressClass::kUnspecified},
      {"::", AddressClass::kUnspecified},           {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.0.9", AddressClass::kLoopback},     {"::1", AddressClass::kLoopback},
      {"::ffff:127.0.0.1", AddressClass::kLoopback}, {"10.1.2.3", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},       {"172.31.255.255", AddressClass::kPrivate},
      {"192.168.1.20", AddressClass::kPrivate},     {"fd00::5", AddressClass::kPrivate},
      {"fc00::1", AddressClass::kPrivate},          {"fec0::1", AddressClass::kPrivate},
      {"100.64.0.1", AddressClass::kShared},        {"100.127.255.254", AddressClass::kShared},
      {"169.254.169.254", AddressClass::kLinkLocal}, {"fe80::1", AddressClass::kLinkLocal},
      {"224.0.0.1", AddressClass::kMulticast},      {"239.255.255.250", AddressClass::kMulticast},
      {"ff02::1", AddressClass::kMulticast},        {"255.255.255.255", AddressClass::kReserved},
      {"240.0.0.1", AddressClass::kReserved},       {"192.0.0.8", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      // IPv6 that hands on to IPv4 is judged by the IPv4 inside.
      {"::ffff:10.0.0.1", AddressClass::kPrivate},  {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::127.0.0.1", AddressClass::kLoopback},     {"64:ff9b::a00:1", AddressClass::kPrivate},
      {"2002:7f00:1::", AddressClass::kLoopback},   {"2002:c0a8:101::1", AddressClass::kPrivate},
      // Public, including the neighbours of the ranges above.
      {"8.8.8.8", AddressClass::kPublic},           {"172.32.0.1", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},    {"100.128.0.1", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},    {"11.0.0.1", AddressClass::kPublic},
      {"192.169.0.1", AddressClass::kPublic},       {"223.255.255.255", AddressClass::kPublic},
      {"2606:4700::1111", AddressClass::kPublic},   {"::ffff:1.1.1.1", AddressClass::kPublic},
      {"64:ff9b::808:808", AddressClass::kPublic},  {"2002:808:808::1", AddressClass::kPublic},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(ClassifyAddress(A(text)), expected) << text << " is " << DescribeClass(ClassifyAddress(A(text)));
  }
}

TEST(DestinationPolicyTest, WithoutAnAllowListOnlyPublicAddressesThatAreNotTheHubsOwnPass) {
  const DestinationPolicy none;
  for (const char* refused : {"127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.1", "192.168.1.1", "172.20.0.1",
                              "169.254.169.254", "fe80::1", "fd12::1", "224.0.0.1", "255.255.255.255", "0.0.0.0", "::",
                              "100.64.1.1"}) {
    const DestinationVerdict v = none.Check(A(refused), 80, "", {});
    EXPECT_FALSE(v.allowed) << refused;
    EXPECT_FALSE(v.why.empty()) << refused;
  }
  EXPECT_EQ(none.Check(A("127.0.0.1"), 80, "", {}).why, "127.0.0.1 is a loopback address");
  EXPECT_EQ(none.Check(A("::ffff:10.0.0.1"), 80, "", {}).why, "10.0.0.1 is a private address");
  EXPECT_TRUE(Allowed(none, "93.184.216.34"));
  EXPECT_TRUE(Allowed(none, "2606:4700::1111"));
  // The hub's own public address (a VPS): refused like loopback, in either IPv6 spelling.
  const std::vector<address> own = {A("203.0.113.7"), A("2001:db8::7")};
  const DestinationVerdict v = none.Check(A("203.0.113.7"), 80, "", own);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.why, "203.0.113.7 is one of the hub's own addresses");
  EXPECT_FALSE(Allowed(none, "::ffff:203.0.113.7", 80, "", own));
  EXPECT_FALSE(Allowed(none, "2001:db8::7", 80, "", own));
  EXPECT_TRUE(Allowed(none, "203.0.113.8", 80, "", own));
}

TEST(DestinationPolicyTest, AnExactEntryOpensItsAddressAndPortOnly) {
  const DestinationPolicy p = Policy({"127.0.0.1:9000", "[::1]:9001", "10.0.0.9"});
  EXPECT_TRUE(Allowed(p, "127.0.0.1", 9000));
  EXPECT_TRUE(Allowed(p, "::ffff:127.0.0.1", 9000)) << "v4-mapped is the same destination";
  EXPECT_FALSE(Allowed(p, "127.0.0.1", 9001));
  EXPECT_FALSE(Allowed(p, "127.0.0.2", 9000));
  EXPECT_TRUE(Allowed(p, "::1", 9001));
  EXPECT_FALSE(Allowed(p, "::1", 9000));
  EXPECT_TRUE(Allowed(p, "10.0.0.9", 1));
  EXPECT_TRUE(Allowed(p, "10.0.0.9", 65535));
  EXPECT_FALSE(Allowed(p, "10.0.0.10", 80));
  // An exact entry may name one of the hub's own addresses: the owner asked for exactly that.
  EXPECT_TRUE(Allowed(p, "10.0.0.9", 80, "", {A("10.0.0.9")}));
  // "localhost" is 127.0.0.1 and ::1.
  const DestinationPolicy local = Policy({"localhost:8080"});
  EXPECT_TRUE(Allowed(local, "127.0.0.1", 8080));
  EXPECT_TRUE(Allowed(local, "::1", 8080));
  EXPECT_FALSE(Allowed(local, "127.0.0.2", 8080));
  EXPECT_FALSE(Allowed(local, "127.0.0.1", 8081));
}

TEST(DestinationPolicyTest, ARangeNeverOpensLoopbackOrTheHubsOwnAddresses) {
  const std::vector<address> own = {A("192.168.1.10")};
  const DestinationPolicy lan = Policy({"192.168.0.0/16", "[fd00::/8]:443"});
  EXPECT_TRUE(Allowed(lan, "192.168.1.20", 80, "", own));
  EXPECT_FALSE(Allowed(lan, "192.168.1.10", 80, "", own)) << "the hub itself";
  EXPECT_FALSE(Allowed(lan, "10.0.0.1", 80, "", own));
  EXPECT_TRUE(Allowed(lan, "fd00::1", 443));
  EXPECT_FALSE(Allowed(lan, "fd00::1", 80));
  EXPECT_FALSE(Allowed(lan, "fe80::1", 443));
  const DestinationPolicy everything = Policy({"0.0.0.0/0", "::/0"});
  EXPECT_TRUE(Allowed(everything, "10.1.1.1"));
  EXPECT_TRUE(Allowed(everything, "169.254.169.254"));
  EXPECT_FALSE(Allowed(everything, "127.0.0.1"));
  EXPECT_FALSE(Allowed(everything, "::1"));
  EXPECT_FALSE(Allowed(everything, "192.168.1.10", 80, "", own));
  EXPECT_FALSE(Allowed(everything, "0.0.0.0")) << "never";
  EXPECT_FALSE(Allowed(everything, "::"));
  // A /32 is an exact entry.
  EXPECT_TRUE(Allowed(Policy({"127.0.0.1/32"}), "127.0.0.1"));
  EXPECT_TRUE(Allowed(Policy({"127.0.0.0/8"}), "127.0.0.1") == false);
}

TEST(DestinationPolicyTest, ANameEntryOpensWhatThatNameResolvesTo) {
  const DestinationPolicy p = Policy({"Receiver.LAN", "hooks.example.com:8443"});
  EXPECT_TRUE(Allowed(p, "192.168.1.50", 80, "receiver.lan"));
  EXPECT_TRUE(Allowed(p, "127.0.0.1", 80, "receiver.lan"));
  EXPECT_FALSE(Allowed(p, "192.168.1.50", 80, "other.lan"));
  EXPECT_FALSE(Allowed(p, "192.168.1.50", 80, "")) << "a literal address is not the name";
  EXPECT_TRUE(Allowed(p, "10.0.0.1", 8443, "hooks.example.com"));
  EXPECT_FALSE(Allowed(p, "10.0.0.1", 443, "hooks.example.com"));
  // A public address needs no entry, whatever the name.
  EXPECT_TRUE(Allowed(p, "8.8.8.8", 443, "anything.example"));
}

TEST(DestinationPolicyTest, TheAllowListGrammar) {
  struct Good {
    std::string text;
    AllowEntry::Kind kind;
    std::string network;
    int prefix;
    uint16_t port;
  };
  for (const Good& g : std::vector<Good>{
           {"127.0.0.1", AllowEntry::Kind::kAddress, "127.0.0.1", 32, 0},
           {"127.0.0.1:9000", AllowEntry::Kind::kAddress, "127.0.0.1", 32, 9000},
           {"10.0.0.0/8", AllowEntry::Kind::kRange, "10.0.0.0", 8, 0},
           {"192.168.1.0/24:8080", AllowEntry::Kind::kRange, "192.168.1.0", 24, 8080},
           {"::1", AllowEntry::Kind::kAddress, "::1", 128, 0},
           {"[::1]", AllowEntry::Kind::kAddress, "::1", 128, 0},
           {"[::1]:9000", AllowEntry::Kind::kAddress, "::1", 128, 9000},
           {"fd00::/8", AllowEntry::Kind::kRange, "fd00::", 8, 0},
           {"[fd00::/8]:443", AllowEntry::Kind::kRange, "fd00::", 8, 443},
           {"::ffff:10.0.0.0/104", AllowEntry::Kind::kRange, "10.0.0.0", 8, 0},
           {"0.0.0.0/0", AllowEntry::Kind::kRange, "0.0.0.0", 0, 0},
       }) {
    auto e = ParseAllowEntry(g.text);
    ASSERT_TRUE(e.ok()) << g.text << ": " << e.status().ToString();
    EXPECT_EQ(e->kind, g.kind) << g.text;
    EXPECT_EQ(e->network.to_string(), g.network) << g.text;
    EXPECT_EQ(e->prefix, g.prefix) << g.text;
    EXPECT_EQ(e->port, g.port) << g.text;
  }
  auto name = ParseAllowEntry("Receiver.Lan:8443");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(name->kind, AllowEntry::Kind::kName);
  EXPECT_EQ(name->name, "receiver.lan");
  EXPECT_EQ(name->port, 8443);

  for (const std::string bad : {"", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "10.0.0.1/8",
                                "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "[127.0.0.1]", "[::1", "[::1]9000",
                                "::1:9000:x/", "fd00::1/8", "0.0.0.0", "::", "under_score.lan", "-bad.lan", "127.1",
                                "http://x.lan", "x.lan/8", "fe80::1%eth0"}) {
    auto e = ParseAllowEntry(bad);
    EXPECT_FALSE(e.ok()) << "'" << bad << "' was accepted";
    if (!e.ok()) {
      EXPECT_NE(e.status().message().find("webhook_allow '" + bad + "'"), std::string::npos) << e.status().message();
    }
  }
  EXPECT_FALSE(DestinationPolicy::Parse({"127.0.0.1", "nope nope"}).ok());
}

// --- HttpPost applies the policy at the connect ----------------------------------------------

// Accepts connections on 127.0.0.1 and answers each request 200; counts what it accepted.
class TinyReceiver {
 public:
  explicit TinyReceiver(asio::io_context& io) : acceptor_(io) {
    EXPECT_FALSE(platform::OpenAcceptor(acceptor_, {A("127.0.0.1"), 0}));
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted = 0;

 private:
  struct Conn {
    explicit Conn(asio::ip::tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response{http::status::ok, 11};
  };
  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ++accepted;
      auto conn = std::make_shared<Conn>(std::move(socket));
      http::async_read(conn->stream, conn->buffer, conn->request, [conn](beast::error_code rec, std::size_t) {
        if (rec) return;
        conn->response.keep_alive(false);
        conn->response.prepare_payload();
        http::async_write(conn->stream, conn->response, [conn](beast::error_code, std::size_t) {});
      });
      Accept();
    });
  }
  asio::ip::tcp::acceptor acceptor_;
};

HttpPostResult PostTo(const WebhookUrl& url, std::shared_ptr<const DestinationPolicy> policy, int* accepted) {
  asio::io_context io;
  TinyReceiver rx(io);
  WebhookUrl target = url;
  target.port = rx.port();
  HttpPostRequest post;
  post.url = target;
  post.policy = std::move(policy);
  post.body = "{}";
  post.timeout = std::chrono::seconds(5);
  std::optional<HttpPostResult> result;
  HttpPost(io, std::move(post), [&](HttpPostResult r) {
    result = std::move(r);
    io.stop();
  });
  io.run_for(std::chrono::seconds(10));
  *accepted = rx.accepted;
  return result.value_or(HttpPostResult{HttpPostResult::Failure::kConnect, "no result", 0, ""});
}

WebhookUrl Url(const std::string& host, bool name) {
  WebhookUrl u;
  u.host = host;
  u.host_is_name = name;
  u.tls_name = host;
  u.host_header = host;
  u.target = "/hook";
  return u;
}

TEST(DestinationPolicyTest, HttpPostRefusesAtTheConnectWhatANameResolvesTo) {
  // "localhost" as a DNS name (as a URL would carry "receiver.lan"): the system's resolver
  // gives loopback addresses, and no connection is made to any of them.
  int accepted = -1;
  HttpPostResult r = PostTo(Url("localhost", true), std::make_shared<DestinationPolicy>(), &accepted);
  EXPECT_EQ(r.failure, HttpPostResult::Failure::kPolicy) << r.error;
  EXPECT_EQ(r.error.rfind("refused by policy: ", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("loopback"), std::string::npos) << r.error;
  EXPECT_EQ(accepted, 0);

  r = PostTo(Url("127.0.0.1", false), std::make_shared<DestinationPolicy>(), &accepted);
  EXPECT_EQ(r.failure, HttpPostResult::Failure::kPolicy) << r.error;
  EXPECT_EQ(accepted, 0);

  // Allow-listed by name, or by address: delivered.
  r = PostTo(Url("localhost", true), std::make_shared<DestinationPolicy>(Policy({"localhost"})), &accepted);
  EXPECT_EQ(r.failure, HttpPostResult::Failure::kNone) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(accepted, 1);
  r = PostTo(Url("127.0.0.1", false), std::make_shared<DestinationPolicy>(Policy({"127.0.0.1"})), &accepted);
  EXPECT_EQ(r.failure, HttpPostResult::Failure::kNone) << r.error;
  EXPECT_EQ(accepted, 1);
  // An entry for another port does not count.
  r = PostTo(Url("127.0.0.1", false), std::make_shared<DestinationPolicy>(Policy({"127.0.0.1:1"})), &accepted);
  EXPECT_EQ(r.failure, HttpPostResult::Failure::kPolicy) << r.error;
  EXPECT_EQ(accepted, 0);
}

}  // namespace
}  // namespace latchkey::hub
