// GET /metrics (API.md: "owner/admin token, or open on loopback when configured"): by default a
// token of an owner or admin is needed; with `latchkey demo --metrics-loopback` a loopback
// client gets the metrics without one. (Every client of these tests is on loopback; the refusal
// of a non-loopback client with the option on is covered by the unit test of MetricsOpenTo.)
#include "hub_harness.h"

namespace latchkey::testing {
namespace {

bool LooksLikeMetrics(const HttpResult& r) {
  return r.status == 200 && r.header("content-type").rfind("text/plain", 0) == 0 &&
         r.body.find("\nlatchkey_locks 1\n") != std::string::npos && r.body.find("latchkey_locks_online 1") != std::string::npos;
}

HttpResult Metrics(const HubDemo& demo, const std::string& token, const std::string& source = "") {
  HttpOptions options;
  options.token = token;
  options.source_address = source;
  return demo.Raw("GET", "/metrics", "", options);
}

TEST(HubMetricsTest, NeedsAnOwnerOrAdminTokenByDefault) {
  HubDemo demo(1);
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  const HttpResult anonymous = Metrics(demo, "");
  EXPECT_EQ(anonymous.status, 401) << anonymous.Describe();
  EXPECT_EQ(anonymous.error_code(), "unauthorized");
  EXPECT_EQ(anonymous.body.find("latchkey_locks"), std::string::npos);
  const std::string member = demo.CreateAccount(Json{{"username", "m"}, {"password", "member-password-1"}, {"role", "member"}});
  ASSERT_FALSE(member.empty());
  EXPECT_EQ(Metrics(demo, member).status, 403);
  EXPECT_TRUE(LooksLikeMetrics(Metrics(demo, demo.owner_token()))) << Metrics(demo, demo.owner_token()).Describe();
}

TEST(HubMetricsTest, OpenToLoopbackClientsWhenConfigured) {
  HubDemo demo(1, {"--metrics-loopback"});
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  for (const char* source : {"", "127.0.0.2"}) {
    const HttpResult anonymous = Metrics(demo, "", source);
    EXPECT_TRUE(LooksLikeMetrics(anonymous)) << "from " << source << ": " << anonymous.Describe();
  }
  // Open means open on loopback: a token of any role does not change the answer.
  const std::string member = demo.CreateAccount(Json{{"username", "m"}, {"password", "member-password-1"}, {"role", "member"}});
  ASSERT_FALSE(member.empty());
  EXPECT_TRUE(LooksLikeMetrics(Metrics(demo, member)));
  // Only /metrics is opened: the rest of the API still needs a token.
  EXPECT_EQ(demo.Call("GET", "/api/v1/locks").status, 401);
  EXPECT_EQ(demo.Call("GET", "/api/v1/webhooks").status, 401);
}

}  // namespace
}  // namespace latchkey::testing
