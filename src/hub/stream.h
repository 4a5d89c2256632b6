// GET /api/v1/stream: the live WebSocket of API.md. A client authenticates with ?token=, may
// ask for what it missed with ?after=<lock>:<seq>,..., and then receives
// {"type":"event","lock","event"} for each new event and {"type":"state","lock",...} for each
// change of a lock's state or online status, for the locks its account may see, as far as its
// role may know them (stream_filter.h: guests only their own operations and the lock's state,
// duress only to owner and admin); and {"type":"hub_alarm","lock",...} to owner and admin.
#pragma once

#include <boost/beast/http.hpp>

#include <functional>
#include <list>
#include <memory>
#include <string>

#include "hub/auth.h"
#include "hub/directory.h"
#include "hub/env.h"
#include "hub/hub_store.h"
#include "hub/http_server.h"
#include "platform/asio.h"

namespace latchkey::hub {

class Stream {
 public:
  // Whether the hub's link to a lock is up now (for the lock objects of state messages).
  using OnlineFn = std::function<bool(const std::string& lock)>;
  // Reads events and locks from `store` and callers from `directory`; decides with `env`'s clock.
  Stream(boost::asio::io_context& io, Env& env, HubStore& store, Directory& directory, OnlineFn online);
  ~Stream();
  // Takes over an upgraded connection (ws:// or wss://).
  void Accept(UpgradedStream connection, boost::beast::http::request<boost::beast::http::string_body> request,
              std::string client_address);
  void PublishEvent(const std::string& lock, const Json& event);
  void PublishState(const std::string& lock);
  // An alarm the hub raises itself about `lock` (not an event of the lock's log, so it has no
  // seq and is not replayed): {"type":"hub_alarm","lock",...alarm}, to owner and admin only.
  void PublishHubAlarm(const std::string& lock, const Json& alarm);
  // The lock was unpaired: {"type":"lock_removed","lock"}, to owner and admin only (those who
  // may see every lock's object; others' lists just stop showing it).
  void PublishRemoved(const std::string& lock);
  // Checks every open stream's token again after a logout, a revoked token or a changed or
  // deleted account: a stream whose token no longer holds is closed, the others continue with
  // the account as it is now (a narrowed lock list applies at once). Also run by a timer when
  // the earliest token of an open stream reaches its expires_at, so that an expired token
  // stops streaming then, not at the next change or reconnect.
  void Recheck();
  std::size_t clients() const;

  // A client in this process (an integration) that receives what a WebSocket client with the
  // same token would, live from now on (no replay): the same filter, the same rechecks (a
  // revoked or narrowed token applies at once). Messages come on the io thread until the
  // returned handle is dropped. kInvalid when the token does not authenticate.
  using Sink = std::function<void(const Json& message)>;
  core::Result<std::shared_ptr<void>> Watch(const TokenHash& token_hash, Sink sink);

  class Client;

 private:
  friend class Client;
  void Remove(Client* client);
  // Sets expiry_timer_ for the earliest expires_at of the open streams' tokens.
  void ArmExpiry();
  void OnExpiryTimer();
  Env& env_;
  HubStore& store_;
  Directory& directory_;
  OnlineFn online_;
  std::list<std::shared_ptr<Client>> clients_;
  struct Watcher {
    Principal principal;
    Sink sink;
  };
  std::list<std::weak_ptr<Watcher>> watchers_;
  // Each watcher still held, with what it may receive of `message` now.
  void Notify(const Json& message, int64_t now);
  boost::asio::steady_timer expiry_timer_;
};

}  // namespace latchkey::hub
