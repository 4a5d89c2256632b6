#include "push_receiver.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdlib.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace latchkey::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using namespace std::chrono_literals;

// --- base64url ---------------------------------------------------------------------------------

std::string Base64UrlEncodeForTest(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> Base64UrlDecodeForTest(const std::string& text) {
  std::string standard = text;
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  const std::size_t pad = (4 - standard.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  standard.append(pad, '=');
  std::string out(standard.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

namespace {

// A P-256 public key from its uncompressed point, imported here with OpenSSL's parameters.
EVP_PKEY* PublicKey(const std::string& point) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) key = nullptr;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  ERR_clear_error();
  return key;
}

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char out[32];
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &length) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

// RFC 5869 with SHA-256, for at most 32 bytes: T(1) = HMAC(PRK, info || 0x01).
std::string Hkdf(const std::string& salt, const std::string& ikm, const std::string& info, std::size_t length) {
  const std::string prk = HmacSha256(salt, ikm);
  return HmacSha256(prk, info + '\x01').substr(0, length);
}

}  // namespace

// --- the receiver ------------------------------------------------------------------------------

struct PushReceiver::Conn {
  Conn(asio::ip::tcp::socket socket, ssl::context& context) : stream(std::move(socket), context) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> response;
};

PushReceiver::PushReceiver() {
  const std::string& dir = dir_.path();
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                              "-subj /CN=push-receiver -addext subjectAltName=IP:127.0.0.1 -keyout " +
                              dir + "/receiver.key -out " + dir + "/receiver.pem 2>/dev/null";
  if (std::system(command.c_str()) != 0) {
    error_ = "openssl req failed";
    return;
  }
  tls_ = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  tls_->use_certificate_chain_file(dir + "/receiver.pem", ec);
  if (!ec) tls_->use_private_key_file(dir + "/receiver.key", ssl::context::pem, ec);
  if (ec) {
    error_ = "certificate: " + ec.message();
    return;
  }
  acceptor_.emplace(io_);
  ec = platform::OpenAcceptor(*acceptor_, {asio::ip::make_address("127.0.0.1"), 0});
  if (ec) {
    error_ = "listen: " + ec.message();
    return;
  }
  port_ = acceptor_->local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

PushReceiver::~PushReceiver() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string PushReceiver::Origin() const { return "https://127.0.0.1:" + std::to_string(port_); }

void PushReceiver::Script(const std::string& path, std::vector<unsigned> statuses) {
  std::lock_guard lock(mu_);
  scripts_[path] = std::deque<unsigned>(statuses.begin(), statuses.end());
}

std::vector<PushReceiver::Hit> PushReceiver::Hits(const std::string& path) const {
  std::lock_guard lock(mu_);
  std::vector<Hit> out;
  for (const Hit& h : hits_) {
    if (h.path == path) out.push_back(h);
  }
  return out;
}

std::size_t PushReceiver::HitCount() const {
  std::lock_guard lock(mu_);
  return hits_.size();
}

int PushReceiver::accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

void PushReceiver::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) return;
    {
      std::lock_guard lock(mu_);
      ++accepted_;
    }
    socket.set_option(asio::ip::tcp::no_delay(true));
    auto conn = std::make_shared<Conn>(std::move(socket), *tls_);
    beast::get_lowest_layer(conn->stream).expires_after(10s);
    conn->stream.async_handshake(ssl::stream_base::server, [this, conn](beast::error_code hec) {
      if (!hec) Serve(conn);
    });
    Accept();
  });
}

