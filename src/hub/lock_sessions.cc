#include "hub/lock_sessions.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "platform/host_port.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {
constexpr auto kFirstBackoff = std::chrono::milliseconds(500);
constexpr auto kMaxBackoff = std::chrono::milliseconds(30000);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
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
};

LockSessions::LockSessions(asio::io_context& io, HubStore& store, const crypto::NoiseKeypair& hub_key,
                           std::string hub_id, Listener listener)
    : io_(io), store_(store), hub_key_(hub_key), hub_id_(std::move(hub_id)), listener_(std::move(listener)) {}

LockSessions::~LockSessions() {
  for (auto& [id, session] : sessions_) {
    session->stopped = true;
    session->timer.cancel();
    session->client.reset();
  }
}

core::Status LockSessions::Start() {
  auto locks = store_.ListLocks();
  if (!locks.ok()) return locks.status();
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
  options.clock_ms = NowMs;
  std::weak_ptr<Session> weak = session;
  link::LinkClient::Callbacks callbacks;
  callbacks.on_ready = [this, weak](const crypto::NoisePublicKey&, const Json&) {
    auto s = weak.lock();
    if (!s) return;
    s->backoff = kFirstBackoff;
    spdlog::info("hub: lock {} online", s->record.id);
    if (listener_.on_state) listener_.on_state(s->record.id);
    if (!s->name_to_set.empty()) {
      Request(s->record.id, "set_settings", Json{{"settings", {{"name", s->name_to_set}}}}, [weak](Json reply) {
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
    std::size_t good = 0;
    core::Status refused;
    while (good < events.size() && (refused = HubStore::CheckEvent(events[good])).ok()) ++good;
    if (good > 0) {
      const core::Status stored = store_.AppendEvents(s->record.id, std::span(events).first(good));
      if (!stored.ok()) {
        spdlog::error("hub: cannot store {} events of lock {}: {}", good, s->record.id, stored.ToString());
        return 0;  // not acknowledged: the lock sends them again
      }
    }
    if (!refused.ok()) spdlog::error("hub: cannot store an event of lock {}: {}", s->record.id, refused.ToString());
    // Published only now that they are committed: a stream or webhook never shows an event
    // that a crash could still take back, and a replay from the mirror finds every one.
    for (std::size_t i = 0; i < good; ++i) {
      s->record.acked_seq = std::max(s->record.acked_seq, events[i]["seq"].get<uint64_t>());
      if (listener_.on_event) listener_.on_event(s->record.id, events[i]);
    }
    return good;
  };
  callbacks.on_state = [this, weak](const Json& state) {
    auto s = weak.lock();
    if (!s) return;
    Json clean = state;
    clean.erase("t");
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
  it->second->client->Request(op, std::move(args), std::move(done));
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
  auto finished = std::make_shared<bool>(false);
  const uint64_t pairing_id = next_pairing_id_++;
  // Called once: answers and lets the pairing connection go (outside its own callback).
  auto shared_done = std::make_shared<Done>([this, pairing_id, done = std::move(done)](Json response) {
    done(std::move(response));
    asio::post(io_, [this, pairing_id] { pairing_.erase(pairing_id); });
  });
  link::LinkClient::Callbacks callbacks;
  callbacks.on_ready = [this, finished, shared_done, address, name](const crypto::NoisePublicKey& key, const Json& hello) {
    if (*finished) return;
    *finished = true;
    LockRecord record;
    record.id = hello.value("id", "");
    record.name = name.empty() ? record.id : name;
    record.address = address;
    std::copy(key.begin(), key.end(), record.key.begin());
    record.created_at_ms = NowMs();
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
  callbacks.on_closed = [finished, shared_done](const std::string& why) {
    if (*finished) return;
    *finished = true;
    (*shared_done)(link::ErrorReply("denied", "pairing failed: " + why));
  };
  auto client = std::make_unique<link::LinkClient>(io_, options, callbacks);
  client->Connect();
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
    const core::Status s = store_.DeleteLock(lock);
    asio::post(io_, [session] { session->client.reset(); });
    done(s.ok() ? Json{{"ok", true}, {"result", Json::object()}} : link::ErrorReply("internal", s.message()));
  };
  if (session->client && session->client->ready()) {
    session->client->Request("unpair", Json::object(), std::move(forget));
  } else {
    forget(Json());
  }
}

}  // namespace latchkey::hub
