// The Matter bridge's sidecar (integrations/matter: matter.js on Node), started and supervised by
// the hub: SMART-HOME.md section 1, docs/integrations.md. The hub gives it, in its environment,
// its own address, an API token of the account `matter` (a client like any other: nothing
// private), a UDP port, a storage folder (DATA/matter, 0700) and a control port with a secret;
// restarts it with back-off (1 s doubling to 60 s) when it dies; stops it with the hub. It is
// also the hub's MatterControl: the API's Matter endpoints ask the sidecar's control server.
//
//   MatterSidecar sidecar(io, {.port = 5540}, data_dir, hub.url(), hub.tls_cert_path(), *token);
//   LATCHKEY_TRY(sidecar.Start());
//   hub.set_matter(&sidecar);
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "hub/matter_control.h"

namespace latchkey::integrations::matter {

struct MatterOptions {
  bool enabled = false;
  uint16_t port = 5540;  // UDP; Alexa only finds bridges on 5540
  // The sidecar's entry point and Node; empty: LATCHKEY_MATTER_SIDECAR (the build's) and `node`.
  std::string sidecar;
  std::string node = "node";
  // Only these locks (by id) on the bridge; absent: every lock the account `matter` sees.
  std::optional<std::vector<std::string>> locks;
};

class MatterSidecar : public hub::MatterControl {
 public:
  MatterSidecar(boost::asio::io_context& io, MatterOptions options, std::string data_dir, std::string hub_url,
                std::string hub_ca_file, std::string token);
  ~MatterSidecar() override;

  // Makes DATA/matter and starts the sidecar; kInvalid when its entry point is missing.
  core::Status Start();
  // SIGTERM (SIGKILL after 5 s), no restart.
  void Stop();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  void Status(Done done) override;
  void OpenCommissioning(Done done) override;
  void RemoveFabric(uint64_t index, Done done) override;

 private:
  void Spawn();
  void Watch();
  void Control(boost::beast::http::verb method, const std::string& target, Done done);

  boost::asio::io_context& io_;
  MatterOptions options_;
  std::string data_dir_, hub_url_, hub_ca_file_, token_;
  std::string control_secret_;
  uint16_t control_port_ = 0;
  pid_t pid_ = -1;
  bool stopping_ = false;
  std::chrono::seconds backoff_{1};
  std::chrono::steady_clock::time_point started_at_{};
  boost::asio::steady_timer timer_;
};

}  // namespace latchkey::integrations::matter