void PushReceiver::Serve(const std::shared_ptr<Conn>& conn) {
  http::async_read(conn->stream, conn->buffer, conn->request, [this, conn](beast::error_code rec, std::size_t) {
    if (rec) return;
    Hit hit;
    hit.at = std::chrono::steady_clock::now();
    const auto& r = conn->request;
    hit.path = std::string(r.target());
    hit.authorization = std::string(r[http::field::authorization]);
    hit.ttl = std::string(r["TTL"]);
    hit.urgency = std::string(r["Urgency"]);
    hit.content_encoding = std::string(r[http::field::content_encoding]);
    hit.content_type = std::string(r[http::field::content_type]);
    hit.body = r.body();
    {
      std::lock_guard lock(mu_);
      auto& script = scripts_[hit.path];
      hit.answered = 201;
      if (!script.empty()) {
        hit.answered = script.front();
        script.pop_front();
      }
      hits_.push_back(hit);
    }
    conn->response = http::response<http::string_body>(static_cast<http::status>(hit.answered), 11);
    conn->response.keep_alive(false);
    conn->response.prepare_payload();
    http::async_write(conn->stream, conn->response, [conn](beast::error_code, std::size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(conn->stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    });
  });
}

// --- the browser's half ------------------------------------------------------------------------

struct TestSubscriber::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

TestSubscriber::TestSubscriber() : key_(std::make_unique<Key>()) {
  key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  unsigned char point[65];
  std::size_t length = 0;
  if (key_->pkey != nullptr &&
      EVP_PKEY_get_octet_string_param(key_->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) == 1) {
    public_point_.assign(reinterpret_cast<const char*>(point), length);
  }
  unsigned char secret[16];
  if (RAND_bytes(secret, sizeof secret) == 1) auth_.assign(reinterpret_cast<const char*>(secret), sizeof secret);
  p256dh_ = Base64UrlEncodeForTest(public_point_);
  auth_b64_ = Base64UrlEncodeForTest(auth_);
}

TestSubscriber::~TestSubscriber() = default;

std::optional<std::string> TestSubscriber::Decrypt(const std::string& body, std::string* why) const {
  const auto fail = [&](const std::string& reason) -> std::optional<std::string> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  // RFC 8188 2.1: salt (16) || rs (4) || idlen (1) || keyid (idlen) || records
  if (body.size() < 21) return fail("shorter than the header");
  const std::string salt = body.substr(0, 16);
  const uint32_t rs = (uint32_t{static_cast<uint8_t>(body[16])} << 24) | (uint32_t{static_cast<uint8_t>(body[17])} << 16) |
                      (uint32_t{static_cast<uint8_t>(body[18])} << 8) | uint32_t{static_cast<uint8_t>(body[19])};
  const std::size_t idlen = static_cast<uint8_t>(body[20]);
  if (idlen != 65 || body.size() < 21 + idlen + 17) return fail("keyid is not a P-256 point, or no record");
  const std::string sender_point = body.substr(21, idlen);
  const std::string record = body.substr(21 + idlen);
  if (record.size() > rs) return fail("more than one record");
  EVP_PKEY* sender = PublicKey(sender_point);
  if (sender == nullptr) return fail("keyid does not import");
  EVP_PKEY_CTX* derive = EVP_PKEY_CTX_new_from_pkey(nullptr, key_->pkey, nullptr);
  unsigned char shared[32];
  std::size_t shared_length = sizeof shared;
  const bool derived = derive != nullptr && EVP_PKEY_derive_init(derive) == 1 && EVP_PKEY_derive_set_peer(derive, sender) == 1 &&
                       EVP_PKEY_derive(derive, shared, &shared_length) == 1;
  EVP_PKEY_CTX_free(derive);
  EVP_PKEY_free(sender);
  if (!derived) return fail("ECDH failed");
  // RFC 8291 3.3, 3.4.
  const std::string ecdh(reinterpret_cast<const char*>(shared), shared_length);
  const std::string key_info = std::string("WebPush: info") + '\0' + public_point_ + sender_point;
  const std::string ikm = Hkdf(auth_, ecdh, key_info, 32);
  const std::string cek = Hkdf(salt, ikm, std::string("Content-Encoding: aes128gcm") + '\0', 16);
  const std::string nonce = Hkdf(salt, ikm, std::string("Content-Encoding: nonce") + '\0', 12);
  // AES-128-GCM, the tag last.
  const std::string sealed = record.substr(0, record.size() - 16);
  std::string tag = record.substr(record.size() - 16);
  std::string plain(sealed.size(), '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0, final_n = 0;
  const bool opened =
      EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, reinterpret_cast<const unsigned char*>(cek.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &n,
                        reinterpret_cast<const unsigned char*>(sealed.data()), static_cast<int>(sealed.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + n, &final_n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  ERR_clear_error();
  if (!opened) return fail("the record does not authenticate");
  // RFC 8188 2: padding (zeros) after the delimiter 0x02 of the last record.
  while (!plain.empty() && plain.back() == '\0') plain.pop_back();
  if (plain.empty() || plain.back() != '\x02') return fail("no last-record delimiter");
  plain.pop_back();
  return plain;
}

// --- VAPID -------------------------------------------------------------------------------------

std::string VerifyVapid(const std::string& authorization, const std::string& public_key, const std::string& audience,
                        int64_t now_s, std::string* subject) {
  constexpr std::string_view kPrefix = "vapid t=";
  if (authorization.rfind(kPrefix, 0) != 0) return "not a vapid authorization: '" + authorization + "'";
  const auto k = authorization.find(", k=");
  if (k == std::string::npos) return "no k=";
  const std::string token = authorization.substr(kPrefix.size(), k - kPrefix.size());
  if (authorization.substr(k + 4) != public_key) return "k= is not the hub's VAPID key";
  const auto first = token.find('.');
  const auto second = token.find('.', first == std::string::npos ? 0 : first + 1);
  if (first == std::string::npos || second == std::string::npos) return "not a JWT";
  const auto header_text = Base64UrlDecodeForTest(token.substr(0, first));
  const auto claims_text = Base64UrlDecodeForTest(token.substr(first + 1, second - first - 1));
  const auto signature = Base64UrlDecodeForTest(token.substr(second + 1));
  if (!header_text || !claims_text || !signature) return "a JWT part is not base64url";
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  const auto claims = nlohmann::json::parse(*claims_text, nullptr, false);
  if (!header.is_object() || header.value("alg", "") != "ES256" || header.value("typ", "JWT") != "JWT") {
    return "header: " + *header_text;
  }
  if (!claims.is_object()) return "claims are not an object";
  if (claims.value("aud", "") != audience) return "aud " + claims.value("aud", "") + " is not " + audience;
  if (!claims.contains("exp") || !claims["exp"].is_number_integer()) return "no exp";
  const int64_t exp = claims["exp"].get<int64_t>();
  if (exp <= now_s) return "exp is past";
  if (exp > now_s + 24 * 3600) return "exp is more than 24 h ahead";
  const std::string sub = claims.value("sub", "");
  if (sub.rfind("mailto:", 0) != 0 && sub.rfind("https://", 0) != 0) return "sub is not a contact: " + sub;
  if (subject != nullptr) *subject = sub;
  // ES256: r || s as a DER ECDSA-Sig-Value for OpenSSL's verifier.
  if (signature->size() != 64) return "the signature is not 64 bytes";
  const auto point = Base64UrlDecodeForTest(public_key);
  EVP_PKEY* key = point ? PublicKey(*point) : nullptr;
  if (key == nullptr) return "the VAPID key does not import";
  const auto* rs = reinterpret_cast<const unsigned char*>(signature->data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, nullptr), BN_bin2bn(rs + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const std::string signed_part = token.substr(0, second);
  const bool verified = der_length > 0 && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                        EVP_DigestVerify(md, der, static_cast<std::size_t>(der_length),
                                         reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return verified ? "" : "the signature does not verify";
}

}  // namespace latchkey::testing
