// The BLE transport's D-Bus connection, run from the lock's asio loop (io_context), so that every
// sdbus-c++ callback (a phone's write, BlueZ's replies and signals) runs on the lock's one thread
// like everything else that touches core::Lock, which is not thread-safe. There is no sdbus event
// loop thread.
//
// sd-bus tells what it waits for (getEventLoopPollData: its socket, read or write, and the time
// of its next method-call timeout); BleBusPump waits for exactly that with asio and then lets
// sd-bus process until it has nothing left. Anything done on the connection outside one of its
// callbacks (a notification sent when the bolt stops, an asynchronous call) can change what sd-bus
// waits for, so whoever does it calls Kick afterwards.
#pragma once

#include "platform/asio.h"

#include <functional>
#include <memory>
#include <string>

namespace sdbus {
class IConnection;
}

namespace latchkey::device {

class BleBusPump {
 public:
  // `lost` is called once, on the loop, when the connection fails (the bus went away); the pump
  // stops then.
  BleBusPump(boost::asio::io_context& io, sdbus::IConnection& connection, std::function<void(std::string)> lost);
  ~BleBusPump();
  BleBusPump(const BleBusPump&) = delete;
  BleBusPump& operator=(const BleBusPump&) = delete;

  // Processes what is pending and waits again for what sd-bus now waits for, soon (posted, once
  // however often it is called before that).
  void Kick();

 private:
  void Pump();

  boost::asio::io_context& io_;
  sdbus::IConnection& connection_;
  std::function<void(std::string)> lost_;
  // The bus socket belongs to sd-bus: released, never closed, when the pump goes.
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer timer_;
  bool kicked_ = false;
  bool waiting_read_ = false;
  bool waiting_write_ = false;
  bool stopped_ = false;
  // Outstanding handlers hold it weakly: the pump may go first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace latchkey::device
