// A push service for tests (and bench/push_bench.cc), on 127.0.0.1 over HTTPS, and the
// browser's half of Web Push, written here apart from the hub's code so that each checks the
// other:
//   - PushReceiver: an HTTPS server with a self-signed certificate for 127.0.0.1 (made with the
//     `openssl` command; the hub trusts it through --webhook-cacert) that records every request
//     and answers each path as scripted (201 by default, as push services answer).
//   - TestSubscriber: what a browser keeps for one subscription: a P-256 key pair and a 16-byte
//     auth secret, both made here with OpenSSL, and the decryption of an `aes128gcm` body
//     (RFC 8291 / RFC 8188) with its own HKDF over HMAC-SHA256, not the hub's.
//   - VerifyVapid: the push service's check of `Authorization: vapid t=..., k=...` (RFC 8292):
//     the key is the one expected, the JWT's ES256 signature verifies with it, `aud` is the
//     receiver's origin, `exp` is in the future and at most 24 hours ahead, `sub` a contact.
// No GoogleTest here: the bench uses it too.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "platform/asio.h"  // before any other Boost.Asio header

#include <boost/asio/ssl.hpp>

namespace latchkey::testing {

std::string Base64UrlEncodeForTest(const std::string& bytes);
std::optional<std::string> Base64UrlDecodeForTest(const std::string& text);

class PushReceiver {
 public:
  struct Hit {
    std::string path;
    std::string authorization;
    std::string ttl;
    std::string urgency;
    std::string content_encoding;
    std::string content_type;
    std::string body;
    unsigned answered = 0;
    std::chrono::steady_clock::time_point at;  // when the request had been read whole
  };

  // Makes the certificate (in its own temporary folder) and starts serving.
  PushReceiver();
  ~PushReceiver();
  PushReceiver(const PushReceiver&) = delete;
  PushReceiver& operator=(const PushReceiver&) = delete;

  bool ok() const { return !error_.empty() ? false : port_ != 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  // "https://127.0.0.1:PORT": the JWT's expected `aud`.
  std::string Origin() const;
  std::string Url(const std::string& path) const { return Origin() + path; }
  // The receiver's certificate (PEM), for the hub's --webhook-cacert.
  std::string CertPath() const { return dir_.path() + "/receiver.pem"; }

  // The next requests to `path` are answered with these statuses, in order; then 201.
  void Script(const std::string& path, std::vector<unsigned> statuses);
  std::vector<Hit> Hits(const std::string& path) const;
  std::size_t HitCount() const;
  // Connections accepted (with or without a request).
  int accepted() const;

 private:
  struct Conn;
  void Accept();
  void Serve(const std::shared_ptr<Conn>& conn);

  latchkey::testing::TempDir dir_{"latchkey-push-receiver"};
  std::string error_;
  boost::asio::io_context io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<unsigned>> scripts_;
  std::vector<Hit> hits_;
  int accepted_ = 0;
};

class TestSubscriber {
 public:
  TestSubscriber();
  ~TestSubscriber();
  TestSubscriber(const TestSubscriber&) = delete;
  TestSubscriber& operator=(const TestSubscriber&) = delete;

  // As PushSubscription.toJSON() gives them: base64url, no padding.
  const std::string& p256dh() const { return p256dh_; }
  const std::string& auth() const { return auth_b64_; }
  // The plaintext of an `aes128gcm` body; nullopt (and `why`) when it does not decrypt.
  std::optional<std::string> Decrypt(const std::string& body, std::string* why = nullptr) const;

 private:
  struct Key;
  std::unique_ptr<Key> key_;
  std::string public_point_;  // 65 bytes
  std::string auth_;          // 16 bytes
  std::string p256dh_, auth_b64_;
};

// "" when `authorization` is a valid VAPID header for `audience` signed by the key whose
// base64url is `public_key`, at `now_s` (Unix seconds); else what is wrong. `subject`, when
// given, gets the JWT's `sub`.
std::string VerifyVapid(const std::string& authorization, const std::string& public_key, const std::string& audience,
                        int64_t now_s, std::string* subject = nullptr);

}  // namespace latchkey::testing
