#include "hub/stream.h"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <map>

#include "hub/hub.h"
#include "platform/time_format.h"

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
constexpr std::size_t kMaxQueued = 1000;  // a client this far behind is dropped, not buffered forever

}  // namespace

class Stream::Client : public std::enable_shared_from_this<Stream::Client> {
 public:
  Client(Stream& stream, asio::ip::tcp::socket socket, Principal principal)
      : stream_(stream), ws_(std::move(socket)), principal_(std::move(principal)) {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  }

  void Start(http::request<http::string_body> request, std::vector<std::pair<std::string, uint64_t>> after) {
    for (const auto& [lock, seq] : after) {
      if (principal_.MayReadHistory(lock)) {
        replay_.emplace_back(lock, seq);
        sent_seq_[lock] = seq;
      }
    }
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(4096);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Close();
      self->open_ = true;
      self->ReadLoop();
      self->WriteMore();
    });
  }

  const Principal& principal() const { return principal_; }

  // A live event. While a lock's history is being replayed its live events are skipped: they
  // are in the store already (events are stored before they are published), so the replay
  // brings them, in order; afterwards a seq already sent is never sent again.
  void SendEvent(const std::string& lock, uint64_t seq, const Json& message) {
    for (const auto& [replaying, from] : replay_) {
      if (replaying == lock) return;
    }
    auto it = sent_seq_.find(lock);
    if (it != sent_seq_.end() && seq <= it->second) return;
    sent_seq_[lock] = seq;
    Send(message);
  }

  void Send(const Json& message) {
    if (closed_) return;
    if (queue_.size() >= kMaxQueued) return Close();  // live traffic faster than the client reads
    queue_.push_back(message.dump(-1, ' ', false, Json::error_handler_t::replace));
    WriteMore();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    stream_.Remove(this);
  }

 private:
  // Queues the next page of the history being replayed (called whenever the queue is empty),
  // so a client that missed a million events gets them all without a million in memory.
  void ReplayMore() {
    while (!replay_.empty() && queue_.empty()) {
      auto& [lock, from] = replay_.front();
      EventQuery query;
      query.lock = lock;
      query.after = from;
      query.limit = 200;
      auto events = stream_.hub_.store().Events(query);
      if (!events.ok() || events->empty()) {
        replay_.erase(replay_.begin());
        continue;
      }
      for (auto& e : *events) {
        from = e.value("seq", from);
        sent_seq_[lock] = from;
        queue_.push_back(Json{{"type", "event"}, {"lock", lock}, {"event", ApiEventJson(std::move(e), lock)}}.dump(
            -1, ' ', false, Json::error_handler_t::replace));
      }
    }
  }

  void ReadLoop() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->read_buffer_.consume(self->read_buffer_.size());  // the stream is one-way; input is ignored
      self->ReadLoop();
    });
  }

  void WriteMore() {
    if (!open_ || writing_ || closed_) return;
    if (queue_.empty()) ReplayMore();
    if (queue_.empty()) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->Close();
      self->queue_.pop_front();
      self->WriteMore();
    });
  }

  Stream& stream_;
  websocket::stream<beast::tcp_stream> ws_;
  Principal principal_;
  beast::flat_buffer read_buffer_;
  std::deque<std::string> queue_;
  std::vector<std::pair<std::string, uint64_t>> replay_;  // (lock, last seq queued) still to replay
  std::map<std::string, uint64_t> sent_seq_;              // last event seq queued, per lock
  bool open_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

Stream::Stream(Hub& hub) : hub_(hub) {}

Stream::~Stream() {
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) client->Close();
}

std::size_t Stream::clients() const { return clients_.size(); }

void Stream::Accept(asio::ip::tcp::socket socket, http::request<http::string_body> request, std::string client_address) {
  HttpRequest parsed;
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
  auto principal = hub_.Authenticate(parsed);
  const auto refuse = [&](http::status status, std::string_view code, std::string_view message) {
    auto response = std::make_shared<http::response<http::string_body>>(status, request.version());
    response->set(http::field::content_type, "application/json");
    response->body() = Json{{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}}.dump();
    response->prepare_payload();
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    http::async_write(*stream, *response, [stream, response](beast::error_code, std::size_t) {
      beast::error_code ignored;
      stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    });
  };
  if (parsed.path != "/api/v1/stream") return refuse(http::status::not_found, "not_found", "no such path");
  if (bad) return refuse(http::status::bad_request, "invalid", "after: must be <lock>:<seq>,...");
  if (!principal.ok()) return refuse(http::status::unauthorized, "unauthorized", principal.status().message());
  auto client = std::make_shared<Client>(*this, std::move(socket), *principal);
  clients_.push_back(client);
  client->Start(std::move(request), std::move(after));
}

void Stream::Remove(Client* client) {
  clients_.remove_if([client](const std::shared_ptr<Client>& c) { return c.get() == client; });
}

void Stream::PublishEvent(const std::string& lock, const Json& event) {
  const Json message{{"type", "event"}, {"lock", lock}, {"event", ApiEventJson(event, lock)}};
  const uint64_t seq = event.value("seq", uint64_t{0});
  for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
    // API.md: events of every lock the account may see (a guest's app shows its lock's alarms).
    if (client->principal().SeesLock(lock)) client->SendEvent(lock, seq, message);
  }
}

void Stream::PublishState(const std::string& lock) {
  auto locks = hub_.store().ListLocks();
  if (!locks.ok()) return;
  for (const auto& record : *locks) {
    if (record.id != lock) continue;
    Json message = hub_.LockJson(record);
    message["type"] = "state";
    message["lock"] = lock;
    for (auto& client : std::list<std::shared_ptr<Client>>(clients_)) {
      if (client->principal().SeesLock(lock)) client->Send(message);
    }
  }
}

}  // namespace latchkey::hub
