#include "device/ble_bus.h"

#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <ctime>

namespace latchkey::device {

namespace asio = boost::asio;

namespace {

// sd-bus's timeouts are absolute CLOCK_MONOTONIC microseconds, which is what steady_clock reads on Linux.
std::chrono::steady_clock::time_point FromMonotonicUs(uint64_t us) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t now_us = static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  return std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(us) - now_us);
}

}  // namespace

BleBusPump::BleBusPump(asio::io_context& io, sdbus::IConnection& connection, std::function<void(std::string)> lost)
    : io_(io), connection_(connection), lost_(std::move(lost)), socket_(io), timer_(io) {
  Kick();
}

BleBusPump::~BleBusPump() {
  *alive_ = false;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.cancel(ec);
  if (socket_.is_open()) (void)socket_.release();
}

void BleBusPump::Kick() {
  if (kicked_ || stopped_) return;
  kicked_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    kicked_ = false;
    Pump();
  });
}

void BleBusPump::Pump() {
  if (stopped_) return;
  sdbus::IConnection::PollData poll{};
  try {
    // Each call handles one message (or one step of the connection); callbacks run in here.
    while (connection_.processPendingRequest()) {
    }
    poll = connection_.getEventLoopPollData();
  } catch (const sdbus::Error& e) {
    stopped_ = true;
    boost::system::error_code ec;
    timer_.cancel();
    socket_.cancel(ec);
    if (lost_) lost_(e.getMessage());
    return;
  }
  if (!socket_.is_open() || socket_.native_handle() != poll.fd) {
    boost::system::error_code ec;
    if (socket_.is_open()) (void)socket_.release();
    socket_.assign(poll.fd, ec);
    if (ec) {
      stopped_ = true;
      if (lost_) lost_("cannot watch the bus socket: " + ec.message());
      return;
    }
  }
  const std::weak_ptr<bool> alive = alive_;
  if ((poll.events & POLLIN) && !waiting_read_) {
    waiting_read_ = true;
    socket_.async_wait(asio::posix::stream_descriptor::wait_read, [this, alive](const boost::system::error_code& ec) {
      if (alive.expired()) return;
      waiting_read_ = false;
      if (!ec) Pump();
    });
  }
  if ((poll.events & POLLOUT) && !waiting_write_) {
    waiting_write_ = true;
    socket_.async_wait(asio::posix::stream_descriptor::wait_write, [this, alive](const boost::system::error_code& ec) {
      if (alive.expired()) return;
      waiting_write_ = false;
      if (!ec) Pump();
    });
  }
  // UINT64_MAX: nothing is due. 0: process again at once (sd-bus holds a message already read).
  if (poll.timeout_usec != UINT64_MAX) {
    timer_.expires_at(poll.timeout_usec == 0 ? std::chrono::steady_clock::now() : FromMonotonicUs(poll.timeout_usec));
    timer_.async_wait([this, alive](const boost::system::error_code& ec) {
      if (alive.expired() || ec) return;
      Pump();
    });
  } else {
    timer_.cancel();
  }
}

}  // namespace latchkey::device
