// What integration tests need to drive real `latchkey` processes: a lock process in its own
// temporary data folder (started, killed, restarted), a hub-side link client with the hub's
// durable state kept in memory (key, pinned lock key, acked seq, every event received), and a
// small HTTP client for the lock's sim-control address.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "link/link_client.h"
#include "common/temp_dir.h"
#include "process.h"

namespace latchkey::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class LockProcess {
 public:
  // `data_dir` must exist or be creatable; `extra` are more `latchkey lock` options.
  LockProcess(std::string data_dir, std::vector<std::string> extra = {});
  ~LockProcess();

  // Starts the process and waits until it serves its link and sim-control addresses.
  void Start();
  // Sends `signal` and reaps the process.
  void Kill(int signal = 9);
  bool running() const { return process_.pid() > 0; }

  const std::string& data_dir() const { return data_dir_; }
  // What the process wrote to its log (DATA/process.log), for a failed test to show.
  std::string Log() const;
  std::string host() const { return "127.0.0.1"; }
  uint16_t link_port() const { return link_port_; }
  uint16_t sim_port() const { return sim_port_; }
  // This run's sim-control secret (DATA/sim-control.secret; SimHttp sends it).
  const std::string& sim_secret() const { return sim_secret_; }
  std::string setup_code() const;

 private:
  std::string data_dir_;
  std::vector<std::string> extra_;
  Process process_;
  uint16_t link_port_ = 0;
  uint16_t sim_port_ = 0;
  std::string sim_secret_;
};

// POST /sim/<what> (or GET /state when `what` is empty) on the lock's sim-control server, with
// the secret of the LockProcess that last started on that port (or `secret` when given).
// Returns {"status": HTTP status, "body": JSON}.
Json SimHttp(uint16_t port, const std::string& what, const Json& body = Json::object(),
             const std::optional<std::string>& secret = std::nullopt);

// A hub's link to one lock, run on its own io thread; every call blocks until done.
class HubLink {
 public:
  HubLink();
  ~HubLink();

  // Pairs with the setup code; true on success (the lock's key is pinned from then on).
  bool Pair(const std::string& host, uint16_t port, const std::string& setup_code);
  // Connects with the pinned lock key; true once hello arrived.
  bool Connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout = 5s);
  void Disconnect();
  bool connected() const;
  // Waits until the link closes (the lock or the network dropped it).
  bool WaitClosed(std::chrono::milliseconds timeout);

  // A request; the response body {"ok":..., "result"|"error"}.
  Json Request(const std::string& op, Json args = Json::object(), std::chrono::milliseconds timeout = 10s);
  // Request args with an actor of the given role.
  static Json As(Json args, const std::string& role = "owner", const std::string& name = "owner");

  // Every event received, in the order stored (exactly once each).
  std::vector<Json> events() const;
  uint64_t acked_seq() const;
  // Waits until an event with seq >= `seq` has been stored.
  bool WaitForSeq(uint64_t seq, std::chrono::milliseconds timeout = 5s);
  bool WaitForEvent(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout = 5s);
  Json last_state() const;

  // The hub's identity, to act as a second hub with another key.
  const crypto::NoiseKeypair& key() const { return key_; }
  // Taps every frame of the next connection (for replay and tamper tests).
  std::function<void(std::span<const uint8_t>, bool outgoing)> frame_tap;

 private:
  bool Open(const std::string& host, uint16_t port, std::optional<link::SetupCode> code,
            std::chrono::milliseconds timeout);
  template <typename F>
  auto OnIo(F&& f) -> decltype(f());

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  crypto::NoiseKeypair key_;
  std::optional<crypto::NoisePublicKey> lock_key_;
  std::unique_ptr<link::LinkClient> client_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Json> events_;
  uint64_t acked_seq_ = 0;
  bool ready_ = false;
  bool closed_ = true;
  Json last_state_;
};

// A fixture with one lock process paired with a HubLink, over ::testing::Test or a
// ::testing::TestWithParam<...>: StartLock starts the lock (again, with other options, for a
// restart) and pairs; a failed test shows what the lock process logged.
template <typename Base = ::testing::Test>
class PairedLockTest : public Base {
 protected:
  void StartLock(std::vector<std::string> extra = {"--motor-ms", "0"}) {
    lock_ = std::make_unique<LockProcess>(dir_.path() + "/lock", std::move(extra));
    lock_->Start();
    if (this->HasFatalFailure()) return;
    ASSERT_TRUE(hub_.Pair(lock_->host(), lock_->link_port(), lock_->setup_code()));
  }

  void TearDown() override {
    if (!this->HasFailure() || !lock_) return;
    std::cerr << "--- lock process log ---\n" << lock_->Log() << "--- end ---\n";
  }

  TempDir dir_;
  std::unique_ptr<LockProcess> lock_;
  HubLink hub_;
};

}  // namespace latchkey::testing
