#include "hub/lock_sessions.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <utility>

#include "link/op_answers.h"
#include "platform/host_port.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {
constexpr auto kFirstBackoff = std::chrono::milliseconds(500);
constexpr auto kMaxBackoff = std::chrono::milliseconds(30000);
}  // namespace

struct LockSessions::Session {
  explicit Session(asio::io_context& io) : timer(io) {}
  LockRecord record;
  std::unique_ptr<link::LinkClient> client;
  asio::steady_timer timer;
  std::chrono::milliseconds backoff = kFirstBackoff;
  bool stopped = false;
  // The name given at pairing, until the lock has taken it as its `name` setting: the lock's own
  // name is what every later answer shows, so the name must become the lock's.
  std::string name_to_set;
  // The cap on requests in flight (LockSessions::Request).
  struct Waiting {
    std::string op;
    Json args;
    Done done;
    int64_t since_ms;  // monotonic
  };
  int in_flight = 0;
  std::deque<Waiting> waiting;
};

LockSessions::LockSessions(asio::io_context& io, Env& env, HubStore& store, const crypto::NoiseKeypair& hub_key,
                           std::string hub_id, Listener listener)
    : io_(io), env_(env), store_(store), hub_key_(hub_key), hub_id_(std::move(hub_id)), listener_(std::move(listener)) {}

LockSessions::~LockSessions() {
  for (auto& [id, session] : sessions_) {
    session->stopped = true;
    session->timer.cancel();
    session->client.reset();
  }
}

core::Status LockSessions::Start() {
  auto locks = store_.ListLocks();
  LATCHKEY_TRY(locks);
  for (const auto& record : *locks) {
    auto session = std::make_shared<Session>(io_);
    session->record = record;
    sessions_[record.id] = session;
    Connect(session);
  }
  return core::Status::Ok();
}

void LockSessions::Connect(const std::shared_ptr<Session>& session) {
  if (session->stopped) return;
  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(session->record.address, &host, &port)) {
    spdlog::error("hub: lock {} has a bad address '{}'", session->record.id, session->record.address);
    return;
  }
  link::LinkClient::Options options;
  options.host = host;
  options.port = port;
  options.hub_key = hub_key_;
  options.lock_key = session->record.key;
  options.hub_id = hub_id_;
  options.acked_seq = session->record.acked_seq;
  options.clock_ms = [&env = env_] { return env.NowMs(); };
  std::weak_ptr<Session> weak = session;
  link::LinkClient::Callbacks callbacks;
  callbacks.on_ready = [this, weak](const crypto::NoisePublicKey&, const Json&) {
    auto s = weak.lock();
    if (!s) return;
    s->backoff = kFirstBackoff;
    spdlog::info("hub: lock {} online", s->record.id);
    if (listener_.on_state) listener_.on_state(s->record.id);
    if (listener_.on_online) listener_.on_online(s->record.id);
    if (!s->name_to_set.empty()) {
      Request<link::Op::kSetSettings>(s->record.id, {.settings = {.name = s->name_to_set}}, [weak](Json reply) {
        auto named = weak.lock();
        if (!named) return;
        if (reply.value("ok", false)) {
          named->name_to_set.clear();
        } else {
          spdlog::warn("hub: lock {} did not take its name: {}", named->record.id, reply.dump());
        }
      });
    }
  };
  callbacks.on_events = [this, weak](const std::vector<Json>& events) -> std::size_t {
    auto s = weak.lock();
    if (!s) return 0;
    // The events before the first one the store refuses (malformed, from a faulty lock) are
    // stored, published and kept, and the refused one closes the link, as when each event had
    // a transaction of its own; all that are stored go in one transaction, so a failed write
    // stores (and acknowledges) none of them.
    // Each event is decoded once, here; the store writes what was decoded.
    std::vector<DecodedEvent> decoded;
    decoded.reserve(events.size());
    core::Status refused;
    for (const Json& event : events) {
      auto one = HubStore::DecodeEvent(event);
      if (!one.ok()) {
        refused = one.status();
        break;
      }
      decoded.push_back(std::move(one).value());
    }
    const std::size_t good = decoded.size();
    if (good > 0) {
      const core::Status stored = store_.AppendEvents(s->record.id, std::span<const DecodedEvent>(decoded));
      if (!stored.ok()) {
        spdlog::error("hub: cannot store {} events of lock {}: {}", good, s->record.id, stored.ToString());
        return 0;  // not acknowledged: the lock sends them again
      }
    }
    if (!refused.ok()) spdlog::error("hub: cannot store an event of lock {}: {}", s->record.id, refused.ToString());
    // Published only now that they are committed: a stream or webhook never shows an event
    // that a crash could still take back, and a replay from the mirror finds every one.
    for (std::size_t i = 0; i < good; ++i) {
      s->record.acked_seq = std::max(s->record.acked_seq, decoded[i].envelope.seq);
      if (listener_.on_event) listener_.on_event(s->record.id, events[i]);
    }
    return good;
  };
  callbacks.on_state = [this, weak](const Json& state) {
    auto s = weak.lock();
    if (!s) return;
    // Read with the table the lock writes it with, and kept as this hub understands it: a state
    // it cannot read leaves the last good one (and says so), never half a lock object.
    auto decoded = link::StateAnswer::Fields().Decode(state);
    if (!decoded.ok()) {
      spdlog::warn("hub: lock {} sent a state this hub cannot read: {}", s->record.id, decoded.status().message());
      return;
    }
    Json clean = link::StateAnswer::Fields().Encode(*decoded);
    s->record.state = clean;
    (void)store_.SetLockState(s->record.id, clean);
    if (listener_.on_state) listener_.on_state(s->record.id);
  };
  callbacks.on_closed = [this, weak](const std::string& why) {
    auto s = weak.lock();
    if (!s || s->stopped) return;
    spdlog::info("hub: lock {} offline: {}", s->record.id, why);
    if (listener_.on_state) listener_.on_state(s->record.id);
    ScheduleReconnect(s);
  };
  session->client = std::make_unique<link::LinkClient>(io_, options, callbacks);
  session->client->Connect();
}

