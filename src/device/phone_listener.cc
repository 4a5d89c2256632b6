#include "device/phone_listener.h"

#include <spdlog/spdlog.h>
#include <sodium.h>

#include <array>
#include <deque>

#include "device/phone_door.h"
#include "link/phone_frame.h"
#include "link/phone_session.h"

namespace latchkey::device {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// A phone that has not finished its handshake by then is dropped (it holds an admission slot).
constexpr auto kHandshakeTime = std::chrono::seconds(5);
}  // namespace

class PhoneListener::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(PhoneListener& owner, uint64_t id, tcp::socket socket, std::string source)
      : owner_(owner), id_(id), source_(std::move(source)), socket_(std::move(socket)), timer_(owner.io_) {}

  const std::string& source() const { return source_; }
  bool established() const { return door_ && door_->established(); }
  uint64_t id() const { return id_; }

  void Start() {
    link::PhoneLockConfig config;
    config.s = owner_.static_key_;
    config.lock_id = owner_.lock_id_;
    config.random = [](std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); };
    auto session = link::PhoneSessionLock::Create(std::move(config));
    if (!session.ok()) return Close("cannot start a session: " + session.status().message());
    std::weak_ptr<Connection> weak = weak_from_this();
    PhoneDoor::Transport transport;
    transport.send = [weak](link::PhoneFragment fragment) {
      if (auto self = weak.lock()) self->Write(link::EncodePhoneStreamFragment(fragment));
    };
    transport.close = [weak](const std::string& reason) {
      if (auto self = weak.lock()) self->CloseAfterWrites(reason);
    };
    door_ = std::make_shared<PhoneDoor>(owner_.runtime_, std::move(session).value(), std::move(transport));
    ArmTimer(kHandshakeTime);
    Read();
  }

  // Ends the connection now; the owner forgets it. `blame`: its source's handshake back-off grows
  // if it never finished one (not when we closed it to make room).
  void Close(const std::string& reason, bool blame = true) {
    if (closed_) return;
    closed_ = true;
    spdlog::debug("phone: {} closed: {}", source_, reason);
    boost::system::error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    owner_.Closed(id_, was_established_, blame);
  }

 private:
  void ArmTimer(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Close(self->established() ? "idle" : "handshake took too long");
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                              std::size_t n) {
      if (self->closed_) return;
      if (ec) return self->Close(ec == asio::error::eof ? "the phone left" : ec.message());
      self->OnBytes(std::span<const uint8_t>(self->buffer_.data(), n));
      if (!self->closed_ && !self->closing_) self->Read();
    });
  }

  void OnBytes(std::span<const uint8_t> bytes) {
    auto fragments = decoder_.Feed(bytes);
    if (!fragments.ok()) return Close(fragments.status().message());
    for (const auto& fragment : *fragments) {
      if (closed_ || closing_) return;
      if (!first_seen_) {
        first_seen_ = true;
        if (!owner_.admission_.MayStartOpen(id_, std::chrono::steady_clock::now())) {
          // Not its fault yet: a refusal must not lengthen the back-off it is waiting out.
          return Close("too many handshakes from " + source_, /*blame=*/false);
        }
      }
      const bool was = established();
      door_->OnFragment(fragment);
      if (!was && established() && !closed_) {
        was_established_ = true;
        owner_.Established(id_);
      }
    }
    if (!closed_ && !closing_ && established()) ArmTimer(std::chrono::milliseconds(owner_.limits_.idle_ms));
  }

  void Write(std::vector<uint8_t> bytes) {
    if (closed_) return;
    queue_.push_back(std::move(bytes));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (queue_.empty()) {
      writing_ = false;
      if (closing_) Close(close_reason_);
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) return self->Close(ec.message());
                        self->queue_.pop_front();
                        self->WriteNext();
                      });
  }

  // The session ended: what it still had to say goes out first (a last res).
  void CloseAfterWrites(const std::string& reason) {
    closing_ = true;
    close_reason_ = reason;
    if (!writing_) Close(reason);
  }

  PhoneListener& owner_;
  uint64_t id_;
  std::string source_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<uint8_t, 2048> buffer_{};
  link::PhoneStreamDecoder decoder_;
  std::shared_ptr<PhoneDoor> door_;
  std::deque<std::vector<uint8_t>> queue_;
  bool writing_ = false;
  bool first_seen_ = false;
  bool was_established_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::string close_reason_;
};

PhoneListener::PhoneListener(asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key,
                             std::string lock_id, Limits limits)
    : io_(io),
      runtime_(runtime),
      static_key_(static_key),
      lock_id_(std::move(lock_id)),
      limits_(limits),
      acceptor_(io),
      admission_(limits.handshakes) {}

PhoneListener::~PhoneListener() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  auto connections = std::move(connections_);
  for (auto& [id, connection] : connections) connection->Close("the lock stops", /*blame=*/false);
}

core::Status PhoneListener::Listen(const tcp::endpoint& endpoint) {
  if (const auto ec = platform::OpenAcceptor(acceptor_, endpoint)) {
    return core::Status::IoError("phone listener on " + endpoint.address().to_string() + ":" +
                                 std::to_string(endpoint.port()) + ": " + ec.message());
  }
  Accept();
  return core::Status::Ok();
}

uint16_t PhoneListener::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void PhoneListener::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) OnAccepted(std::move(socket));
    Accept();
  });
}

void PhoneListener::OnAccepted(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;
  socket.set_option(tcp::no_delay(true), ec);
  const uint64_t id = next_id_++;
  const std::string source = remote.address().to_string();
  auto connection = std::make_shared<Connection>(*this, id, std::move(socket), source);
  connections_.emplace(id, connection);
  for (uint64_t victim : admission_.Accepted(id, source, std::chrono::steady_clock::now())) {
    if (auto it = connections_.find(victim); it != connections_.end()) {
      auto evicted = it->second;
      evicted->Close("too many handshakes at once", /*blame=*/false);
    }
  }
  connection->Start();
}

void PhoneListener::Established(uint64_t id) {
  admission_.Done(id, link::Admission::Outcome::kSession, std::chrono::steady_clock::now());
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  const std::string source = it->second->source();
  // The oldest sessions give way (ids grow with time): first of this source, then of all.
  std::size_t from_source = 0, total = 0;
  for (const auto& [other, connection] : connections_) {
    if (!connection->established()) continue;
    ++total;
    if (connection->source() == source) ++from_source;
  }
  for (auto i = connections_.begin(); i != connections_.end() && (from_source > limits_.max_sessions_per_source ||
                                                                  total > limits_.max_sessions);) {
    auto connection = (i++)->second;  // Close erases it from the map
    if (connection->id() == id || !connection->established()) continue;
    const bool same = connection->source() == source;
    if (from_source > limits_.max_sessions_per_source && !same) continue;
    connection->Close("too many phone sessions");
    --total;
    if (same) --from_source;
  }
}

void PhoneListener::Closed(uint64_t id, bool established, bool blame) {
  if (!established) {
    admission_.Done(id, blame ? link::Admission::Outcome::kFailed : link::Admission::Outcome::kEvicted,
                    std::chrono::steady_clock::now());
  }
  connections_.erase(id);
}

}  // namespace latchkey::device
