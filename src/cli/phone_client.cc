#include "cli/phone_client.h"

#include "platform/asio.h"
#include "platform/host_port.h"

namespace latchkey::cli {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Blocking fragments over TCP, each with its 2-byte length.
class TcpTransport : public PhoneTransport {
 public:
  explicit TcpTransport(std::unique_ptr<asio::io_context> io, tcp::socket socket)
      : io_(std::move(io)), socket_(std::move(socket)) {}

  std::size_t max_fragment() const override { return link::kMaxPhoneFragment; }

  core::Status Send(const std::vector<link::PhoneFragment>& fragments) override {
    std::vector<uint8_t> bytes;
    for (const auto& fragment : fragments) {
      const auto framed = link::EncodePhoneStreamFragment(fragment);
      bytes.insert(bytes.end(), framed.begin(), framed.end());
    }
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    if (ec) return core::Status::IoError("phone: sending to the lock: " + ec.message());
    return core::Status::Ok();
  }

  core::Result<link::PhoneFragment> Receive(std::chrono::steady_clock::time_point deadline) override {
    while (ready_.empty()) {
      if (std::chrono::steady_clock::now() >= deadline) return core::Status::IoError("phone: the lock did not answer in time");
      pollfd pfd{socket_.native_handle(), POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
      std::array<uint8_t, 2048> buffer{};
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec) return core::Status::IoError("phone: the lock closed the session (" + ec.message() + ")");
      auto fragments = decoder_.Feed(std::span<const uint8_t>(buffer.data(), n));
      if (!fragments.ok()) return fragments.status();
      for (auto& fragment : *fragments) ready_.push_back(std::move(fragment));
    }
    link::PhoneFragment next = std::move(ready_.front());
    ready_.erase(ready_.begin());
    return next;
  }

 private:
  std::unique_ptr<asio::io_context> io_;  // the socket's; never run
  tcp::socket socket_;
  link::PhoneStreamDecoder decoder_;
  std::vector<link::PhoneFragment> ready_;
};

}  // namespace

core::Result<std::unique_ptr<PhoneTransport>> ConnectPhoneTcp(const std::string& address,
                                                              std::chrono::steady_clock::time_point deadline) {
  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(address, &host, &port) || port == 0) {
    return core::Status::Invalid("--at: must be HOST:PORT, not '" + address + "'");
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) return core::Status::Invalid("--at: '" + host + "' is not an IP address");
  (void)deadline;  // loopback and LAN connects answer or fail at once; the session has the deadline
  auto io = std::make_unique<asio::io_context>();
  tcp::socket socket(*io);
  socket.connect(tcp::endpoint(ip, port), ec);
  if (ec) return core::Status::IoError("phone: cannot reach the lock at " + address + ": " + ec.message());
  socket.set_option(tcp::no_delay(true), ec);
  return std::unique_ptr<PhoneTransport>(std::make_unique<TcpTransport>(std::move(io), std::move(socket)));
}

core::Result<PhoneSessionOutcome> RunPhoneSession(PhoneTransport& transport, link::PhoneConfig config,
                                                  link::PhoneOp op, const ArrivalMaker& arrival,
                                                  std::chrono::steady_clock::time_point started,
                                                  std::chrono::steady_clock::time_point deadline) {
  const bool pinned = config.lock_key.has_value();
  config.max_fragment = transport.max_fragment();
  auto created = link::PhoneSessionPhone::Create(std::move(config));
  LATCHKEY_TRY(created);
  link::PhoneSessionPhone session = std::move(created).value();
  auto first = session.Start();
  LATCHKEY_TRY(first);
  LATCHKEY_TRY(transport.Send(*first));
  PhoneSessionOutcome outcome;
  outcome.pattern = pinned ? crypto::NoisePattern::kIK : crypto::NoisePattern::kXX;
  bool asked = false;
  while (true) {
    auto fragment = transport.Receive(deadline);
    LATCHKEY_TRY(fragment);
    for (auto& action : session.Feed(*fragment)) {
      if (auto* send = std::get_if<link::PhoneSessionPhone::Send>(&action)) {
        LATCHKEY_TRY(transport.Send({send->fragment}));
      } else if (auto* ready = std::get_if<link::PhoneSessionPhone::Ready>(&action)) {
        outcome.lock_id = ready->lock_id;
        outcome.lock_key = ready->lock_key;
        if (asked) continue;
        asked = true;
        std::optional<std::vector<uint8_t>> token;
        if (arrival) token = arrival(ready->lock_id);
        auto req = session.Request(op, std::move(token));
        LATCHKEY_TRY(req);
        LATCHKEY_TRY(transport.Send(*req));
      } else if (auto* result = std::get_if<link::PhoneSessionPhone::Result>(&action)) {
        outcome.res = result->res;
        outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
        return outcome;
      } else if (auto* close = std::get_if<link::PhoneSessionPhone::Close>(&action)) {
        return core::Status::Invalid("phone: the session failed: " + close->reason);
      }
    }
  }
}

core::Result<PhoneSessionOutcome> RunPhoneSession(const std::string& address, link::PhoneConfig config,
                                                  link::PhoneOp op, const ArrivalMaker& arrival,
                                                  std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  auto transport = ConnectPhoneTcp(address, deadline);
  LATCHKEY_TRY(transport);
  return RunPhoneSession(**transport, std::move(config), op, arrival, started, deadline);
}

}  // namespace latchkey::cli
