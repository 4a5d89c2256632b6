// The hub's links to its locks: one session per paired lock, reconnecting with back-off
// (0.5 s doubling to 30 s) whenever the link drops; every event the lock sends is stored in the
// hub's mirror before it is acknowledged (the events of one link message in one transaction,
// published after it commits). Also pairing a new lock with its setup code.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

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
  };
  using Done = link::LinkClient::Done;

  LockSessions(boost::asio::io_context& io, HubStore& store, const crypto::NoiseKeypair& hub_key,
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
  // The lock's answer to one request, or lock_offline / lock_timeout.
  void Request(const std::string& lock, const std::string& op, Json args, Done done);

 private:
  struct Session;
  void Connect(const std::shared_ptr<Session>& session);
  void ScheduleReconnect(const std::shared_ptr<Session>& session);

  boost::asio::io_context& io_;
  HubStore& store_;
  crypto::NoiseKeypair hub_key_;
  std::string hub_id_;
  Listener listener_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::map<uint64_t, std::unique_ptr<link::LinkClient>> pairing_;
  uint64_t next_pairing_id_ = 1;
};

}  // namespace latchkey::hub