void LockSessions::ScheduleReconnect(const std::shared_ptr<Session>& session) {
  session->timer.expires_after(session->backoff);
  session->backoff = std::min(kMaxBackoff, session->backoff * 2);
  std::weak_ptr<Session> weak = session;
  session->timer.async_wait([this, weak](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->stopped) return;
    // The old client is finished; replace it outside its own callback.
    asio::post(io_, [this, weak] {
      if (auto s2 = weak.lock()) Connect(s2);
    });
  });
}

bool LockSessions::online(const std::string& lock) const {
  const auto it = sessions_.find(lock);
  return it != sessions_.end() && it->second->client && it->second->client->ready();
}

void LockSessions::Request(const std::string& lock, const std::string& op, Json args, Done done) {
  const auto it = sessions_.find(lock);
  if (it == sessions_.end() || !it->second->client) {
    return done(link::ErrorReply("lock_offline", "the lock is not connected"));
  }
  const auto& session = it->second;
  if (session->in_flight < kMaxInFlight && session->waiting.empty()) {
    return Send(session, op, std::move(args), std::move(done));
  }
  if (session->waiting.size() >= kMaxWaiting) {
    Json busy = link::ErrorReply("busy", "too many requests to this lock at once; try again shortly");
    busy["error"]["retry_after_s"] = 1;
    return done(std::move(busy));
  }
  session->waiting.push_back({op, std::move(args), std::move(done), env_.clock().MonotonicMs()});
}

void LockSessions::Send(const std::shared_ptr<Session>& session, const std::string& op, Json args, Done done) {
  if (!session->client) return done(link::ErrorReply("lock_offline", "the lock is not connected"));
  ++session->in_flight;
  std::weak_ptr<Session> weak = session;
  session->client->Request(op, std::move(args), [this, weak, done = std::move(done)](Json reply) {
    if (auto s = weak.lock()) {
      --s->in_flight;
      // Not from inside this answer: the next request may fail at once (offline) and answer in turn.
      if (!s->waiting.empty()) {
        asio::post(io_, [this, weak] {
          if (auto s2 = weak.lock()) SendWaiting(s2);
        });
      }
    }
    done(std::move(reply));
  });
}

void LockSessions::SendWaiting(const std::shared_ptr<Session>& session) {
  while (session->in_flight < kMaxInFlight && !session->waiting.empty()) {
    Session::Waiting next = std::move(session->waiting.front());
    session->waiting.pop_front();
    if (env_.clock().MonotonicMs() - next.since_ms > kMaxWait.count()) {
      next.done(link::ErrorReply("lock_timeout", "the lock did not answer in time (waited for a free place)"));
      continue;
    }
    Send(session, next.op, std::move(next.args), std::move(next.done));
  }
}

int LockSessions::in_flight(const std::string& lock) const {
  const auto it = sessions_.find(lock);
  return it == sessions_.end() ? 0 : it->second->in_flight;
}

std::size_t LockSessions::waiting(const std::string& lock) const {
  const auto it = sessions_.find(lock);
  return it == sessions_.end() ? 0 : it->second->waiting.size();
}

