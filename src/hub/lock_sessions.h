// The hub's links to its locks: one session per paired lock, reconnecting with back-off
// (0.5 s doubling to 30 s) whenever the link drops; every event the lock sends is stored in the
// hub's mirror before it is acknowledged (the events of one link message in one transaction,
// published after it commits). Also pairing a new lock with its setup code.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "hub/env.h"
#include "hub/hub_store.h"
#include "link/link_client.h"

namespace latchkey::hub {

class LockSessions {
 public:
  struct Listener {
    // A new event, after it was stored (committed).
    std::function<void(const std::string& lock, const Json& event)> on_event;
    // The lock's state changed, or it went online or offline.
    std::function<void(const std::string& lock)> on_state;
    // The lock's link is up (every connect, the first one right after pairing included): what
    // the hub gives each lock on connect besides the time (the phone keys' home key and list).
    std::function<void(const std::string& lock)> on_online;
    // The lock was unpaired (and forgotten).
    std::function<void(const std::string& lock)> on_removed;
  };
  using Done = link::LinkClient::Done;

  LockSessions(boost::asio::io_context& io, Env& env, HubStore& store, const crypto::NoiseKeypair& hub_key,
               std::string hub_id, Listener listener);
  ~LockSessions();

  // Starts a session for every paired lock in the store.
  core::Status Start();
  // Pairs with the lock at `address` (HOST:PORT) using its setup code; `done` gets the new
  // lock record's id, or an error {"ok":false,...}.
  void Pair(const std::string& address, const std::string& setup_code, const std::string& name, Done done);
  // Asks the lock to forget the hub (when online), then forgets the lock.
  void Unpair(const std::string& lock, Done done);

  bool online(const std::string& lock) const;
  // The lock's answer to one request, or lock_offline / lock_timeout, or `busy`.
  //
  // Requests in flight to one lock are capped here (SECURITY.md "One attacker cannot deny service
  // to everyone"): at most kMaxInFlight are sent to the lock at once, well below the link's limit
  // of 32 (LINK.md), leaving room for the link's own requests (set_time on connect, unpair) and
  // for requests the hub gave up on (lock_timeout) that the lock may still be working on. Further
  // requests wait in order, at most kMaxWaiting of them and at most kMaxWait each (then
  // lock_timeout); beyond that a request is answered at once with
  // {"ok":false,"error":{"code":"busy","retry_after_s":1}} (HTTP 429) without reaching the
  // lock. So no number of parallel callers makes the hub break the link for everyone.
  void Request(const std::string& lock, const std::string& op, Json args, Done done);
  // The same with the op's request struct: Request<link::Op::kUnpair>(lock, {}, done).
  template <link::Op kOp>
  void Request(const std::string& lock, const link::RequestFor<kOp>& request, Done done) {
    Request(lock, std::string(link::ToString(kOp)), link::EncodeRequest(request), std::move(done));
  }
  static constexpr int kMaxInFlight = 16;
  static constexpr std::size_t kMaxWaiting = 64;
  static constexpr std::chrono::milliseconds kMaxWait{10000};
  // Requests sent to the lock and not yet answered, and requests waiting (for tests, /metrics).
  int in_flight(const std::string& lock) const;
  std::size_t waiting(const std::string& lock) const;

 private:
  struct Session;
  // A pairing attempt the lock refused before any handshake started is made again,
  // kPairingRetryDelay later, then twice that, and so on (4 s in all: past its first back-offs).
  static constexpr int kPairingRetries = 4;
  static constexpr std::chrono::milliseconds kPairingRetryDelay{400};
  void StartPairing(uint64_t pairing_id, link::LinkClient::Options options, const std::string& address,
                    const std::string& name, const std::shared_ptr<Done>& shared_done, int retries_left);
  void Connect(const std::shared_ptr<Session>& session);
  void ScheduleReconnect(const std::shared_ptr<Session>& session);
  // Sends one request to the session's lock, holding one of its in-flight places until answered.
  void Send(const std::shared_ptr<Session>& session, const std::string& op, Json args, Done done);
  // Sends waiting requests while places are free.
  void SendWaiting(const std::shared_ptr<Session>& session);

  boost::asio::io_context& io_;
  Env& env_;
  HubStore& store_;
  crypto::NoiseKeypair hub_key_;
  std::string hub_id_;
  Listener listener_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::map<uint64_t, std::unique_ptr<link::LinkClient>> pairing_;
  uint64_t next_pairing_id_ = 1;
};

}  // namespace latchkey::hub
