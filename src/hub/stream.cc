#include "hub/stream.h"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <variant>

#include "hub/cookie_session.h"
#include "hub/api_json.h"
#include "hub/stream_filter.h"
#include "platform/time_format.h"

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
// Messages queued for one client before it counts as behind (docs/hub.md "The live stream"):
// from then on its live events come from the mirror in pages, so a client that falls behind
// is bounded in memory without being dropped.
constexpr std::size_t kMaxQueued = 1000;

// The longest the expiry timer sleeps. Tokens expire by the hub's wall clock and the timer runs
// on the monotonic one: a wall clock set forward is noticed within this.
constexpr int64_t kMaxExpiryWaitMs = 60'000;

// A WebSocket over plain TCP (ws://) or over TLS (wss://); the client's logic is the same.
using WebSocket = std::variant<websocket::stream<beast::tcp_stream>, websocket::stream<TlsStream>>;

WebSocket ToWebSocket(UpgradedStream connection) {
  return std::visit(
      [](auto&& next) -> WebSocket {
        using Next = std::decay_t<decltype(next)>;
        return WebSocket(std::in_place_type<websocket::stream<Next>>, std::move(next));
      },
      std::move(connection));
}

// Answers the upgrade request with an HTTP error and closes the connection.
template <typename Next>
void Refuse(Next connection, std::shared_ptr<http::response<http::string_body>> response) {
  auto next = std::make_shared<Next>(std::move(connection));
  http::async_write(*next, *response, [next, response](beast::error_code, std::size_t) {
    if constexpr (std::is_same_v<Next, TlsStream>) {
      beast::get_lowest_layer(*next).expires_after(std::chrono::seconds(5));
      next->async_shutdown([next](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(*next).socket().close(ignored);
      });
    } else {
      beast::error_code ignored;
      next->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
  });
}

}  // namespace

class Stream::Client : public std::enable_shared_from_this<Stream::Client> {
 public:
  Client(Stream& stream, UpgradedStream connection, Principal principal)
      : stream_(stream), ws_(ToWebSocket(std::move(connection))), principal_(std::move(principal)) {
    beast::error_code ec;
    Socket().set_option(asio::ip::tcp::no_delay(true), ec);
  }

