// Web Push's cryptography (src/hub/push): the message encryption against the worked example of
// RFC 8291 (Appendix A: its exact inputs give its exact body, and its intermediate values on the
// way), P-256 keys refused when they are not, base64url, and VAPID JWTs (RFC 8292) checked with
// OpenSSL's verifier: header, claims, signature, and how long a token is reused.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "hub/push/p256.h"
#include "hub/push/vapid_jwt.h"
#include "hub/push/vapid_key.h"
#include "hub/push/web_push_message.h"
#include "hub/testing/fake_env.h"
#include "common/temp_dir.h"

namespace latchkey::hub::push {
namespace {

using crypto::Base64UrlDecode;
using crypto::Base64UrlEncode;

// RFC 8291 Appendix A, as printed there (base64url).
constexpr const char* kPlaintext = "When I grow up, I want to be a watermelon";
constexpr const char* kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr const char* kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr const char* kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr const char* kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr const char* kEcdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
constexpr const char* kCek = "oIhVW04MRdy2XN9CiKLxTg";
constexpr const char* kNonce = "4h_95klXJ5E_qnoN";
constexpr const char* kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_y"
    "l95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

std::vector<uint8_t> D(const char* text) {
  auto bytes = Base64UrlDecode(text, 4096);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or(std::vector<uint8_t>{});
}

template <std::size_t N>
std::array<uint8_t, N> A(const char* text) {
  const auto bytes = D(text);
  std::array<uint8_t, N> out{};
  EXPECT_EQ(bytes.size(), N) << text;
  std::copy_n(bytes.begin(), std::min(N, bytes.size()), out.begin());
  return out;
}

PushKeys RfcKeys() { return PushKeys{A<65>(kUaPublic), A<16>(kAuthSecret)}; }

TEST(WebPushMessage, Rfc8291AppendixAGivesItsExactBody) {
  auto sender = P256FromPrivate(D(kAsPrivate));
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  EXPECT_EQ(Base64UrlEncode(P256PublicPoint(**sender)), kAsPublic);
  auto body = EncryptWebPush(kPlaintext, RfcKeys(), **sender, A<16>(kSalt));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(Base64UrlEncode(*body), kBody);
}

TEST(WebPushMessage, Rfc8291AppendixAIntermediateValues) {
  auto sender = P256FromPrivate(D(kAsPrivate));
  ASSERT_TRUE(sender.ok());
  auto keys = DeriveMessageKeys(**sender, RfcKeys(), A<16>(kSalt));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(Base64UrlEncode(keys->ecdh_secret), kEcdhSecret);
  EXPECT_EQ(Base64UrlEncode(keys->cek), kCek);
  EXPECT_EQ(Base64UrlEncode(keys->nonce), kNonce);
}

TEST(WebPushMessage, EachMessageHasAFreshKeyAndSaltAndTheRfcLayout) {
  hub::testing::FakeEnv env;
  auto a = EncryptWebPush(kPlaintext, RfcKeys(), env);
  auto b = EncryptWebPush(kPlaintext, RfcKeys(), env);
  ASSERT_TRUE(a.ok() && b.ok());
  // salt (16) || rs 4096 || idlen 65 || key (65) || payload + delimiter + tag
  ASSERT_EQ(a->size(), 16 + 4 + 1 + 65 + std::string(kPlaintext).size() + 1 + 16);
  EXPECT_EQ(a->substr(16, 5), std::string("\x00\x00\x10\x00\x41", 5));
  EXPECT_EQ((*a)[21], '\x04');
  EXPECT_NE(a->substr(0, 16), b->substr(0, 16)) << "a fresh salt";
  EXPECT_NE(a->substr(21, 65), b->substr(21, 65)) << "a fresh key";
}

TEST(WebPushMessage, RefusesAPayloadOverOneRecordAndKeysOffTheCurve) {
  hub::testing::FakeEnv env;
  EXPECT_TRUE(EncryptWebPush(std::string(kMaxPayload, 'x'), RfcKeys(), env).ok());
  EXPECT_EQ(EncryptWebPush(std::string(kMaxPayload + 1, 'x'), RfcKeys(), env).status().code(), core::Code::kInvalid);
  PushKeys bad = RfcKeys();
  bad.p256dh[64] ^= 1;  // y no longer matches x
  EXPECT_FALSE(EncryptWebPush(kPlaintext, bad, env).ok());
}

TEST(P256, RefusesWhatIsNotAKey) {
  EXPECT_TRUE(P256FromPublic(D(kUaPublic)).ok());
  auto off_curve = D(kUaPublic);
  off_curve[40] ^= 0x10;
  EXPECT_FALSE(P256FromPublic(off_curve).ok());
  auto compressed = D(kUaPublic);
  compressed[0] = 0x02;
  EXPECT_FALSE(P256FromPublic(compressed).ok());
  EXPECT_FALSE(P256FromPublic(std::vector<uint8_t>(64, 4)).ok());
  EXPECT_FALSE(P256FromPrivate(std::vector<uint8_t>(32, 0)).ok()) << "zero";
  EXPECT_FALSE(P256FromPrivate(std::vector<uint8_t>(32, 0xff)).ok()) << "above the group order";
  EXPECT_FALSE(P256FromPrivate(std::vector<uint8_t>(31, 1)).ok());
}

TEST(P256, EcdhAgreesBothWays) {
  auto a = P256Generate();
  auto b = P256Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  auto b_public = P256FromPublic(P256PublicPoint(**b));
  auto a_public = P256FromPublic(P256PublicPoint(**a));
  ASSERT_TRUE(a_public.ok() && b_public.ok());
  auto ab = P256Ecdh(**a, **b_public);
  auto ba = P256Ecdh(**b, **a_public);
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(*ab, *ba);
}

TEST(Base64Url, RoundTripsAndIsStrict) {
  const std::vector<uint8_t> bytes = {0xfb, 0xff, 0x00, 0x3e};
  EXPECT_EQ(Base64UrlEncode(bytes), "-_8APg");
  EXPECT_EQ(Base64UrlDecode("-_8APg", 4), bytes);
  EXPECT_EQ(Base64UrlDecode("-_8APg==", 4), bytes) << "padding as the length calls for";
  EXPECT_FALSE(Base64UrlDecode("-_8APg=", 4)) << "padding that is not";
  EXPECT_FALSE(Base64UrlDecode("+/8APg", 4)) << "the standard alphabet";
  EXPECT_FALSE(Base64UrlDecode("-_8APh", 4)) << "non-zero trailing bits";
  EXPECT_FALSE(Base64UrlDecode("-_8APg", 3)) << "too long";
  EXPECT_FALSE(Base64UrlDecode("-_8 APg", 4));
  EXPECT_FALSE(Base64UrlDecode("-_8AP\xbf", 4)) << "a byte above 0x7f (libsodium takes some for letters)";
  EXPECT_EQ(Base64UrlDecode("", 4), std::vector<uint8_t>{});
}

// --- VAPID -------------------------------------------------------------------------------------

struct Jwt {
  nlohmann::json header, claims;
  std::string signed_part;
  std::vector<uint8_t> signature;
};

Jwt SplitJwt(const std::string& token) {
  Jwt jwt;
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  EXPECT_NE(second, std::string::npos) << token;
  if (second == std::string::npos) return jwt;
  const auto header = Base64UrlDecode(token.substr(0, first), 1024);
  const auto claims = Base64UrlDecode(token.substr(first + 1, second - first - 1), 1024);
  const auto signature = Base64UrlDecode(token.substr(second + 1), 64);
  EXPECT_TRUE(header && claims && signature);
  if (!header || !claims || !signature) return jwt;
  jwt.header = nlohmann::json::parse(header->begin(), header->end(), nullptr, false);
  jwt.claims = nlohmann::json::parse(claims->begin(), claims->end(), nullptr, false);
  jwt.signed_part = token.substr(0, second);
  jwt.signature = *signature;
  return jwt;
}

// OpenSSL's own check of an ES256 signature (r || s) with the public point `key`.
bool VerifyEs256(const P256Point& key, const std::string& data, const std::vector<uint8_t>& rs) {
  if (rs.size() != 64) return false;
  auto pub = P256FromPublic(key);
  if (!pub.ok()) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(rs.data(), 32, nullptr), BN_bin2bn(rs.data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok = der_length > 0 && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, pub->get()) == 1 &&
                  EVP_DigestVerify(md, der, static_cast<std::size_t>(der_length),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  return ok;
}

VapidKey RfcVapidKey() {
  auto key = VapidKey::FromPrivate(D(kAsPrivate));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

TEST(VapidJwt, IsAnEs256JwtForTheAudienceThatOpenSslVerifies) {
  const VapidKey key = RfcVapidKey();
  EXPECT_EQ(key.public_key_base64url(), kAsPublic);
  auto token = MakeVapidJwt(key, "https://push.example.net", 1'800'000'000, "mailto:admin@example.com");
  ASSERT_TRUE(token.ok());
  const Jwt jwt = SplitJwt(*token);
  EXPECT_EQ(jwt.header, (nlohmann::json{{"typ", "JWT"}, {"alg", "ES256"}}));
  EXPECT_EQ(jwt.claims,
            (nlohmann::json{{"aud", "https://push.example.net"}, {"exp", 1'800'000'000}, {"sub", "mailto:admin@example.com"}}));
  EXPECT_TRUE(VerifyEs256(key.public_key(), jwt.signed_part, jwt.signature));
  std::string tampered = jwt.signed_part;
  tampered.back() ^= 1;
  EXPECT_FALSE(VerifyEs256(key.public_key(), tampered, jwt.signature));
  auto other = P256Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(VerifyEs256(P256PublicPoint(**other), jwt.signed_part, jwt.signature));
}

TEST(VapidJwt, TokensAreReusedForTwelveHoursAndNeverLastOverADay) {
  VapidTokens tokens(RfcVapidKey(), "https://hub.example.org/contact");
  const int64_t t0 = 1'800'000'000'000;
  auto first = tokens.Authorization("https://push.example.net", t0);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->starts_with("vapid t="));
  const auto k = first->find(", k=");
  ASSERT_NE(k, std::string::npos);
  EXPECT_EQ(first->substr(k + 4), kAsPublic);
  const Jwt jwt = SplitJwt(first->substr(8, k - 8));
  EXPECT_EQ(jwt.claims["exp"], t0 / 1000 + VapidTokens::kLifetimeS);
  EXPECT_EQ(jwt.claims["sub"], "https://hub.example.org/contact");
  EXPECT_EQ(jwt.claims["aud"], "https://push.example.net");
  EXPECT_LE(jwt.claims["exp"].get<int64_t>() - t0 / 1000, 24 * 3600);
  EXPECT_EQ(*tokens.Authorization("https://push.example.net", t0 + 3'600'000), *first) << "reused";
  EXPECT_NE(*tokens.Authorization("https://other.example.net", t0), *first) << "one per audience";
  // Less than an hour left: a new one.
  const int64_t late = t0 + (VapidTokens::kLifetimeS - VapidTokens::kRenewBeforeS + 1) * 1000;
  auto renewed = tokens.Authorization("https://push.example.net", late);
  ASSERT_TRUE(renewed.ok());
  EXPECT_NE(*renewed, *first);
  const auto rk = renewed->find(", k=");
  EXPECT_EQ(SplitJwt(renewed->substr(8, rk - 8)).claims["exp"], late / 1000 + VapidTokens::kLifetimeS);
  // The clock went back a day: the cached token would now last too long, so it is made again.
  auto back = tokens.Authorization("https://push.example.net", late - 86'400'000);
  ASSERT_TRUE(back.ok());
  const auto bk = back->find(", k=");
  EXPECT_LE(SplitJwt(back->substr(8, bk - 8)).claims["exp"].get<int64_t>() - (late - 86'400'000) / 1000, 24 * 3600);
}

TEST(VapidJwt, TheAudienceIsTheEndpointsOrigin) {
  const auto origin = [](const char* url) {
    auto parsed = ParseWebhookUrl(url);
    EXPECT_TRUE(parsed.ok()) << url;
    return parsed.ok() ? EndpointOrigin(*parsed) : std::string();
  };
  EXPECT_EQ(origin("https://fcm.googleapis.com/fcm/send/abc:def"), "https://fcm.googleapis.com");
  EXPECT_EQ(origin("https://Updates.Push.Services.Mozilla.com/wpush/v2/gAAA"), "https://updates.push.services.mozilla.com");
  EXPECT_EQ(origin("https://web.push.apple.com:443/QGx"), "https://web.push.apple.com");
  EXPECT_EQ(origin("https://127.0.0.1:9443/push/a"), "https://127.0.0.1:9443");
  EXPECT_EQ(origin("https://[::1]:9443/push/a"), "https://[::1]:9443");
  EXPECT_EQ(origin("https://localhost:8443/x"), "https://localhost:8443");
}

TEST(VapidJwt, TheSubjectIsAMailtoOrHttpsContact) {
  EXPECT_TRUE(CheckVapidSubject("mailto:owner@example.com").ok());
  EXPECT_TRUE(CheckVapidSubject("https://example.com/contact").ok());
  for (const char* bad : {"", "owner@example.com", "http://example.com", "mailto:", "mailto:a b@example.com",
                          "mailto:\"x\"@example.com"}) {
    EXPECT_EQ(CheckVapidSubject(bad).code(), core::Code::kInvalid) << bad;
  }
  EXPECT_FALSE(CheckVapidSubject("mailto:" + std::string(300, 'a')).ok());
}

TEST(VapidKey, IsMadeOnceIn0600AndReadBack) {
  const ::latchkey::testing::TempDir dir("latchkey-vapid");
  const std::string path = dir.path() + "/vapid-key";
  auto made = VapidKey::LoadOrCreate(path);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto again = VapidKey::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(made->public_key(), again->public_key());
  EXPECT_EQ(made->public_key()[0], 0x04);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all, std::filesystem::perms::owner_read |
                                                                                          std::filesystem::perms::owner_write);
  // A signature of the loaded key verifies with the public key it shows.
  auto sig = again->Sign("data");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifyEs256(made->public_key(), "data", std::vector<uint8_t>(sig->begin(), sig->end())));
}

}  // namespace
}  // namespace latchkey::hub::push
