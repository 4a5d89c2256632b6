// Webhook URLs (hub/webhooks.h ParseWebhookUrl): http:// and https://, hosts that are addresses,
// localhost or DNS names, and the refusals that name the field; the signature; the client
// context of https:// deliveries (MakeWebhookTlsContext).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hub/tls_certificate.h"
#include "hub/tls_context.h"
#include "hub/webhooks.h"

namespace latchkey::hub {
namespace {

WebhookUrl Parsed(const std::string& url) {
  auto parsed = ParseWebhookUrl(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().ToString();
  return parsed.ok() ? *parsed : WebhookUrl{};
}

TEST(WebhookUrlTest, PlainHttpAsBefore) {
  const WebhookUrl u = Parsed("http://192.168.1.20:8000/latchkey?x=1#frag");
  EXPECT_FALSE(u.tls);
  EXPECT_FALSE(u.host_is_name);
  EXPECT_EQ(u.host, "192.168.1.20");
  EXPECT_EQ(u.port, 8000);
  EXPECT_EQ(u.target, "/latchkey?x=1");
  EXPECT_EQ(u.host_header, "192.168.1.20:8000");
  EXPECT_EQ(Parsed("http://127.0.0.1").port, 80);
  EXPECT_EQ(Parsed("http://127.0.0.1").target, "/");
  EXPECT_EQ(Parsed("http://127.0.0.1?a=b").target, "/?a=b");
  const WebhookUrl local = Parsed("http://LocalHost:9/x");
  EXPECT_EQ(local.host, "127.0.0.1");  // never looked up
  EXPECT_FALSE(local.host_is_name);
}

TEST(WebhookUrlTest, HttpsDefaultsToPort443) {
  const WebhookUrl u = Parsed("https://127.0.0.1/hook");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.tls_name, "127.0.0.1");
  EXPECT_FALSE(u.host_is_name);
  EXPECT_EQ(u.target, "/hook");
  EXPECT_EQ(u.host_header, "127.0.0.1");
  EXPECT_TRUE(Parsed("HTTPS://127.0.0.1/").tls) << "the scheme is case-insensitive";
}

TEST(WebhookUrlTest, HttpsWithAPortIpv6AndLocalhost) {
  const WebhookUrl port = Parsed("https://10.0.0.5:8443/in?k=v");
  EXPECT_TRUE(port.tls);
  EXPECT_EQ(port.port, 8443);
  EXPECT_EQ(port.target, "/in?k=v");
  EXPECT_EQ(port.host_header, "10.0.0.5:8443");

  const WebhookUrl v6 = Parsed("https://[::1]:9443");
  EXPECT_TRUE(v6.tls);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.tls_name, "::1");
  EXPECT_EQ(v6.port, 9443);
  EXPECT_EQ(v6.target, "/");
  EXPECT_EQ(v6.host_header, "[::1]:9443");
  EXPECT_EQ(Parsed("https://[2001:db8::1]/x").port, 443);