  void Start(http::request<http::string_body> request, std::vector<std::pair<std::string, uint64_t>> after) {
    for (const auto& [lock, seq] : after) {
      if (principal_.MayReadHistory(lock) && !sent_seq_.contains(lock)) {  // a lock named twice: the first
        replay_.emplace_back(lock, seq);
        sent_seq_[lock] = seq;
      }
    }
    std::visit(
        [&](auto& ws) {
          ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
          ws.read_message_max(4096);
          ws.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->Close();
            self->open_ = true;
            self->ReadLoop();
            self->WriteMore();
          });
        },
        ws_);
  }

  const Principal& principal() const { return principal_; }
  void set_principal(Principal principal) { principal_ = std::move(principal); }

  // A live event. While a lock's history is being replayed its live events are skipped: they
  // are in the store already (events are stored before they are published), so the replay
  // brings them, in order; afterwards a seq already sent is never sent again.
  void SendEvent(const std::string& lock, uint64_t seq, const Json& message) {
    for (const auto& [replaying, from] : replay_) {
      if (replaying == lock) return;
    }
    auto it = sent_seq_.find(lock);
    if (it != sent_seq_.end() && seq <= it->second) return;
    if (queue_.size() >= kMaxQueued) {
      // Behind: a slow reader, or a burst (a lock's backlog after an outage is published far
      // faster than one write per turn sends it). The rest of this lock's events come from the
      // mirror, where they are already, once the queue has drained. An account that may not
      // read the history (a guest) is dropped instead, as nothing may be replayed to it.
      if (!principal_.MayReadHistory(lock)) {
        spdlog::info("hub: stream of {} dropped, {} messages behind", principal_.username, queue_.size());
        return Close();
      }
      spdlog::info("hub: stream of {} is {} messages behind; lock {} continues from the mirror", principal_.username,
                   queue_.size(), lock);
      replay_.emplace_back(lock, it != sent_seq_.end() ? it->second : seq - 1);
      return;
    }
    sent_seq_[lock] = seq;
    Queue(message, "");
  }

  // A state message is the whole lock object: a newer one takes the place of one of the same
  // lock still queued, so state messages hold at most one place per lock in the queue (a lock
  // back from an outage publishes a state for each change it had, thousands in a burst).
  void SendState(const std::string& lock, const Json& message) {
    if (closed_) return;
    for (Queued& q : queue_) {
      if (q.state_of == lock) {
        q.text = message.dump(-1, ' ', false, Json::error_handler_t::replace);
        return;
      }
    }
    Queue(message, lock);
  }

  void Queue(const Json& message, const std::string& state_of) {
    if (closed_) return;
    queue_.push_back({message.dump(-1, ' ', false, Json::error_handler_t::replace), state_of, false});
    WriteMore();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    Socket().close(ec);
    stream_.Remove(this);
  }

 private:
  asio::ip::tcp::socket& Socket() {
    return std::visit([](auto& ws) -> asio::ip::tcp::socket& { return beast::get_lowest_layer(ws).socket(); }, ws_);
  }

  // Queues the next page of the history being replayed once the previous page is written, so
  // a client that missed a million events gets them all without a million in memory. Live
  // messages queued meanwhile (other locks' events, state messages) do not hold the replay up:
  // under steady traffic the queue is never empty.
  void ReplayMore() {
    while (!replay_.empty() && replayed_queued_ == 0) {
      auto& [lock, from] = replay_.front();
      EventQuery query;
      query.lock = lock;
      query.after = from;
      query.limit = 200;
      auto events = stream_.store_.Events(query);
      if (!events.ok() || events->empty()) {
        replay_.erase(replay_.begin());
        continue;
      }
      const int64_t now = stream_.env_.NowMs();
      for (auto& e : *events) {
        from = e.value("seq", from);
        sent_seq_[lock] = from;
        const Json message{{"type", "event"}, {"lock", lock}, {"event", ApiEventJson(std::move(e), lock)}};
        // The same rule as live events (a member's replay has no duress events).
        if (!StreamMaySend(principal_, message, now)) continue;
        queue_.push_back({message.dump(-1, ' ', false, Json::error_handler_t::replace), "", true});
        ++replayed_queued_;
      }
    }
  }

  void ReadLoop() {
    std::visit(
        [&](auto& ws) {
          ws.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->Close();
            self->read_buffer_.consume(self->read_buffer_.size());  // the stream is one-way; input is ignored
            self->ReadLoop();
          });
        },
        ws_);
  }

  void WriteMore() {
    if (!open_ || writing_ || closed_) return;
    ReplayMore();
    if (queue_.empty()) return;
    writing_ = true;
    in_flight_ = std::move(queue_.front().text);
    if (queue_.front().replayed) --replayed_queued_;
    queue_.pop_front();
    std::visit(
        [&](auto& ws) {
          ws.text(true);
          ws.async_write(asio::buffer(in_flight_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->writing_ = false;
            if (ec) return self->Close();
            self->WriteMore();
          });
        },
        ws_);
  }

  Stream& stream_;
  WebSocket ws_;
  Principal principal_;
  beast::flat_buffer read_buffer_;
  struct Queued {
    std::string text;
    std::string state_of;   // the lock of a state message; "" for an event
    bool replayed = false;  // read from the mirror by ReplayMore
  };
  std::deque<Queued> queue_;
  std::string in_flight_;  // the message being written, out of queue_ so that queue_ may change
  std::size_t replayed_queued_ = 0;  // messages of queue_ that ReplayMore queued
  std::vector<std::pair<std::string, uint64_t>> replay_;  // (lock, last seq queued) still to replay
  std::map<std::string, uint64_t> sent_seq_;              // last event seq queued, per lock
  bool open_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

Stream::Stream(asio::io_context& io, Env& env, HubStore& store, Directory& directory, OnlineFn online)
    : env_(env), store_(store), directory_(directory), online_(std::move(online)), expiry_timer_(io) {}

