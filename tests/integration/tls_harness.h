// What the HTTPS tests need: a `latchkey hub` or `latchkey demo` process started with any
// arguments (it may be meant to fail), and the HTTPS and wss:// faces of the clients in
// http_client.h (verifying the hub's certificate against a given CA file and host).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http_client.h"
#include "hub_harness.h"
#include "process.h"

namespace latchkey::testing {

// HttpCall's options with TLS on: `ca_file` holds the only certificate(s) trusted, `host` the
// name or address the certificate must be valid for.
struct HttpsOptions : HttpOptions {
  HttpsOptions() { tls = true; }
};

// One request over TLS to 127.0.0.1:`port` (HttpCall with TLS); status 0 with the reason (e.g. a
// failed certificate check) in transport_error when there is no answer.
inline HttpResult HttpsCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                            const HttpsOptions& options) {
  return HttpCall(port, method, target, body, options);
}

// A `latchkey` process with its output in LOG (in its own temporary folder, removed at the end).
class LatchkeyProcess {
 public:
  LatchkeyProcess();
  ~LatchkeyProcess();
  LatchkeyProcess(const LatchkeyProcess&) = delete;
  LatchkeyProcess& operator=(const LatchkeyProcess&) = delete;

  // A folder of the test's own (removed with this object).
  const std::string& dir() const { return dir_; }
  // Starts `latchkey ARGS...` with LATCHKEY_OWNER_PASSWORD set (HubDemo::kOwnerPassword) and
  // HOME / XDG_CONFIG_HOME in dir() (a command line client's login stays in the test's folder).
  void Spawn(const std::vector<std::string>& args);
  // Waits until GET /healthz answers 200 over HTTPS (verified with `options`). Use with
  // ASSERT_NO_FATAL_FAILURE.
  void WaitHealthy(uint16_t port, const HttpsOptions& options);
  // Waits for the process to end by itself; its exit status, or nullopt if it still runs.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  // SIGTERM and wait.
  void Stop();
  std::string Log() const;

 private:
  std::string dir_;
  Process process_;
};

// WsClient over TLS: Connect opens wss://127.0.0.1:port`target`, verifying the certificate; 101
// when open, else the refusal's status, 0 when the connection or the handshake failed (why in
// error()).
class WssClient : public WsClient {
 public:
  int Connect(uint16_t port, const std::string& target, const HttpsOptions& options) {
    return Open(port, target, options);
  }
};

// `openssl x509 -fingerprint -sha256` of a PEM certificate, as "AB:CD:..." ("" if unreadable).
std::string PemFingerprint(const std::string& cert_path);
std::string ReadFile(const std::string& path);

}  // namespace latchkey::testing
