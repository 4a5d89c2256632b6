// HTTPS for the hub (SECURITY.md 5.5): a hub listening beyond loopback serves HTTPS only, with a
// self-signed certificate it makes and keeps in DATA/tls, or with the one it was given; the API
// and the live stream work over TLS; plain HTTP on that port gets a clear refusal; a
// certificate that does not load stops the start instead of falling back to plain HTTP.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hub_harness.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

mode_t Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

std::string LoginJson() {
  return Json{{"username", "owner"}, {"password", HubDemo::kOwnerPassword}}.dump();
}

// A certificate made the way an admin would (`openssl req`), valid for 127.0.0.1 only.
void MakeCertificate(const std::string& dir, const std::string& name) {
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                              "/CN=latchkey-test -addext subjectAltName=IP:127.0.0.1 -keyout " +
                              dir + "/" + name + ".key -out " + dir + "/" + name + ".pem 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(HubTlsTest, BeyondLoopbackServesHttpsWithASelfSignedCertificateItKeeps) {
  LatchkeyProcess hub;
  const std::string data = hub.dir() + "/data";
  const uint16_t port = FreeLoopbackPort();
  hub.Spawn({"hub", "--data", data, "--http", "0.0.0.0:" + std::to_string(port)});
  HttpsOptions tls;
  tls.ca_file = data + "/tls/cert.pem";
  // The certificate appears before the server listens.
  (void)latchkey::testing::WaitUntil([&] { return std::filesystem::exists(tls.ca_file); }, std::chrono::milliseconds(10000), std::chrono::milliseconds(25));
  ASSERT_NO_FATAL_FAILURE(hub.WaitHealthy(port, tls));

  EXPECT_EQ(Mode(data + "/tls"), 0700u);
  EXPECT_EQ(Mode(data + "/tls/key.pem"), 0600u);
  const std::string fingerprint = PemFingerprint(tls.ca_file);
  ASSERT_EQ(fingerprint.size(), 95u);
  EXPECT_NE(hub.Log().find(fingerprint), std::string::npos) << "the log should show the fingerprint:\n" << hub.Log();
  EXPECT_NE(hub.Log().find("https://127.0.0.1:" + std::to_string(port)), std::string::npos) << hub.Log();

  // The API over HTTPS, the certificate verified for 127.0.0.1 and for localhost.
  const HttpResult login = HttpsCall(port, "POST", "/api/v1/auth/login", LoginJson(), tls);
  ASSERT_EQ(login.status, 200) << login.Describe();
  tls.token = login.json.value("token", "");
  const HttpResult locks = HttpsCall(port, "GET", "/api/v1/locks", "", tls);
  EXPECT_EQ(locks.status, 200) << locks.Describe();
  EXPECT_TRUE(locks.json.is_array()) << locks.body;
  HttpsOptions by_name = tls;
  by_name.host = "localhost";
  EXPECT_EQ(HttpsCall(port, "GET", "/api/v1/locks", "", by_name).status, 200);

  // Same error bodies and limits as over plain HTTP.
  const HttpResult unknown = HttpsCall(port, "GET", "/api/v1/nope", "", tls);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.error_code(), "not_found") << unknown.body;
  const HttpResult big = HttpsCall(port, "POST", "/api/v1/auth/login", std::string(70 * 1024, 'x'), tls);
  EXPECT_EQ(big.status, 413) << big.Describe();

  // A certificate for another name, or one the client does not trust, fails the handshake.
  HttpsOptions wrong_host = tls;
  wrong_host.host = "latchkey.example";
  const HttpResult misnamed = HttpsCall(port, "GET", "/healthz", "", wrong_host);
  EXPECT_EQ(misnamed.status, 0);
  EXPECT_NE(misnamed.transport_error.find("handshake"), std::string::npos) << misnamed.transport_error;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(hub.dir(), "stranger"));
  HttpsOptions untrusted = tls;
  untrusted.ca_file = hub.dir() + "/stranger.pem";
  const HttpResult refused = HttpsCall(port, "GET", "/healthz", "", untrusted);
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.transport_error.find("handshake"), std::string::npos) << refused.transport_error;

  // Plain HTTP to the HTTPS port: a plain 400 that says what to do, and the hub keeps serving.
  HttpOptions plain_options;
  plain_options.token = tls.token;
  const HttpResult plain = HttpCall(port, "GET", "/api/v1/locks", "", plain_options);
  EXPECT_EQ(plain.status, 400) << plain.Describe();
  EXPECT_NE(plain.error_message().find("https://"), std::string::npos) << plain.body;
  EXPECT_TRUE(plain.body.find("\"id\"") == std::string::npos) << "no data over plain HTTP: " << plain.body;
  EXPECT_EQ(HttpsCall(port, "GET", "/api/v1/locks", "", tls).status, 200);

  // A restart reuses the certificate: the fingerprint users pinned stays valid.
  hub.Stop();
  hub.Spawn({"hub", "--data", data, "--http", "0.0.0.0:" + std::to_string(port)});
  ASSERT_NO_FATAL_FAILURE(hub.WaitHealthy(port, tls));
  EXPECT_EQ(PemFingerprint(tls.ca_file), fingerprint);
  EXPECT_EQ(HttpsCall(port, "GET", "/api/v1/locks", "", tls).status, 200) << "the session survives the restart";
}