Stream::~Stream() {
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) client->Close();
}

std::size_t Stream::clients() const { return clients_.size(); }

void Stream::Accept(UpgradedStream connection, http::request<http::string_body> request, std::string client_address) {
  HttpRequest parsed;
  parsed.secure = std::holds_alternative<TlsStream>(connection);
  parsed.headers = request.base();
  parsed.client_address = client_address;
  const std::string target(request.target());
  const auto question = target.find('?');
  parsed.path = target.substr(0, question);
  std::vector<std::pair<std::string, uint64_t>> after;
  bool bad = false;
  if (question != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      const auto key = UrlDecode(pair.substr(0, eq));
      const auto value = UrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!key || !value) bad = true;
      else parsed.query[*key] = *value;
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (parsed.query.contains("after")) {
    std::string_view list = parsed.query.at("after");
    while (!list.empty() && !bad) {
      const auto comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      const auto colon = item.rfind(':');
      const std::string_view digits = colon == std::string_view::npos ? std::string_view() : item.substr(colon + 1);
      if (colon == std::string_view::npos || digits.empty() || digits.size() > 19 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        bad = true;
        break;
      }
      after.emplace_back(std::string(item.substr(0, colon)), std::stoull(std::string(digits)));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  auto principal = directory_.Authenticate(parsed);
  const auto refuse = [&](http::status status, std::string_view code, std::string_view message) {
    auto response = std::make_shared<http::response<http::string_body>>(status, request.version());
    response->set(http::field::content_type, "application/json");
    response->body() = Json{{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}}.dump();
    response->prepare_payload();
    std::visit([&](auto&& next) { Refuse(std::move(next), response); }, std::move(connection));
  };
  if (parsed.path != "/api/v1/stream") return refuse(http::status::not_found, "not_found", "no such path");
  if (bad) return refuse(http::status::bad_request, "invalid", "after: must be <lock>:<seq>,...");
  if (!principal.ok()) return refuse(http::status::unauthorized, "unauthorized", principal.status().message());
  // A page of another site could open this socket with the user's cookie (SameSite does not
  // cover every WebSocket handshake): a cookie session streams only to the hub's own pages.
  if (principal->via_cookie && !FromOwnOrigin(parsed)) {
    return refuse(http::status::forbidden, "forbidden", "origin: the session cookie is only for the hub's own pages");
  }
  auto client = std::make_shared<Client>(*this, std::move(connection), *principal);
  clients_.push_back(client);
  client->Start(std::move(request), std::move(after));
  ArmExpiry();
}

core::Result<std::shared_ptr<void>> Stream::Watch(const TokenHash& token_hash, Sink sink) {
  auto principal = directory_.PrincipalOf(token_hash, false);
  LATCHKEY_TRY(principal);
  auto watcher = std::make_shared<Watcher>(Watcher{std::move(principal).value(), std::move(sink)});
  watchers_.push_back(watcher);
  return std::shared_ptr<void>(watcher);
}

void Stream::Notify(const Json& message, int64_t now) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    auto watcher = it->lock();
    if (!watcher) {
      it = watchers_.erase(it);
      continue;
    }
    ++it;
    // A state message is the lock object as this viewer may see it (api_json.h).
    if (message.value("type", "") == "state" && !watcher->principal.MayManageLock() &&
        (message.contains("address") || message.contains("sim_control_url"))) {
      Json reduced = message;
      reduced.erase("address");
      reduced.erase("sim_control_url");
      if (StreamMaySend(watcher->principal, reduced, now)) watcher->sink(reduced);
    } else if (StreamMaySend(watcher->principal, message, now)) {
      watcher->sink(message);
    }
  }
}