void LockSessions::Pair(const std::string& address, const std::string& setup_code, const std::string& name,
                        Done done) {
  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(address, &host, &port)) return done(link::ErrorReply("invalid", "address: must be HOST:PORT"));
  auto code = link::ParseSetupCode(setup_code);
  if (!code.ok()) return done(link::ErrorReply("invalid", "setup_code: " + code.status().message()));
  link::LinkClient::Options options;
  options.host = host;
  options.port = port;
  options.hub_key = hub_key_;
  options.setup_code = *code;
  options.hub_id = hub_id_;
  const uint64_t pairing_id = next_pairing_id_++;
  // Called once: answers and lets the pairing connection go (outside its own callback).
  auto shared_done = std::make_shared<Done>([this, pairing_id, done = std::move(done)](Json response) {
    done(std::move(response));
    asio::post(io_, [this, pairing_id] { pairing_.erase(pairing_id); });
  });
  StartPairing(pairing_id, std::move(options), address, name, shared_done, kPairingRetries);
}

void LockSessions::StartPairing(uint64_t pairing_id, link::LinkClient::Options options, const std::string& address,
                                const std::string& name, const std::shared_ptr<Done>& shared_done, int retries_left) {
  auto finished = std::make_shared<bool>(false);
  link::LinkClient::Callbacks callbacks;
  callbacks.on_ready = [this, finished, shared_done, address, name](const crypto::NoisePublicKey& key, const Json& hello) {
    if (*finished) return;
    *finished = true;
    LockRecord record;
    record.id = hello.value("id", "");
    record.name = name.empty() ? record.id : name;
    record.address = address;
    std::copy(key.begin(), key.end(), record.key.begin());
    record.created_at_ms = env_.NowMs();
    if (record.id.empty() || sessions_.contains(record.id)) {
      return (*shared_done)(link::ErrorReply("invalid", "the lock is already paired with this hub"));
    }
    if (core::Status s = store_.PutLock(record); !s.ok()) return (*shared_done)(link::ErrorReply("internal", s.message()));
    auto session = std::make_shared<Session>(io_);
    session->record = record;
    session->name_to_set = name;
    sessions_[record.id] = session;
    (*shared_done)(Json{{"ok", true}, {"result", {{"id", record.id}}}});
    // The pairing connection ends here; the session connects with the pinned key.
    asio::post(io_, [this, session] { Connect(session); });
  };
  callbacks.on_event = [](const Json&) { return false; };  // events come through the session
  callbacks.on_closed = [this, finished, shared_done, pairing_id, options, address, name,
                         retries_left](const std::string& why) {
    if (*finished) return;
    *finished = true;
    // A lock that will not start a handshake right after a wrong setup code is backing off
    // (LINK.md); the owner who types the right code a moment later should not see that. A few
    // spaced attempts outlast the first back-offs. A wrong code is a finished handshake that
    // the lock then drops, and is never tried again.
    const auto it = pairing_.find(pairing_id);
    const bool refused = it != pairing_.end() && it->second->refused_before_handshake();
    if (!refused || retries_left <= 0) {
      return (*shared_done)(link::ErrorReply("denied", "pairing failed: " + why));
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, kPairingRetryDelay * (kPairingRetries - retries_left + 1));
    timer->async_wait([this, timer, pairing_id, options, address, name, shared_done,
                       retries_left](const boost::system::error_code& ec) {
      if (!ec) StartPairing(pairing_id, options, address, name, shared_done, retries_left - 1);
    });
  };
  auto client = std::make_unique<link::LinkClient>(io_, std::move(options), std::move(callbacks));
  client->Connect();
  // A retry replaces the refused client, whose callback may still be on the stack.
  if (auto it = pairing_.find(pairing_id); it != pairing_.end()) {
    auto retired = std::shared_ptr<link::LinkClient>(std::move(it->second));
    asio::post(io_, [retired] {});
  }
  pairing_[pairing_id] = std::move(client);
}

void LockSessions::Unpair(const std::string& lock, Done done) {
  const auto it = sessions_.find(lock);
  if (it == sessions_.end()) return done(link::ErrorReply("not_found", "no such lock"));
  auto session = it->second;
  auto forget = [this, lock, session, done = std::move(done)](Json) {
    session->stopped = true;
    session->timer.cancel();
    sessions_.erase(lock);
    for (auto& waiting : std::exchange(session->waiting, {})) {
      waiting.done(link::ErrorReply("not_found", "the lock was unpaired"));
    }
    const core::Status s = store_.DeleteLock(lock);
    asio::post(io_, [session] { session->client.reset(); });
    if (s.ok() && listener_.on_removed) listener_.on_removed(lock);
    done(s.ok() ? Json{{"ok", true}, {"result", Json::object()}} : link::ErrorReply("internal", s.message()));
  };
  if (session->client && session->client->ready()) {
    session->client->Request<link::Op::kUnpair>({}, std::move(forget));
  } else {
    forget(Json());
  }
}

}  // namespace latchkey::hub