TEST(HubTlsTest, TheLiveStreamWorksOverWss) {
  LatchkeyProcess demo;
  const std::string data = demo.dir() + "/data";
  const uint16_t port = FreeLoopbackPort();
  demo.Spawn({"demo", "--tls", "--data", data, "--http", "127.0.0.1:" + std::to_string(port), "--locks", "1",
              "--motor-ms", "0"});
  HttpsOptions tls;
  tls.ca_file = data + "/hub/tls/cert.pem";
  (void)latchkey::testing::WaitUntil([&] { return std::filesystem::exists(tls.ca_file); }, std::chrono::milliseconds(10000), std::chrono::milliseconds(25));
  ASSERT_NO_FATAL_FAILURE(demo.WaitHealthy(port, tls));
  const HttpResult login = HttpsCall(port, "POST", "/api/v1/auth/login", LoginJson(), tls);
  ASSERT_EQ(login.status, 200) << login.Describe();
  tls.token = login.json.value("token", "");

  std::string lock;
  for (int i = 0; i < 400 && lock.empty(); ++i) {
    const HttpResult locks = HttpsCall(port, "GET", "/api/v1/locks", "", tls);
    if (locks.json.is_array() && !locks.json.empty() && locks.json[0].value("online", false)) {
      lock = locks.json[0].value("id", "");
    } else {
      std::this_thread::sleep_for(50ms);
    }
  }
  ASSERT_FALSE(lock.empty()) << "the demo's lock did not come online:\n" << demo.Log();

  WssClient refused;
  EXPECT_EQ(refused.Connect(port, "/api/v1/stream", tls), 401) << refused.error();

  WssClient ws;
  ASSERT_EQ(ws.Connect(port, "/api/v1/stream?token=" + tls.token, tls), 101) << ws.error();
  const HttpResult unlock = HttpsCall(port, "POST", "/api/v1/locks/" + lock + "/unlock", "", tls);
  ASSERT_EQ(unlock.status, 200) << unlock.Describe();
  std::optional<Json> event;
  for (int i = 0; i < 50 && !event; ++i) {
    auto message = ws.Next(10s);
    ASSERT_TRUE(message.has_value()) << "the stream ended: " << ws.error();
    if (message->value("type", "") == "event" && (*message)["event"].value("operation", "") == "unlock") event = message;
  }
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ((*event)["lock"], lock);

  // The command line client over HTTPS: it refuses a certificate it cannot verify, and once
  // logged in with --cacert it keeps using that file for this hub.
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  LatchkeyProcess cli;
  cli.Spawn({"login", "--url", url, "--password", HubDemo::kOwnerPassword});
  auto exit = cli.WaitExit(20s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(*exit, 1) << cli.Log();
  EXPECT_NE(cli.Log().find("not trusted"), std::string::npos) << cli.Log();
  EXPECT_NE(cli.Log().find("--cacert"), std::string::npos) << cli.Log();
  cli.Spawn({"login", "--url", url, "--cacert", tls.ca_file, "--password", HubDemo::kOwnerPassword});
  exit = cli.WaitExit(20s);
  ASSERT_TRUE(exit.has_value());
  ASSERT_EQ(*exit, 0) << cli.Log();
  cli.Spawn({"locks", "--json"});
  exit = cli.WaitExit(20s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(*exit, 0) << cli.Log();
  EXPECT_NE(cli.Log().find(lock), std::string::npos) << cli.Log();
}

TEST(HubTlsTest, AConfiguredCertificateIsServed) {
  LatchkeyProcess hub;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(hub.dir(), "mine"));
  const std::string data = hub.dir() + "/data";
  const uint16_t port = FreeLoopbackPort();
  // From the config file: on loopback, a configured certificate alone turns HTTPS on.
  const std::string config = hub.dir() + "/hub.toml";
  std::ofstream(config) << "http = \"127.0.0.1:" << port << "\"\ndata = \"" << data << "\"\ntls_cert = \"" << hub.dir()
                        << "/mine.pem\"\ntls_key = \"" << hub.dir() << "/mine.key\"\n";
  hub.Spawn({"hub", "--config", config});
  HttpsOptions tls;
  tls.ca_file = hub.dir() + "/mine.pem";
  ASSERT_NO_FATAL_FAILURE(hub.WaitHealthy(port, tls));
  EXPECT_NE(hub.Log().find(PemFingerprint(tls.ca_file)), std::string::npos) << hub.Log();
  EXPECT_FALSE(std::filesystem::exists(data + "/tls")) << "no self-signed certificate when one is configured";
  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 400) << "plain HTTP is refused";
}