void Stream::Recheck() {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    auto watcher = it->lock();
    core::Result<Principal> now = watcher ? directory_.PrincipalOf(watcher->principal.token_hash, false)
                                           : core::Result<Principal>(core::Status::Invalid("gone"));
    if (!now.ok()) {
      // A watcher whose token no longer holds hears nothing more (its owner may still hold it).
      if (watcher) spdlog::info("hub: {} stops receiving the stream: {}", watcher->principal.username, now.status().message());
      it = watchers_.erase(it);
      continue;
    }
    watcher->principal = std::move(now).value();
    ++it;
  }
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    auto now = directory_.PrincipalOf(client->principal().token_hash, client->principal().via_cookie);
    if (!now.ok()) {
      spdlog::info("hub: stream of {} closed: {}", client->principal().username, now.status().message());
      client->Close();
      continue;
    }
    client->set_principal(std::move(now).value());
  }
  ArmExpiry();
}

void Stream::ArmExpiry() {
  std::optional<int64_t> earliest;
  for (const auto& client : clients_) {
    const auto& expires = client->principal().token_expires_at_ms;
    if (expires && (!earliest || *expires < *earliest)) earliest = expires;
  }
  if (!earliest) {
    expiry_timer_.cancel();
    return;
  }
  // A token holds through its expires_at millisecond (Directory::PrincipalOf): wake just after it.
  const int64_t wait_ms = std::clamp<int64_t>(*earliest + 1 - env_.NowMs(), 0, kMaxExpiryWaitMs);
  expiry_timer_.expires_after(std::chrono::milliseconds(wait_ms));  // cancels the previous wait
  expiry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnExpiryTimer();  // else re-armed, or the stream is going away
  });
}

void Stream::OnExpiryTimer() {
  const int64_t now = env_.NowMs();
  for (const auto& client : clients_) {
    const auto& expires = client->principal().token_expires_at_ms;
    // The same check and close as for a revoked token, log line included.
    if (expires && *expires < now) return Recheck();
  }
  ArmExpiry();  // woken early (the wait is capped, or the clocks drifted apart)
}

void Stream::Remove(Client* client) {
  clients_.remove_if([client](const std::shared_ptr<Client>& c) { return c.get() == client; });
}

void Stream::PublishEvent(const std::string& lock, const Json& event) {
  const Json message{{"type", "event"}, {"lock", lock}, {"event", ApiEventJson(event, lock)}};
  const uint64_t seq = event.value("seq", uint64_t{0});
  // The clock is read at each event: a guest's window that ends closes its view live.
  const int64_t now = env_.NowMs();
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    // Of the locks the account sees, what its role may know (stream_filter.h).
    if (StreamMaySend(client->principal(), message, now)) client->SendEvent(lock, seq, message);
  }
  Notify(message, now);
}

void Stream::PublishHubAlarm(const std::string& lock, const Json& alarm) {
  Json message = alarm;
  message["type"] = "hub_alarm";
  message["lock"] = lock;
  const int64_t now = env_.NowMs();
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    if (StreamMaySend(client->principal(), message, now)) client->Queue(message, "");
  }
  Notify(message, now);
}

void Stream::PublishRemoved(const std::string& lock) {
  const Json message{{"type", "lock_removed"}, {"lock", lock}};
  const int64_t now = env_.NowMs();
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    if (StreamMaySend(client->principal(), message, now)) client->Queue(message, "");
  }
  Notify(message, now);
}

void Stream::PublishState(const std::string& lock) {
  // This one lock's record only (a state change reads one row, not every lock's).
  auto found = store_.GetLock(lock);
  if (!found.ok() || !*found) return;
  const LockRecord& record = **found;
  // The lock object as each account may see it (api_json.h): two versions at most.
  std::optional<Json> full, reduced;
  const int64_t now = env_.NowMs();
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    const Principal& viewer = client->principal();
    std::optional<Json>& message = viewer.MayManageLock() ? full : reduced;
    if (!message) {
      message = LockJson(record, online_(lock), viewer);
      (*message)["type"] = "state";
      (*message)["lock"] = lock;
    }
    if (StreamMaySend(viewer, *message, now)) client->SendState(lock, *message);
  }
  if (!watchers_.empty()) {
    Json message = LockJson(record, online_(lock));
    message["type"] = "state";
    message["lock"] = lock;
    Notify(message, now);
  }
}

}  // namespace latchkey::hub