  const WebhookUrl local = Parsed("https://localhost:8443/x");
  EXPECT_EQ(local.host, "127.0.0.1");
  EXPECT_EQ(local.tls_name, "localhost") << "the certificate is checked for the name written";
  EXPECT_FALSE(local.host_is_name);
}

TEST(WebhookUrlTest, HostNamesAreLookedUpAtEachAttempt) {
  const WebhookUrl u = Parsed("https://Hooks.Example.COM/latchkey");
  EXPECT_TRUE(u.tls);
  EXPECT_TRUE(u.host_is_name);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.tls_name, "hooks.example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.host_header, "Hooks.Example.COM");

  const WebhookUrl plain = Parsed("http://receiver:8000/x");  // one label (a container's name)
  EXPECT_FALSE(plain.tls);
  EXPECT_TRUE(plain.host_is_name);
  EXPECT_EQ(plain.host, "receiver");
  EXPECT_EQ(plain.port, 8000);
  EXPECT_TRUE(Parsed("http://nowhere.invalid/x").host_is_name);
  EXPECT_TRUE(Parsed("https://a-b.c0.example/").host_is_name);
  EXPECT_TRUE(Parsed("https://xn--bcher-kva.example/").host_is_name);
  EXPECT_TRUE(Parsed("https://" + std::string(63, 'a') + ".example/").host_is_name);
}

TEST(WebhookUrlTest, RefusesBadUrlsNamingTheField) {
  const auto refused = [](const std::string& url, const std::string& words) {
    auto parsed = ParseWebhookUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().code(), core::Code::kInvalid) << url;
    const std::string message = parsed.status().message();
    EXPECT_EQ(message.rfind("url: ", 0), 0u) << url << ": " << message;
    EXPECT_NE(message.find(words), std::string::npos) << url << ": " << message;
  };
  refused("ftp://127.0.0.1/x", "http:// or https://");
  refused("127.0.0.1/x", "http:// or https://");
  refused("https//127.0.0.1/x", "http:// or https://");
  refused("https://user:pw@hooks.example.com/x", "user info");
  refused("https://user@127.0.0.1/x", "user info");
  refused("https://127.0.0.1:0/x", "1..65535");
  refused("https://127.0.0.1:65536/x", "1..65535");
  refused("https://127.0.0.1:443x/x", "1..65535");
  refused("https://127.0.0.1:/x", "port");
  refused("https://[::1]x/x", "port");
  refused("https://[::1/x", "unclosed");
  refused("https://[127.0.0.1]/x", "IPv6");
  refused("https:///x", "no host");
  refused("https://:443/x", "no host");
  refused("https://127.0.0.1/a b", "spaces or control characters");
  refused(std::string("https://hooks.exa\x01mple.com/"), "control characters");
  refused(std::string("https://127.0.0.1/\x7f"), "control characters");
  refused("https://127.0.0.1/" + std::string(2100, 'x'), "2048");
  // Names: letters, digits, '-' and '.' only, nothing a resolver would read as an address.
  refused("https://bad_name.example/x", "host name");
  refused("https://-lead.example/x", "host name");
  refused("https://trail-.example/x", "host name");
  refused("https://a..b.example/x", "host name");
  refused("https://.example/x", "host name");
  refused("https://example.com./x", "host name");
  refused("https://exa%41mple.com/x", "host name");
  refused("https://h\xc3\xa9llo.example/x", "host name");
  refused("https://hooks.example.com!/x", "host name");
  refused("https://127.1/x", "host name");
  refused("https://1.2.3.4.5/x", "host name");
  refused("https://0x7f000001/x", "host name");
  refused("https://example.123/x", "host name");
  refused("https://" + std::string(64, 'a') + ".example/x", "host name");
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  refused("https://" + long_name + "example/x", "host name");
}

TEST(WebhookUrlTest, SignatureIsHexHmacSha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

class WebhookTlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/latchkey-webhook-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(WebhookTlsContextTest, TheSystemStoreAloneOrWithAPemBundle) {
  EXPECT_TRUE(MakeWebhookTlsContext("").ok());
  auto made = LoadOrCreateSelfSigned(dir_ + "/tls", SelfSignedOptions{});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto context = MakeWebhookTlsContext(made->cert_path);
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(SSL_CTX_get_verify_mode((*context)->native_handle()), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), TLS1_2_VERSION);
}

TEST_F(WebhookTlsContextTest, AFileThatIsMissingOrNotPemIsAnErrorNamingIt) {
  const std::string missing = dir_ + "/missing.pem";
  auto none = MakeWebhookTlsContext(missing);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find(missing), std::string::npos) << none.status().ToString();
  EXPECT_NE(none.status().message().find("webhook_cacert"), std::string::npos) << none.status().ToString();

  const std::string garbage = dir_ + "/garbage.pem";
  std::ofstream(garbage) << "this is not a certificate\n";
  auto bad = MakeWebhookTlsContext(garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(garbage), std::string::npos) << bad.status().ToString();
}

}  // namespace
}  // namespace latchkey::hub