TEST(HubTlsTest, ACertificateThatDoesNotLoadStopsTheStart) {
  LatchkeyProcess hub;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(hub.dir(), "mine"));
  const uint16_t port = FreeLoopbackPort();
  const std::string missing = hub.dir() + "/missing.pem";
  hub.Spawn({"hub", "--data", hub.dir() + "/data", "--http", "0.0.0.0:" + std::to_string(port), "--tls-cert", missing,
             "--tls-key", hub.dir() + "/mine.key"});
  const auto status = hub.WaitExit(20s);
  ASSERT_TRUE(status.has_value()) << "the hub kept running:\n" << hub.Log();
  EXPECT_NE(*status, 0);
  EXPECT_NE(hub.Log().find(missing), std::string::npos) << "the error should name the file:\n" << hub.Log();
  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 0) << "nothing may listen, certainly not plain HTTP";

  // A key that is not the certificate's, and a certificate without its key.
  LatchkeyProcess other;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(other.dir(), "other"));
  other.Spawn({"hub", "--data", other.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port), "--tls-cert",
               hub.dir() + "/mine.pem", "--tls-key", other.dir() + "/other.key"});
  const auto mismatched = other.WaitExit(20s);
  ASSERT_TRUE(mismatched.has_value()) << other.Log();
  EXPECT_NE(*mismatched, 0);
  EXPECT_NE(other.Log().find("does not belong"), std::string::npos) << other.Log();

  LatchkeyProcess half;
  half.Spawn({"hub", "--data", half.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port), "--tls-cert",
              hub.dir() + "/mine.pem"});
  const auto no_key = half.WaitExit(20s);
  ASSERT_TRUE(no_key.has_value()) << half.Log();
  EXPECT_NE(*no_key, 0);
  EXPECT_NE(half.Log().find("tls_key"), std::string::npos) << half.Log();
}

}  // namespace
}  // namespace latchkey::testing
